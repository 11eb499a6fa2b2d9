package workload

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/inventory"
	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psapolicy "k8s.io/pod-security-admission/policy"
)

// The differential test: k8s.io/pod-security-admission is the oracle for
// every check that claims a PSS control. Pods are generated from one valid
// restricted pod by random tweaks (deterministic seed), and for each PSA
// check at its latest version, PSA forbidding the pod must be the same as
// at least one of our checks carrying PSS:<level>/<checkID> firing.

const pssGeneratedPods = 8000

// pssControl is the control string our checks use for a PSA check.
func pssControl(c psapolicy.Check) string {
	return "PSS:" + string(c.Level) + "/" + string(c.ID)
}

// latestVersion returns the check's version with the highest MinimumVersion.
func latestVersion(c psapolicy.Check) psapolicy.VersionedCheck {
	latest := c.Versions[0]
	for _, v := range c.Versions[1:] {
		if latest.MinimumVersion.Older(v.MinimumVersion) {
			latest = v
		}
	}
	return latest
}

// checksWithControl returns our checks that carry a control.
func checksWithControl(control string) []*Check {
	var out []*Check
	for _, c := range Checks() {
		if slices.Contains(c.Controls, control) {
			out = append(out, c)
		}
	}
	return out
}

func TestEveryPSSCheckIsCovered(t *testing.T) {
	known := map[string]bool{}
	for _, c := range psapolicy.DefaultChecks() {
		known[pssControl(c)] = true
		if len(checksWithControl(pssControl(c))) == 0 {
			t.Errorf("no Rampart check carries %s", pssControl(c))
		}
	}
	// And the other way: every PSS control we claim names a real PSA check
	// at its own level.
	for _, c := range Checks() {
		for _, ctl := range c.Controls {
			if strings.HasPrefix(ctl, "PSS:") && !known[ctl] {
				t.Errorf("%s: control %s names no PSA check", c.ID, ctl)
			}
		}
	}
}

func TestPSSDifferential(t *testing.T) {
	type oracle struct {
		psa     psapolicy.Check
		control string
		check   psapolicy.CheckPodFn
		ours    []*Check
	}
	var oracles []oracle
	for _, c := range psapolicy.DefaultChecks() {
		oracles = append(oracles, oracle{psa: c, control: pssControl(c), check: latestVersion(c).CheckPod, ours: checksWithControl(pssControl(c))})
	}
	forbidden := map[string]int{}
	fired := map[string]int{}
	mismatches := 0
	rng := rand.New(rand.NewPCG(20260801, 190))
	for i := range pssGeneratedPods {
		pod := generatePod(rng, i)
		// PSA sees the pod after the API server's defaulting.
		admitted := pod.DeepCopy()
		defaultAsAPIServer(admitted)
		target := &Target{
			Object: &inventory.Object{APIVersion: "v1", Kind: "Pod", Name: pod.Name, Namespace: pod.Namespace, Typed: pod},
			Pod:    &inventory.Pod{Meta: &pod.ObjectMeta, Spec: &pod.Spec, MetaPath: "metadata", SpecPath: "spec"},
			Config: &Config{},
		}
		for _, o := range oracles {
			res := o.check(&admitted.ObjectMeta, &admitted.Spec)
			var firing []string
			var results []Result
			for _, c := range o.ours {
				if rs := c.Run(target); len(rs) > 0 {
					firing = append(firing, c.ID)
					results = append(results, rs...)
					fired[c.ID]++
				}
			}
			if !res.Allowed {
				forbidden[o.control]++
			}
			if res.Allowed == (len(firing) == 0) {
				continue
			}
			mismatches++
			if mismatches <= 10 {
				t.Errorf("pod #%d, %s: PSA allowed=%v (%s: %s), Rampart fired %v %v\n%s",
					i, o.control, res.Allowed, res.ForbiddenReason, res.ForbiddenDetail, firing, results, podYAML(t, pod))
			}
		}
	}
	if mismatches > 0 {
		t.Fatalf("%d mismatches between PSA and Rampart over %d generated pods", mismatches, pssGeneratedPods)
	}
	// The generator must exercise every check both ways, or agreement
	// proves little.
	for _, o := range oracles {
		n := forbidden[o.control]
		if n < pssGeneratedPods/100 || n > pssGeneratedPods-pssGeneratedPods/100 {
			t.Errorf("%s forbade %d of %d generated pods: the generator does not exercise it both ways", o.control, n, pssGeneratedPods)
		}
		for _, c := range o.ours {
			if fired[c.ID] == 0 {
				t.Errorf("%s never fired on the generated pods", c.ID)
			}
		}
	}
	t.Logf("%d generated pods, %d PSA checks each; forbidden counts: %v", pssGeneratedPods, len(oracles), forbidden)
}

