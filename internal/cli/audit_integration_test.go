package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/nodes"
	"github.com/rampart-dev/rampart/internal/testcluster"
	appsv1 "k8s.io/api/apps/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

func TestMain(m *testing.M) { testcluster.Main(m, testcluster.Options{}) }

type auditJSON struct {
	Findings []struct {
		Check  string `json:"check"`
		Object struct {
			Kind      string `json:"kind"`
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		} `json:"object"`
		Message  string `json:"message"`
		Severity string `json:"severity"`
	} `json:"findings"`
	Audit struct {
		Version       string `json:"version"`
		Snapshot      string `json:"snapshot"`
		KubeletConfig *struct {
			Nodes   int    `json:"nodes"`
			Read    int    `json:"read"`
			Warning string `json:"warning"`
		} `json:"kubeletConfig"`
		Sections []struct {
			ID          string `json:"id"`
			Status      string `json:"status"`
			Checks      int    `json:"checks"`
			Failed      int    `json:"failed"`
			NotAssessed int    `json:"notAssessed"`
			Passed      int    `json:"passed"`
		} `json:"sections"`
		Nodes []struct {
			Name  string `json:"name"`
			Ready string `json:"ready"`
			Skew  string `json:"skew"`
		} `json:"nodes"`
		NotAssessed []struct {
			Check  string `json:"check"`
			Object *struct {
				Kind      string `json:"kind"`
				Namespace string `json:"namespace"`
				Name      string `json:"name"`
			} `json:"object"`
			Resource string `json:"resource"`
			Reason   string `json:"reason"`
		} `json:"notAssessed"`
	} `json:"audit"`
}

// keys returns "check kind/namespace/name" for findings on the objects this
// test made (names with the "rt-" prefix), sorted.
func (r auditJSON) keys() []string {
	var out []string
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Object.Name, "rt-") || strings.HasPrefix(f.Object.Namespace, "rt-") {
			out = append(out, f.Check+" "+f.Object.Kind+"/"+f.Object.Namespace+"/"+f.Object.Name)
		}
	}
	slices.Sort(out)
	return out
}

func runAudit(t *testing.T, args ...string) (int, auditJSON) {
	t.Helper()
	code, out, errs := run(t, "", append([]string{"audit", "-o", "json"}, args...)...)
	var rep auditJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("audit output is not JSON (exit %d): %v\nstderr: %s", code, err, errs)
	}
	return code, rep
}

