package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/testcluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
		Version  string `json:"version"`
		Snapshot string `json:"snapshot"`
		Sections []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"sections"`
		Nodes []struct {
			Name  string `json:"name"`
			Ready string `json:"ready"`
			Skew  string `json:"skew"`
		} `json:"nodes"`
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