// defaultAsAPIServer applies the API server's defaulting that changes what
// PSA sees: a volume with no source becomes an emptyDir
// (SetDefaults_Volume in k8s.io/kubernetes/pkg/apis/core/v1).
func defaultAsAPIServer(p *corev1.Pod) {
	for i := range p.Spec.Volumes {
		if reflect.DeepEqual(p.Spec.Volumes[i].VolumeSource, corev1.VolumeSource{}) {
			p.Spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
}

func podYAML(t *testing.T, p *corev1.Pod) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func genPtr[T any](v T) *T { return &v }

// genOneOf picks a value uniformly.
func genOneOf[T any](rng *rand.Rand, vs ...T) T { return vs[rng.IntN(len(vs))] }

// genMaybe returns nil or a pointer to one of the values.
func genMaybe[T any](rng *rand.Rand, vs ...T) *T {
	if rng.IntN(len(vs)+1) == 0 {
		return nil
	}
	return genPtr(genOneOf(rng, vs...))
}

// restrictedContainerSecurityContext meets the restricted standard.
func restrictedContainerSecurityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: genPtr(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		ReadOnlyRootFilesystem:   genPtr(true),
	}
}

// restrictedPod is the valid pod every generated pod starts from.
func restrictedPod() *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Annotations: map[string]string{"team": "x"}},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   genPtr(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			InitContainers: []corev1.Container{{Name: "init", Image: "registry.example/init:1", SecurityContext: restrictedContainerSecurityContext()}},
			Containers: []corev1.Container{
				{Name: "app", Image: "registry.example/app:1", SecurityContext: restrictedContainerSecurityContext(),
					Ports:        []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
					VolumeMounts: []corev1.VolumeMount{{Name: "config", MountPath: "/config", ReadOnly: true}}},
				{Name: "sidecar", Image: "registry.example/sidecar:1", SecurityContext: restrictedContainerSecurityContext()},
			},
			Volumes: []corev1.Volume{
				{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
			},
		},
	}
}

// containers returns pointers to every container, ephemeral ones included
// (as PSA visits them).
func genContainers(s *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range s.InitContainers {
		out = append(out, &s.InitContainers[i])
	}
	for i := range s.Containers {
		out = append(out, &s.Containers[i])
	}
	for i := range s.EphemeralContainers {
		out = append(out, (*corev1.Container)(&s.EphemeralContainers[i].EphemeralContainerCommon))
	}
	return out
}

func genSomeContainer(rng *rand.Rand, s *corev1.PodSpec) *corev1.Container {
	return genOneOf(rng, genContainers(s)...)
}

func genContainerSC(c *corev1.Container) *corev1.SecurityContext {
	if c.SecurityContext == nil {
		c.SecurityContext = &corev1.SecurityContext{}
	}
	return c.SecurityContext
}

func genPodSC(s *corev1.PodSpec) *corev1.PodSecurityContext {
	if s.SecurityContext == nil {
		s.SecurityContext = &corev1.PodSecurityContext{}
	}
	return s.SecurityContext
}