// TestAuditLiveAndSnapshot builds a small insecure cluster on a real API
// server, audits it, and checks the exact findings on what it made; then a
// snapshot of the same cluster must give the same findings offline.
func TestAuditLiveAndSnapshot(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.CreateNamespace(ctx, "rt-shop"))
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "rt-web", Namespace: "rt-shop"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27",
					SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}},
			},
		},
	}
	dep, err := cs.AppsV1().Deployments("rt-shop").Create(ctx, dep, metav1.CreateOptions{})
	must(err)
	// A Pod the Deployment owns: its findings are reported once, on the Deployment.
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "rt-web-1", Namespace: "rt-shop", Labels: map[string]string{"app": "web"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: ptr.To(true)}}},
		Spec: dep.Spec.Template.Spec,
	}
	_, err = cs.CoreV1().Pods("rt-shop").Create(ctx, pod, metav1.CreateOptions{})
	must(err)
	_, err = cs.CoreV1().ServiceAccounts("rt-shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "rt-builder"}}, metav1.CreateOptions{})
	must(err)
	_, err = cs.CoreV1().Secrets("rt-shop").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "rt-builder-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "rt-builder"}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{})
	must(err)
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "rt-anon-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "system:anonymous"}},
	}, metav1.CreateOptions{})
	must(err)
	node, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "rt-node-old"}}, metav1.CreateOptions{})
	must(err)
	node.Status = corev1.NodeStatus{
		NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.30.1", ContainerRuntimeVersion: "containerd://1.7.0"},
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse, LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
	}
	_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	must(err)

	kc := c.Kubeconfig(t)
	code, live := runAudit(t, "--kubeconfig", kc)
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d", code, ExitFindings)
	}
	got := live.keys()
	want := []string{
		"allow-privilege-escalation Deployment/rt-shop/rt-web",
		"anonymous-access ClusterRoleBinding//rt-anon-view",
		"automount-service-account-token Deployment/rt-shop/rt-web",
		"cap-net-raw Deployment/rt-shop/rt-web",
		"capabilities-drop-all Deployment/rt-shop/rt-web",
		"cpu-limits-missing Deployment/rt-shop/rt-web",
		"cpu-requests-missing Deployment/rt-shop/rt-web",
		"default-sa-automount ServiceAccount/rt-shop/default",
		"default-service-account Deployment/rt-shop/rt-web",
		"legacy-token-secret Secret/rt-shop/rt-builder-token",
		"liveness-probe-missing Deployment/rt-shop/rt-web",
		"memory-limits-missing Deployment/rt-shop/rt-web",
		"memory-requests-missing Deployment/rt-shop/rt-web",
		"namespace-no-networkpolicy Namespace//rt-shop",
		"namespace-no-pod-security Namespace//rt-shop",
		"node-not-ready Node//rt-node-old",
		"node-version-skew Node//rt-node-old",
		"privileged-container Deployment/rt-shop/rt-web",
		"read-only-root-filesystem Deployment/rt-shop/rt-web",
		"readiness-probe-missing Deployment/rt-shop/rt-web",
		"run-as-non-root Deployment/rt-shop/rt-web",
		"seccomp-restricted Deployment/rt-shop/rt-web",
	}
	if !slices.Equal(got, want) {
		t.Errorf("live audit findings on the test objects:\n got  %q\n want %q", got, want)
	}
	for _, k := range got {
		if strings.Contains(k, "Pod/rt-shop/rt-web-1") {
			t.Errorf("controller-owned pod reported on its own: %s", k)
		}
	}
	if live.Audit.Version == "" || len(live.Audit.Sections) != 5 {
		t.Errorf("audit header: %+v", live.Audit)
	}
	for _, s := range live.Audit.Sections {
		if (s.ID == "4.3.2" || s.ID == "4.3.3" || s.ID == "4.3.5") && s.Status != "fail" {
			t.Errorf("section %s is %s, want fail", s.ID, s.Status)
		}
	}

	snap := filepath.Join(t.TempDir(), "cluster.yaml")
	if code, _, errs := run(t, "", "snapshot", "--kubeconfig", kc, "-o", snap); code != 0 {
		t.Fatalf("snapshot exit %d: %s", code, errs)
	}
	// Two reads of a live cluster a moment apart: ages may differ, the
	// findings may not.
	_, offline := runAudit(t, "--snapshot", snap)
	if !slices.Equal(offline.keys(), got) {
		t.Errorf("snapshot audit differs from the live audit:\nlive:\n%s\nsnapshot:\n%s", strings.Join(got, "\n"), strings.Join(offline.keys(), "\n"))
	}
	if offline.Audit.Snapshot == "" {
		t.Error("snapshot audit does not name its snapshot")
	}
}

