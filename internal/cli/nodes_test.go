package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/testcluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

var updateNodesGolden = flag.Bool("update-nodes-golden", false, "rewrite testdata/nodes/*.golden")

type nodesJSON struct {
	APIVersion string `json:"apiVersion"`
	Sections   []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"sections"`
	NIST []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"nist"`
	Checks []struct {
		ID      string `json:"id"`
		CIS     string `json:"cis"`
		Status  string `json:"status"`
		Results []struct {
			Status  string `json:"status"`
			Value   string `json:"value"`
			Origin  string `json:"origin"`
			Message string `json:"message"`
			Place   struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"place"`
		} `json:"results"`
	} `json:"checks"`
	Findings []struct {
		Check    string   `json:"check"`
		Controls []string `json:"controls"`
	} `json:"findings"`
}

func (r nodesJSON) status(id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return "missing"
}

func nodesCheck(t *testing.T, args ...string) (int, nodesJSON, string) {
	t.Helper()
	code, out, errs := run(t, "", append([]string{"nodes", "check", "-o", "json"}, args...)...)
	var rep nodesJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON (exit %d): %v\n%s\nstderr: %s", code, err, out, errs)
	}
	return code, rep, errs
}

func TestNodesCheckExample(t *testing.T) {
	code, rep, _ := nodesCheck(t, "../../examples/nodes")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d", code, ExitFindings)
	}
	sections := map[string]string{}
	for _, s := range rep.Sections {
		sections[s.ID] = s.Status
	}
	want := map[string]string{"1.1": "not-assessed", "1.2": "fail", "1.3": "pass", "1.4": "fail", "2": "pass", "3.2": "fail", "4.1": "not-assessed", "4.2": "fail", "4.3": "fail"}
	for id, st := range want {
		if sections[id] != st {
			t.Errorf("section %s: %s, want %s", id, sections[id], st)
		}
	}
	if len(rep.NIST) != 2 || rep.NIST[0].ID != "4.3.5" || rep.NIST[0].Status != "fail" {
		t.Errorf("NIST summary: %+v", rep.NIST)
	}
	for _, f := range rep.Findings {
		if !slices.Contains(f.Controls, "NIST-800-190:4.3.5") || !strings.HasPrefix(f.Controls[len(f.Controls)-1], "CIS-K8S:") {
			t.Errorf("%s controls %v", f.Check, f.Controls)
		}
	}
	// Nothing is critical in the example: --fail-on critical passes.
	if code, _, _ := run(t, "", "nodes", "check", "--fail-on", "critical", "../../examples/nodes"); code != ExitOK {
		t.Errorf("--fail-on critical: exit %d", code)
	}
}

// TestNodesCheckText compares the text report with a golden file.
func TestNodesCheckText(t *testing.T) {
	code, out, errs := run(t, "", "nodes", "check", "--base-dir", ".", "testdata/nodes/worker")
	if code != ExitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden := filepath.Join("testdata", "nodes", "worker-check.golden")
	if *updateNodesGolden {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run TestNodesCheckText -update-nodes-golden)", err)
	}
	if out != string(want) {
		t.Errorf("text report differs from %s:\n%s", golden, out)
	}
}

// A kubelet flag given on the command line overrides the file.
func TestNodesCheckKubeletFlags(t *testing.T) {
	_, rep, _ := nodesCheck(t, "testdata/nodes/worker/config.yaml", "--kubelet-flags", "--anonymous-auth=false --authorization-mode=Webhook")
	for _, id := range []string{"kubelet-anonymous-auth", "kubelet-authz-always-allow"} {
		if st := rep.status(id); st != "pass" {
			t.Errorf("%s: %s, want pass (flag overrides the file)", id, st)
		}
	}
	_, rep, _ = nodesCheck(t, "testdata/nodes/worker/config.yaml")
	for _, c := range rep.Checks {
		if c.ID == "kubelet-anonymous-auth" {
			r := c.Results[0]
			if c.Status != "fail" || r.Origin != "file" || r.Place.Line != 5 || !strings.Contains(r.Message, "a flag would override") {
				t.Errorf("kubelet-anonymous-auth from the file: %+v", c)
			}
		}
		if strings.HasPrefix(c.CIS, "1.") && c.Status != "not-assessed" {
			t.Errorf("%s without control-plane input: %s", c.ID, c.Status)
		}
	}
}

func TestNodesCheckErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"nothing to check", []string{"nodes", "check"}, "nothing to check"},
		{"bundle and paths", []string{"nodes", "check", "--bundle", "x.json", "testdata/nodes"}, "not both"},
		{"bad output", []string{"nodes", "check", "-o", "sarif", "testdata/nodes/worker"}, "unknown format"},
		{"bad fail-on", []string{"nodes", "check", "--fail-on", "severe", "testdata/nodes/worker"}, "--fail-on"},
		{"missing bundle", []string{"nodes", "check", "--bundle", "testdata/nodes/none.json"}, "none.json"},
		{"not a bundle", []string{"nodes", "check", "--bundle", "testdata/nodes/worker/config.yaml"}, "not a valid node bundle"},
		{"broken file", []string{"nodes", "check", "testdata/nodes/broken-kubelet.yaml"}, "broken-kubelet.yaml:3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := run(t, "", c.args...)
			if code != ExitError || !strings.Contains(out+errs, c.msg) {
				t.Errorf("exit %d, output %q %q; want 2 and %q", code, out, errs, c.msg)
			}
		})
	}
}

// TestNodesCollectAndCheck collects a bundle from a fake node (a root
// directory and a /proc tree) and checks it, file permissions included.
func TestNodesCollectAndCheck(t *testing.T) {
	dir := t.TempDir()
	root, proc := filepath.Join(dir, "root"), filepath.Join(dir, "proc")
	write := func(p, content string, mode os.FileMode) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/passwd", fmt.Sprintf("root:x:%d:%d::/:/bin/sh\n", os.Getuid(), os.Getgid()), 0o644)
	write("etc/group", fmt.Sprintf("root:x:%d:\n", os.Getgid()), 0o644)
	write("var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n", 0o644)
	write("etc/kubernetes/kubelet.conf", "apiVersion: v1\nkind: Config\n", 0o600)
	if err := os.MkdirAll(filepath.Join(proc, "42"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proc, "42", "cmdline"), []byte("/usr/bin/kubelet\x00--config=/var/lib/kubelet/config.yaml\x00--read-only-port=10255\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "node.json")
	if code, _, errs := run(t, "", "nodes", "collect", "--root", root, "--proc", proc, "--hostname", "worker-1", "-o", bundle); code != 0 {
		t.Fatalf("collect exit %d: %s", code, errs)
	}
	if info, err := os.Stat(bundle); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("bundle file: %v %v", info, err)
	}
	code, rep, errs := nodesCheck(t, "--bundle", bundle)
	if code != ExitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := map[string]string{
		"kubelet-config-file-permissions": "fail", "kubelet-config-file-ownership": "pass",
		"kubelet-kubeconfig-permissions": "pass", "kubelet-read-only-port": "fail",
		"kubelet-anonymous-auth": "pass", "apiserver-manifest-permissions": "not-assessed",
	}
	for id, st := range want {
		if got := rep.status(id); got != st {
			t.Errorf("%s: %s, want %s", id, got, st)
		}
	}
	// The bundle can also come from standard input.
	data, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run(t, string(data), "nodes", "check", "--bundle", "-", "-o", "json"); code != ExitFindings || !strings.Contains(out, "NodeReport") {
		t.Errorf("bundle on stdin: exit %d", code)
	}
}

func TestNodesManifests(t *testing.T) {
	code, out, errs := run(t, "", "nodes", "manifests", "--image", "example.com/rampart:1.0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var ds appsv1.DaemonSet
	if err := yaml.UnmarshalStrict([]byte(out), &ds); err != nil {
		t.Fatal(err)
	}
	spec := ds.Spec.Template.Spec
	if !spec.HostPID || spec.HostNetwork || spec.HostIPC || spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("pod spec: hostPID %v hostNetwork %v hostIPC %v automount %v", spec.HostPID, spec.HostNetwork, spec.HostIPC, spec.AutomountServiceAccountToken)
	}
	ctr := spec.Containers[0]
	if ctr.Image != "example.com/rampart:1.0" || ctr.SecurityContext.Privileged != nil || len(ctr.SecurityContext.Capabilities.Add) != 0 || !*ctr.SecurityContext.ReadOnlyRootFilesystem {
		t.Errorf("container: %+v", ctr)
	}
	for _, m := range ctr.VolumeMounts {
		if !m.ReadOnly {
			t.Errorf("mount %s is writable", m.MountPath)
		}
	}
	for _, v := range spec.Volumes {
		if v.HostPath == nil {
			t.Errorf("volume %s is not a host path", v.Name)
		}
	}
}

// TestNodesAuditMirrorPods creates kubeadm-style mirror Pods in kube-system
// on a real API server and checks that audit reports exactly the flags that
// fail, on the Pods.
func TestNodesAuditMirrorPods(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	mirror := func(name, node, component string, args ...string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system",
				Labels:      map[string]string{"component": component, "tier": "control-plane"},
				Annotations: map[string]string{"kubernetes.io/config.mirror": "0123456789abcdef"}},
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{
				Name: component, Image: "registry.k8s.io/" + component + ":v1.37.2", Command: append([]string{component}, args...)}}},
		}
	}
	pods := []*corev1.Pod{
		mirror("nt-kube-apiserver-cp1", "nt-cp1", "kube-apiserver",
			"--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction", "--anonymous-auth=false",
			"--profiling=false", "--kubelet-client-certificate=/pki/kc.crt", "--kubelet-client-key=/pki/kc.key"),
		mirror("nt-kube-apiserver-cp2", "nt-cp2", "kube-apiserver",
			"--authorization-mode=RBAC", "--anonymous-auth=false", "--profiling=false",
			"--kubelet-client-certificate=/pki/kc.crt", "--kubelet-client-key=/pki/kc.key"),
		mirror("nt-kube-scheduler-cp1", "nt-cp1", "kube-scheduler", "--bind-address=0.0.0.0"),
	}
	for _, p := range pods {
		if _, err := cs.CoreV1().Pods("kube-system").Create(ctx, p, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, p := range pods {
			_ = cs.CoreV1().Pods("kube-system").Delete(context.Background(), p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		}
	})
	_, rep := runAudit(t, "--kubeconfig", c.Kubeconfig(t))
	var got []string
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Object.Name, "nt-") && (strings.HasPrefix(f.Check, "apiserver-") || strings.HasPrefix(f.Check, "scheduler-")) {
			got = append(got, f.Check+" "+f.Object.Name+" "+f.Severity)
		}
	}
	slices.Sort(got)
	var want []string
	for _, node := range []string{"cp1", "cp2"} {
		for _, id := range []string{
			"apiserver-always-pull-images low", "apiserver-audit-log-maxage low", "apiserver-audit-log-maxbackup low",
			"apiserver-audit-log-maxsize low", "apiserver-audit-log-path medium", "apiserver-audit-policy medium",
			"apiserver-client-ca medium", "apiserver-deny-external-ips low", "apiserver-encryption-config high",
			"apiserver-etcd-ca high", "apiserver-etcd-client-cert high", "apiserver-event-rate-limit low",
			"apiserver-extend-token-expiration low", "apiserver-kubelet-ca medium", "apiserver-service-account-key medium",
			"apiserver-tls-cert medium", "apiserver-tls-ciphers low",
		} {
			check, sev, _ := strings.Cut(id, " ")
			want = append(want, check+" nt-kube-apiserver-"+node+" "+sev)
		}
	}
	// cp2 lacks the Node authorizer and NodeRestriction: its nodes' kubelets are unrestricted.
	want = append(want, "apiserver-authz-node nt-kube-apiserver-cp2 high", "apiserver-node-restriction nt-kube-apiserver-cp2 high",
		"scheduler-bind-address nt-kube-scheduler-cp1 medium", "scheduler-profiling nt-kube-scheduler-cp1 low")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("audit findings on the mirror Pods:\n got  %q\n want %q", got, want)
	}
}

// The policy file turns CIS checks off and changes their severity.
func TestNodesCheckPolicy(t *testing.T) {
	pol := filepath.Join(t.TempDir(), "rampart.yaml")
	if err := os.WriteFile(pol, []byte("apiVersion: rampart.dev/v1alpha1\nkind: Policy\nchecks:\n  disable: [kubelet-read-only-port]\n  severity:\n    kubelet-anonymous-auth: low\n    kubelet-authz-always-allow: low\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, rep, errs := nodesCheck(t, "--policy", pol, "--fail-on", "medium", "testdata/nodes/worker")
	if code != ExitOK {
		t.Errorf("exit %d (%s): the remaining failures are low", code, errs)
	}
	if st := rep.status("kubelet-read-only-port"); st != "missing" {
		t.Errorf("disabled check reported: %s", st)
	}
	if st := rep.status("kubelet-anonymous-auth"); st != "fail" {
		t.Errorf("kubelet-anonymous-auth: %s", st)
	}
}

// kube-proxy's checks on files: its DaemonSet (kubectl get -o yaml) and
// its config.conf, before and after the remediation; and on a bundle,
// with the CNI files.
func TestNodesCheckKubeProxy(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ds := write("kube-proxy-ds.yaml", `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-proxy}}
  template:
    metadata: {labels: {k8s-app: kube-proxy}}
    spec:
      containers:
      - name: kube-proxy
        image: registry.k8s.io/kube-proxy:v1.37.2
        command: [/usr/local/bin/kube-proxy, --config=/var/lib/kube-proxy/config.conf, --hostname-override=$(NODE_NAME)]
`)
	conf := func(metrics string) string {
		return write("config.conf", "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmetricsBindAddress: "+metrics+"\n")
	}
	_, rep, _ := nodesCheck(t, ds, conf("0.0.0.0:10249"))
	if st := rep.status("kube-proxy-metrics-bind-address"); st != "fail" {
		t.Errorf("metrics on all interfaces: %s", st)
	}
	for _, c := range rep.Checks {
		if c.ID == "kube-proxy-metrics-bind-address" && (len(c.Results) != 1 || c.Results[0].Place.Line != 3 || !strings.HasSuffix(c.Results[0].Place.File, "config.conf")) {
			t.Errorf("result does not point at config.conf:3: %+v", c.Results)
		}
	}
	_, rep, _ = nodesCheck(t, ds, conf("127.0.0.1:10249"))
	if st := rep.status("kube-proxy-metrics-bind-address"); st != "pass" {
		t.Errorf("metrics on localhost: %s", st)
	}
	// The directory walk finds config.conf too.
	_, rep, _ = nodesCheck(t, dir)
	if st := rep.status("kube-proxy-metrics-bind-address"); st != "pass" {
		t.Errorf("directory: %s", st)
	}

	bundle := func(mode string) string {
		return write("node.json", `{"apiVersion":"rampart.dev/v1alpha1","kind":"NodeBundle","collectedAt":"2026-11-26T00:00:00Z",
"processes":[{"component":"kube-proxy","pid":7,"args":["kube-proxy","--kubeconfig=/var/lib/kube-proxy/kubeconfig.conf","--metrics-bind-address=0.0.0.0:10249"]}],
"files":[{"path":"/var/lib/kube-proxy/kubeconfig.conf","exists":true,"mode":"`+mode+`","uid":0,"gid":0,"owner":"root","group":"root"},
{"path":"/etc/cni/net.d/10-flannel.conflist","exists":true,"mode":"`+mode+`","uid":0,"gid":0,"owner":"root","group":"root"}]}`)
	}
	_, rep, _ = nodesCheck(t, "--bundle", bundle("0644"))
	for id, want := range map[string]string{"kube-proxy-kubeconfig-permissions": "fail", "kube-proxy-kubeconfig-ownership": "pass",
		"cni-files-permissions": "fail", "cni-files-ownership": "pass", "kube-proxy-metrics-bind-address": "fail"} {
		if st := rep.status(id); st != want {
			t.Errorf("bundle, mode 0644: %s is %s, want %s", id, st, want)
		}
	}
	_, rep, _ = nodesCheck(t, "--bundle", bundle("0600"))
	for _, id := range []string{"kube-proxy-kubeconfig-permissions", "cni-files-permissions"} {
		if st := rep.status(id); st != "pass" {
			t.Errorf("bundle, mode 0600: %s is %s", id, st)
		}
	}
}