var (
	genCapabilities = []corev1.Capability{
		"NET_BIND_SERVICE", "net_bind_service", "CHOWN", "chown", "KILL", "AUDIT_WRITE", "SYS_ADMIN", "CAP_SYS_ADMIN",
		"NET_RAW", "NET_ADMIN", "SYS_PTRACE", "ALL", "all", "SYS_CHROOT", "BPF",
	}
	genDrops        = []corev1.Capability{"ALL", "all", "NET_RAW", "CHOWN", "SYS_ADMIN"}
	genSeccompTypes = []corev1.SeccompProfileType{
		corev1.SeccompProfileTypeRuntimeDefault, corev1.SeccompProfileTypeLocalhost, corev1.SeccompProfileTypeUnconfined, "", "Bogus",
	}
	genAppArmorTypes = []corev1.AppArmorProfileType{
		corev1.AppArmorProfileTypeRuntimeDefault, corev1.AppArmorProfileTypeLocalhost, corev1.AppArmorProfileTypeUnconfined, "",
	}
	genAppArmorAnnotations = []string{"runtime/default", "localhost/custom", "unconfined", "", "bogus", "docker/default"}
	genSELinuxTypes        = []string{"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", "spc_t", "unconfined_t"}
	genSysctls             = []string{
		"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
		"net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
		"net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem",
		"net.ipv4.tcp_wmem", "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
		"kernel.msgmax", "net.core.somaxconn", "vm.overcommit_memory", "kernel.shmmax", "net.ipv4.ip_forward",
	}
	genHostPaths = []string{"/", "/etc", "/var/run/docker.sock", "/run/containerd/containerd.sock", "/data", "/var/log", "/tmp/cache"}
)

// genVolumeSource returns a random volume source, allowed or not in restricted.
func genVolumeSource(rng *rand.Rand) corev1.VolumeSource {
	switch rng.IntN(18) {
	case 0, 1, 2:
		return corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: genOneOf(rng, genHostPaths...)}}
	case 3:
		return corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}
	case 4:
		return corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "c"}}
	case 5:
		return corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{}}
	case 6:
		return corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{}}
	case 7:
		return corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "d"}}
	case 8:
		return corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}
	case 9:
		return corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "registry.example/data:1"}}
	case 10:
		return corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs", Path: "/export"}}
	case 11:
		return corev1.VolumeSource{GitRepo: &corev1.GitRepoVolumeSource{Repository: "https://example.com/r.git"}}
	case 12:
		return corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{TargetPortal: "t", IQN: "i"}}
	case 13:
		return corev1.VolumeSource{AWSElasticBlockStore: &corev1.AWSElasticBlockStoreVolumeSource{VolumeID: "v"}}
	case 14:
		return corev1.VolumeSource{FlexVolume: &corev1.FlexVolumeSource{Driver: "d"}}
	case 15:
		return corev1.VolumeSource{CephFS: &corev1.CephFSVolumeSource{Monitors: []string{"m"}}}
	case 16:
		return corev1.VolumeSource{} // defaulted to emptyDir by the API server
	default:
		return corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	}
}

func genHandlerHost(rng *rand.Rand) (*corev1.HTTPGetAction, *corev1.TCPSocketAction, *corev1.GRPCAction) {
	host := genOneOf(rng, "", "", "169.254.169.254", "localhost")
	switch rng.IntN(3) {
	case 0:
		return &corev1.HTTPGetAction{Host: host, Path: "/healthz"}, nil, nil
	case 1:
		return nil, &corev1.TCPSocketAction{Host: host}, nil
	default:
		return nil, nil, &corev1.GRPCAction{Port: 9000}
	}
}