// Faults are one line on stderr and exit 2.
func TestAuditFaults(t *testing.T) {
	dir := t.TempDir()
	notSnap := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(notSnap, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unreachable := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(unreachable, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string][]string{
		"not a snapshot": {"audit", "--snapshot", notSnap},
		"unreachable":    {"audit", "--kubeconfig", unreachable, "--timeout", "20s"},
		"no context":     {"audit", "--kubeconfig", unreachable, "--context", "nope"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			code, _, errs := run(t, "", args...)
			if code != ExitError {
				t.Errorf("exit %d, want %d", code, ExitError)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.HasPrefix(errs, "rampart: ") || strings.Contains(errs, "goroutine") {
				t.Errorf("stderr is not one line: %q", errs)
			}
			if time.Since(start) > 30*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
		})
	}
}

// fakeKubelet serves config as a kubelet's /configz answer, after delay.
func fakeKubelet(t *testing.T, ip string, delay time.Duration, config map[string]any) int32 {
	t.Helper()
	body, err := json.Marshal(map[string]any{"kubeletconfig": config})
	if err != nil {
		t.Fatal(err)
	}
	return testcluster.FakeKubelet(t, ip, delay, string(body))
}

// kubeadmKubelet is the effective configuration of a kubeadm kubelet
// (v1.37), as its /configz serves it, with changes.
func kubeadmKubelet(changes map[string]any) map[string]any {
	c := map[string]any{
		"enableServer": true, "staticPodPath": "/etc/kubernetes/manifests", "address": "0.0.0.0", "port": 10250,
		"rotateCertificates": true,
		"authentication": map[string]any{"x509": map[string]any{"clientCAFile": "/etc/kubernetes/pki/ca.crt"},
			"webhook": map[string]any{"enabled": true, "cacheTTL": "2m0s"}, "anonymous": map[string]any{"enabled": false}},
		"authorization":                  map[string]any{"mode": "Webhook", "webhook": map[string]any{"cacheAuthorizedTTL": "5m0s", "cacheUnauthorizedTTL": "30s"}},
		"healthzPort":                    10248,
		"healthzBindAddress":             "127.0.0.1",
		"clusterDomain":                  "cluster.local",
		"clusterDNS":                     []string{"10.96.0.10"},
		"streamingConnectionIdleTimeout": "4h0m0s",
		"cgroupDriver":                   "systemd",
		"makeIPTablesUtilChains":         true,
		"podPidsLimit":                   -1,
		"seccompDefault":                 false,
		"failSwapOn":                     true,
		"containerRuntimeEndpoint":       "unix:///var/run/containerd/containerd.sock",
	}
	for k, v := range changes {
		c[k] = v
	}
	return c
}

// servingCSR creates a kubelet serving certificate request as node's
// kubelet would (as user system:node:NODE), approved or denied.
func servingCSR(t *testing.T, c *testcluster.Cluster, name, node string, approve bool) {
	t.Helper()
	ctx := t.Context()
	ncs, err := kubernetes.NewForConfig(c.As("system:node:"+node, "system:nodes"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "system:node:" + node, Organization: []string{"system:nodes"}}, DNSNames: []string{node}}, key)
	if err != nil {
		t.Fatal(err)
	}
	request := &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: certificatesv1.CertificateSigningRequestSpec{Request: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: certificatesv1.KubeletServingSignerName,
			Usages:     []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth}},
	}
	// The binding that lets nodes request certificates reaches the RBAC
	// authorizer's cache a moment after it is created: retry while the
	// request is forbidden.
	var csr *certificatesv1.CertificateSigningRequest
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		csr, err = ncs.CertificatesV1().CertificateSigningRequests().Create(ctx, request, metav1.CreateOptions{})
		if err == nil || !apierrors.IsForbidden(err) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	cs := c.Client()
	t.Cleanup(func() {
		_ = cs.CertificatesV1().CertificateSigningRequests().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	cond := certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "Test"}
	if !approve {
		cond.Type = certificatesv1.CertificateDenied
	}
	csr.Status.Conditions = append(csr.Status.Conditions, cond)
	if _, err := cs.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, name, csr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// ours reports whether an object is one the kubelet test made.
func ours(kind, ns, name string) bool {
	return strings.HasPrefix(name, "rk-") || (ns == "kube-system" && kind == "DaemonSet" && name == "kube-proxy")
}

// nodeKeys returns "check kind/namespace/name" for findings on the test's
// objects, and "check kind/namespace/name: reason" for what was not
// assessed on them (or as a whole, for the node checks), both sorted.
func (r auditJSON) nodeKeys(checks map[string]bool) (findings, notAssessed []string) {
	for _, f := range r.Findings {
		if ours(f.Object.Kind, f.Object.Namespace, f.Object.Name) {
			findings = append(findings, f.Check+" "+f.Object.Kind+"/"+f.Object.Namespace+"/"+f.Object.Name)
		}
	}
	for _, n := range r.Audit.NotAssessed {
		switch {
		case n.Object != nil && ours(n.Object.Kind, n.Object.Namespace, n.Object.Name):
			notAssessed = append(notAssessed, n.Check+" "+n.Object.Kind+"/"+n.Object.Namespace+"/"+n.Object.Name+": "+n.Reason)
		case n.Object == nil && checks[n.Check]:
			notAssessed = append(notAssessed, n.Check+": "+n.Reason)
		}
	}
	slices.Sort(findings)
	slices.Sort(notAssessed)
	return findings, notAssessed
}

// TestAuditKubeletConfig audits nodes whose kubelet endpoints are test
// fixtures served through the API server's node proxy, a control-plane
// mirror Pod, kubeadm's kube-proxy DaemonSet and ConfigMap, and kubelet
// serving certificate requests, and checks the exact findings and
// not-assessed entries, live and from a snapshot.
func TestAuditKubeletConfig(t *testing.T) {
	c := testcluster.Shared(t)
	ip := testcluster.ProxyableIP(t)
	ctx := t.Context()
	cs := c.Client()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	testcluster.KubeletNode(t, c.Client(), "rk-open", ip, fakeKubelet(t, ip, 0, kubeadmKubelet(map[string]any{
		"authentication": map[string]any{"anonymous": map[string]any{"enabled": true}, "x509": map[string]any{"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
		"authorization":  map[string]any{"mode": "AlwaysAllow"},
		"readOnlyPort":   10255,
	})))
	testcluster.KubeletNode(t, c.Client(), "rk-secure", ip, fakeKubelet(t, ip, 0, kubeadmKubelet(map[string]any{
		"serverTLSBootstrap": true, "seccompDefault": true, "podPidsLimit": 4096,
		"tlsCipherSuites": []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	})))
	testcluster.KubeletNode(t, c.Client(), "rk-slow", ip, fakeKubelet(t, ip, time.Minute, kubeadmKubelet(nil)))
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	must(err)
	downPort := int32(l.Addr().(*net.TCPAddr).Port)
	must(l.Close())
	testcluster.KubeletNode(t, c.Client(), "rk-down", ip, downPort)
	// Without the Node authorizer, nodes need RBAC to request certificates.
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "rk-node-csr"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:node-bootstrapper"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:nodes"}}}, metav1.CreateOptions{})
	must(err)
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), "rk-node-csr", metav1.DeleteOptions{})
	})
	servingCSR(t, c, "rk-csr-down", "rk-down", true)
	servingCSR(t, c, "rk-csr-slow", "rk-slow", false)

	// A kube-apiserver mirror Pod, and kubeadm's kube-proxy.
	apiserver := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "rk-kube-apiserver-cp", Namespace: "kube-system",
			Annotations: map[string]string{"kubernetes.io/config.mirror": "0123"}, Labels: map[string]string{"component": "kube-apiserver"}},
		Spec: corev1.PodSpec{NodeName: "rk-cp", Containers: []corev1.Container{{Name: "kube-apiserver", Image: "registry.k8s.io/kube-apiserver:v1.37.2",
			Command: []string{"kube-apiserver", "--anonymous-auth=true", "--profiling=false", "--authorization-config=/etc/kubernetes/authz.yaml"}}}},
	}
	_, err = cs.CoreV1().Pods("kube-system").Create(ctx, apiserver, metav1.CreateOptions{})
	must(err)
	t.Cleanup(func() {
		_ = cs.CoreV1().Pods("kube-system").Delete(context.Background(), apiserver.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	})
	_, err = cs.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system"},
		Data: map[string]string{"config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nmetricsBindAddress: 0.0.0.0:10249\nmode: iptables\n"}},
		metav1.CreateOptions{})
	must(err)
	t.Cleanup(func() {
		_ = cs.CoreV1().ConfigMaps("kube-system").Delete(context.Background(), "kube-proxy", metav1.DeleteOptions{})
	})
	labels := map[string]string{"k8s-app": "kube-proxy"}
	_, err = cs.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system"},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "kube-proxy", Image: "registry.k8s.io/kube-proxy:v1.37.2",
				Command:      []string{"/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=$(NODE_NAME)"},
				VolumeMounts: []corev1.VolumeMount{{Name: "kube-proxy", MountPath: "/var/lib/kube-proxy"}}}},
				Volumes: []corev1.Volume{{Name: "kube-proxy", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: "kube-proxy"}}}}}}}}}, metav1.CreateOptions{})
	must(err)
	t.Cleanup(func() {
		_ = cs.AppsV1().DaemonSets("kube-system").Delete(context.Background(), "kube-proxy", metav1.DeleteOptions{})
	})

	kc := c.Kubeconfig(t)
	start := time.Now()
	code, live := runAudit(t, "--kubeconfig", kc, "--kubelet-config")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d", code, ExitFindings)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the audit took %s: the slow kubelet was not cut off", d)
	}
	// The node trust checks: the live kubelet checks, kube-proxy's, and
	// two of the API server's flags.
	var configzChecks []string
	checks := map[string]bool{"apiserver-anonymous-auth": true, "apiserver-profiling": true, "kubelet-serving-cert-rotation": true}
	for _, ch := range nodes.ConfigChecks() {
		switch nodes.InAudit(ch) {
		case "with --kubelet-config":
			configzChecks = append(configzChecks, ch.ID)
			checks[ch.ID] = true
		case "":
		default:
			if ch.Component == nodes.KubeProxy {
				checks[ch.ID] = true
			}
		}
	}
	slices.Sort(configzChecks)
	if len(configzChecks) != 12 {
		t.Fatalf("%d kubelet checks run on /configz, want 12: %q", len(configzChecks), configzChecks)
	}
	port := regexp.MustCompile(`:[0-9]+: connect`)
	keys := func(r auditJSON) (findings, notAssessed []string) {
		t.Helper()
		fs, na := r.nodeKeys(checks)
		for _, f := range fs {
			if checks[strings.Fields(f)[0]] {
				findings = append(findings, f)
			}
		}
		for _, n := range na {
			notAssessed = append(notAssessed, port.ReplaceAllString(n, ":PORT: connect"))
		}
		return findings, notAssessed
	}
	findings, notAssessed := keys(live)
	// rk-open keeps the kubeadm defaults that also fail
	// kubelet-pod-pids-limit, -seccomp-default, -tls-cert and -tls-ciphers
	// and serves a certificate of its own; every serving certificate
	// request of rk-slow was denied.
	wantF := []string{
		"apiserver-anonymous-auth Pod/kube-system/rk-kube-apiserver-cp",
		"kube-proxy-metrics-bind-address DaemonSet/kube-system/kube-proxy",
		"kubelet-anonymous-auth Node//rk-open",
		"kubelet-authz-always-allow Node//rk-open",
		"kubelet-pod-pids-limit Node//rk-open",
		"kubelet-read-only-port Node//rk-open",
		"kubelet-seccomp-default Node//rk-open",
		"kubelet-serving-cert-rotation Node//rk-open",
		"kubelet-serving-cert-rotation Node//rk-slow",
		"kubelet-tls-cert Node//rk-open",
		"kubelet-tls-ciphers Node//rk-open",
	}
	if !slices.Equal(findings, wantF) {
		t.Errorf("findings on the test objects:\n got  %q\n want %q", findings, wantF)
	}
	wantNA := []string{
		"apiserver-authz-always-allow Pod/kube-system/rk-kube-apiserver-cp: /etc/kubernetes/authz.yaml (the AuthorizationConfiguration) is not among the inputs",
		"apiserver-authz-node Pod/kube-system/rk-kube-apiserver-cp: /etc/kubernetes/authz.yaml (the AuthorizationConfiguration) is not among the inputs",
		"apiserver-authz-rbac Pod/kube-system/rk-kube-apiserver-cp: /etc/kubernetes/authz.yaml (the AuthorizationConfiguration) is not among the inputs",
	}
	for _, id := range configzChecks {
		wantNA = append(wantNA,
			id+" Node//rk-down: its kubelet configuration could not be read: unreachable: error trying to reach service: dial tcp "+ip+":PORT: connect: connection refused",
			id+" Node//rk-slow: its kubelet configuration could not be read: no answer within 5s")
	}
	slices.Sort(wantNA)
	if !slices.Equal(notAssessed, wantNA) {
		t.Errorf("not assessed on the test objects:\n got  %q\n want %q", notAssessed, wantNA)
	}
	if k := live.Audit.KubeletConfig; k == nil || k.Read < 2 || k.Nodes < 4 || !strings.Contains(k.Warning, "nodes/proxy") || !strings.Contains(k.Warning, "high-risk") {
		t.Errorf("the report does not say how the kubelets were read and that nodes/proxy is high-risk: %+v", k)
	}
	for _, sec := range live.Audit.Sections {
		if sec.ID == "4.3.5" && (sec.Status != "fail" || sec.NotAssessed == 0 || sec.Passed+sec.Failed+sec.NotAssessed != sec.Checks) {
			t.Errorf("4.3.5: %+v", sec)
		}
	}

	// The text report lists one line per node and reason.
	_, text, _ := run(t, "", "audit", "--kubeconfig", kc, "--kubelet-config", "--no-color")
	want := strings.Join(configzChecks, ", ") + ": Node/rk-slow: its kubelet configuration could not be read: no answer within 5s"
	if !strings.Contains(text, want) || !strings.Contains(text, "through the API server's node proxy; reading it needs get on nodes/proxy, which is itself a high-risk permission") {
		t.Errorf("text report lacks %q or the nodes/proxy warning:\n%s", want, text)
	}

	// A snapshot keeps the kubelets' answers: auditing it gives the same.
	snap := filepath.Join(t.TempDir(), "cluster.yaml")
	if code, _, errs := run(t, "", "snapshot", "--kubeconfig", kc, "--kubelet-config", "-o", snap); code != 0 {
		t.Fatalf("snapshot exit %d: %s", code, errs)
	}
	_, offline := runAudit(t, "--snapshot", snap)
	offF, offNA := keys(offline)
	if !slices.Equal(offF, findings) || !slices.Equal(offNA, notAssessed) {
		t.Errorf("snapshot audit differs from the live audit:\nfindings %q\nnot assessed %q", offF, offNA)
	}

	// Without --kubelet-config no kubelet is asked: the kubelet checks are
	// not assessed as a whole, and say how to assess them.
	_, plain := runAudit(t, "--kubeconfig", kc)
	_, na := keys(plain)
	for _, id := range configzChecks {
		i := slices.IndexFunc(na, func(s string) bool { return strings.HasPrefix(s, id+": ") })
		if i < 0 || !strings.Contains(na[i], "--kubelet-config") || !strings.Contains(na[i], "high-risk") {
			t.Errorf("%s without --kubelet-config: %q", id, na)
		}
	}
	if code, _, errs := run(t, "", "audit", "--snapshot", snap, "--kubelet-config"); code != ExitError || !strings.Contains(errs, "--kubelet-config") {
		t.Errorf("--snapshot with --kubelet-config: exit %d, %s", code, errs)
	}
}