// pssMutations tweak one aspect of a pod each.
var pssMutations = []func(rng *rand.Rand, p *corev1.Pod){
	func(rng *rand.Rand, p *corev1.Pod) { // privileged
		genContainerSC(genSomeContainer(rng, &p.Spec)).Privileged = genMaybe(rng, true, false)
	},
	func(rng *rand.Rand, p *corev1.Pod) { // host namespaces
		v := rng.IntN(3) > 0
		switch rng.IntN(3) {
		case 0:
			p.Spec.HostNetwork = v
		case 1:
			p.Spec.HostPID = v
		default:
			p.Spec.HostIPC = v
		}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // volumes
		name := fmt.Sprintf("vol%d", len(p.Spec.Volumes))
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: genVolumeSource(rng)})
		c := genSomeContainer(rng, &p.Spec)
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: "/mnt/" + name, ReadOnly: rng.IntN(2) == 0})
	},
	func(rng *rand.Rand, p *corev1.Pod) { // ports
		c := genSomeContainer(rng, &p.Spec)
		c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: 9090, HostPort: genOneOf[int32](rng, 0, 0, 80, 9090, -1)})
	},
	func(rng *rand.Rand, p *corev1.Pod) { // capabilities
		sc := genContainerSC(genSomeContainer(rng, &p.Spec))
		if rng.IntN(6) == 0 {
			sc.Capabilities = nil
			return
		}
		caps := &corev1.Capabilities{}
		for range rng.IntN(3) {
			caps.Add = append(caps.Add, genOneOf(rng, genCapabilities...))
		}
		for range rng.IntN(3) {
			caps.Drop = append(caps.Drop, genOneOf(rng, genDrops...))
		}
		sc.Capabilities = caps
	},
	func(rng *rand.Rand, p *corev1.Pod) { // seccomp, pod level
		if rng.IntN(3) == 0 {
			genPodSC(&p.Spec).SeccompProfile = nil
			return
		}
		genPodSC(&p.Spec).SeccompProfile = &corev1.SeccompProfile{Type: genOneOf(rng, genSeccompTypes...)}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // seccomp, container level
		sc := genContainerSC(genSomeContainer(rng, &p.Spec))
		if rng.IntN(4) == 0 {
			sc.SeccompProfile = nil
			return
		}
		sc.SeccompProfile = &corev1.SeccompProfile{Type: genOneOf(rng, genSeccompTypes...)}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // legacy seccomp annotations: ignored by PSA since v1.19
		p.Annotations["seccomp.security.alpha.kubernetes.io/pod"] = genOneOf(rng, "unconfined", "runtime/default")
		p.Annotations["container.seccomp.security.alpha.kubernetes.io/app"] = "unconfined"
	},
	func(rng *rand.Rand, p *corev1.Pod) { // AppArmor fields
		profile := &corev1.AppArmorProfile{Type: genOneOf(rng, genAppArmorTypes...)}
		if profile.Type == corev1.AppArmorProfileTypeLocalhost {
			profile.LocalhostProfile = genPtr("custom")
		}
		if rng.IntN(2) == 0 {
			genPodSC(&p.Spec).AppArmorProfile = profile
		} else {
			genContainerSC(genSomeContainer(rng, &p.Spec)).AppArmorProfile = profile
		}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // AppArmor annotations
		name := genOneOf(rng, "app", "sidecar", "init", "ghost")
		p.Annotations["container.apparmor.security.beta.kubernetes.io/"+name] = genOneOf(rng, genAppArmorAnnotations...)
	},
	func(rng *rand.Rand, p *corev1.Pod) { // SELinux
		opts := &corev1.SELinuxOptions{Type: genOneOf(rng, genSELinuxTypes...), Level: genOneOf(rng, "", "s0:c1,c2")}
		if rng.IntN(5) == 0 {
			opts.User = "system_u"
		}
		if rng.IntN(5) == 0 {
			opts.Role = "system_r"
		}
		if rng.IntN(2) == 0 {
			genPodSC(&p.Spec).SELinuxOptions = opts
		} else {
			genContainerSC(genSomeContainer(rng, &p.Spec)).SELinuxOptions = opts
		}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // procMount
		genContainerSC(genSomeContainer(rng, &p.Spec)).ProcMount = genMaybe(rng, corev1.DefaultProcMount, corev1.UnmaskedProcMount, corev1.UnmaskedProcMount, "")
	},
	func(rng *rand.Rand, p *corev1.Pod) { // sysctls
		sc := genPodSC(&p.Spec)
		sc.Sysctls = nil
		for range 1 + rng.IntN(2) {
			sc.Sysctls = append(sc.Sysctls, corev1.Sysctl{Name: genOneOf(rng, genSysctls...), Value: "1"})
		}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // Windows HostProcess
		opts := &corev1.WindowsSecurityContextOptions{HostProcess: genMaybe(rng, true, false)}
		if rng.IntN(2) == 0 {
			genPodSC(&p.Spec).WindowsOptions = opts
		} else {
			genContainerSC(genSomeContainer(rng, &p.Spec)).WindowsOptions = opts
		}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // runAsNonRoot
		if rng.IntN(2) == 0 {
			genPodSC(&p.Spec).RunAsNonRoot = genMaybe(rng, true, false)
		} else {
			genContainerSC(genSomeContainer(rng, &p.Spec)).RunAsNonRoot = genMaybe(rng, true, false)
		}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // runAsUser, runAsGroup, fsGroup
		switch rng.IntN(4) {
		case 0:
			genPodSC(&p.Spec).RunAsUser = genMaybe[int64](rng, 0, 1000)
		case 1:
			genContainerSC(genSomeContainer(rng, &p.Spec)).RunAsUser = genMaybe[int64](rng, 0, 1000)
		case 2:
			genPodSC(&p.Spec).RunAsGroup = genMaybe[int64](rng, 0, 1000)
			genPodSC(&p.Spec).FSGroup = genMaybe[int64](rng, 0, 1000)
		default:
			genContainerSC(genSomeContainer(rng, &p.Spec)).RunAsGroup = genMaybe[int64](rng, 0, 1000)
		}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // allowPrivilegeEscalation
		genContainerSC(genSomeContainer(rng, &p.Spec)).AllowPrivilegeEscalation = genMaybe(rng, true, false)
	},
	func(rng *rand.Rand, p *corev1.Pod) { // probes and lifecycle hooks
		c := genSomeContainer(rng, &p.Spec)
		http, tcp, grpc := genHandlerHost(rng)
		switch rng.IntN(5) {
		case 0:
			c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: http, TCPSocket: tcp, GRPC: grpc}}
		case 1:
			c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: http, TCPSocket: tcp, GRPC: grpc}}
		case 2:
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: http, TCPSocket: tcp, GRPC: grpc}}
		case 3:
			c.Lifecycle = &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{HTTPGet: http, TCPSocket: tcp}}
		default:
			c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: http, TCPSocket: tcp}}
		}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // operating system
		switch rng.IntN(3) {
		case 0:
			p.Spec.OS = nil
		case 1:
			p.Spec.OS = &corev1.PodOS{Name: corev1.Linux}
		default:
			p.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
		}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // user namespace
		p.Spec.HostUsers = genMaybe(rng, true, false, false)
	},
	func(rng *rand.Rand, p *corev1.Pod) { // more containers, hardened or not
		c := corev1.Container{Name: fmt.Sprintf("extra%d", len(genContainers(&p.Spec))), Image: "registry.example/x:1"}
		if rng.IntN(3) > 0 {
			c.SecurityContext = restrictedContainerSecurityContext()
		}
		switch rng.IntN(3) {
		case 0:
			p.Spec.InitContainers = append(p.Spec.InitContainers, c)
		case 1:
			p.Spec.Containers = append(p.Spec.Containers, c)
		default:
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(c)})
		}
	},
	func(rng *rand.Rand, p *corev1.Pod) { // no security context at all
		if rng.IntN(3) == 0 {
			p.Spec.SecurityContext = nil
		} else {
			genSomeContainer(rng, &p.Spec).SecurityContext = nil
		}
	},
}

// generatePod returns the restricted pod with one to five random tweaks.
func generatePod(rng *rand.Rand, i int) *corev1.Pod {
	p := restrictedPod()
	p.Name = fmt.Sprintf("p%d", i)
	if i == 0 {
		return p
	}
	for range 1 + rng.IntN(5) {
		genOneOf(rng, pssMutations...)(rng, p)
	}
	return p
}

func TestPodSecurityLevel(t *testing.T) {
	tests := []struct {
		name, manifest, want string
		reason               *regexp.Regexp
	}{
		{name: "restricted", want: "restricted", manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: a
        image: x
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
`},
		{name: "baseline", want: "baseline", reason: regexp.MustCompile(`allowPrivilegeEscalation`), manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    ports: [{containerPort: 80, hostPort: 0}]
    securityContext: {capabilities: {add: [CHOWN]}}
`},
		{name: "privileged", want: "privileged", reason: regexp.MustCompile(`host namespaces`), manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostPID: true
  containers:
  - {name: a, image: x}
`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, notes := inventory.ParseBytes("test.yaml", []byte(strings.TrimLeft(tc.manifest, "\n")), inventory.Limits{})
			if len(notes) > 0 || len(objs) != 1 {
				t.Fatalf("fixture does not parse: %+v", notes)
			}
			level, reasons, err := PodSecurityLevel(inventory.PodOf(objs[0]), "latest")
			if err != nil {
				t.Fatal(err)
			}
			if level != tc.want {
				t.Fatalf("level %q, want %q (reasons %q)", level, tc.want, reasons)
			}
			if tc.reason != nil && !tc.reason.MatchString(strings.Join(reasons, "; ")) {
				t.Errorf("reasons %q do not match %s", reasons, tc.reason)
			}
		})
	}
}
