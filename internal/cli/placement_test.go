package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/testcluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

const (
	placementPolicy    = "testdata/placement/rampart.yaml"
	placementManifests = "testdata/placement/manifests"
)

// TestPlacementWorkloadView: from manifests, the pools each workload can
// land on, with the ones outside its level marked, and exit 1.
func TestPlacementWorkloadView(t *testing.T) {
	code, out, errs := run(t, "", "placement", "--policy", placementPolicy, placementManifests)
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d; stderr %s", code, ExitFindings, errs)
	}
	want := `WORKLOAD              LEVEL       INTERNAL  RESTRICTED  UNPOOLED
shop/Deployment/api   internal    yes       yes!        yes!
shop/Pod/debug        (none)      -         -           yes
vault/StatefulSet/db  restricted  -         yes         -
web/Deployment/api    public      -         -           yes

4 workloads, 1 can be scheduled outside their level's pool (yes!). See: rampart placement explain WORKLOAD
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}

	code, out, _ = run(t, "", "placement", "--policy", placementPolicy, "-o", "json", "-n", "vault", placementManifests)
	if code != ExitOK {
		t.Fatalf("exit %d for the vault namespace alone, want 0", code)
	}
	var v struct {
		View      string `json:"view"`
		Workloads []struct {
			Workload struct{ Kind, Name string }
			Level    string
			Pools    []struct {
				Name     string
				Outside  bool
				Decision struct {
					Fits   bool
					Reason string
					Path   string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if v.View != "workload" || len(v.Workloads) != 1 || v.Workloads[0].Workload.Name != "db" || len(v.Workloads[0].Pools) != 3 {
		t.Fatalf("json: %+v", v)
	}
	restricted := v.Workloads[0].Pools[1]
	if restricted.Name != "restricted" || !restricted.Decision.Fits || restricted.Decision.Path != "spec.template.spec.nodeSelector" {
		t.Errorf("restricted pool answer: %+v", restricted)
	}
}

func TestPlacementExplainOffline(t *testing.T) {
	code, out, errs := run(t, "", "placement", "explain", "--policy", placementPolicy, "deploy/shop/api", placementManifests)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, s := range []string{
		"shop/Deployment/api: level internal (from its own label)",
		`  restricted [pool "restricted" (pool=restricted, taint pool=restricted:NoExecute)]: yes, outside its level's pool`,
		"nothing in the pod spec selects nodes (no nodeSelector, no required node affinity); tolerations[0] (pool Exists, <any effect>) tolerates taint pool=restricted:NoExecute",
		"(unpooled) [unpooled nodes (no pool's labels, no taint)]: yes, outside its level's pool",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("explain output lacks %q:\n%s", s, out)
		}
	}
	// The DoesNotExist term keeps web/api off every pool, and says so.
	_, out, _ = run(t, "", "placement", "explain", "--policy", placementPolicy, "web/api", placementManifests)
	if !strings.Contains(out, "taint pool=internal:NoSchedule is not tolerated; and term 0: matchExpressions[0] pool DoesNotExist excludes the label pool=internal") ||
		!strings.Contains(out, "decided by spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0] at "+filepath.Join(placementManifests, "apps.yaml")+":56") {
		t.Errorf("explain web/api:\n%s", out)
	}
}

func TestPlacementUsageErrors(t *testing.T) {
	tests := map[string][]string{
		"no levels":          {"placement", "--policy", "testdata/placement/nolevels.yaml", placementManifests},
		"bad --by":           {"placement", "--policy", placementPolicy, "--by", "zone", placementManifests},
		"bad output":         {"placement", "--policy", placementPolicy, "-o", "yaml", placementManifests},
		"no such workload":   {"placement", "explain", "--policy", placementPolicy, "shop/nope", placementManifests},
		"ambiguous workload": {"placement", "explain", "--policy", placementPolicy, "api", placementManifests},
		"bad kind":           {"placement", "explain", "--policy", placementPolicy, "service/shop/api", placementManifests},
		"paths and snapshot": {"placement", "--policy", placementPolicy, "--snapshot", "x.yaml", placementManifests},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, errs := run(t, "", args...)
			if code != ExitError || !strings.HasPrefix(errs, "rampart: ") {
				t.Errorf("exit %d, stderr %q", code, errs)
			}
		})
	}
	_, _, errs := run(t, "", "placement", "explain", "--policy", placementPolicy, "api", placementManifests)
	if !strings.Contains(errs, "Deployment/shop/api, Deployment/web/api") {
		t.Errorf("ambiguity does not list the candidates: %s", errs)
	}
}

// TestPlacementLive builds node pools and bound Pods on a real API server
// (no scheduler runs: spec.nodeName binds them) and checks the audit's
// exact placement findings and the placement tables.
func TestPlacementLive(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Pools use a label key of their own, so that nodes other tests make
	// belong to no pool.
	policyFile := filepath.Join(t.TempDir(), "rampart.yaml")
	must(os.WriteFile(policyFile, []byte(`apiVersion: rampart.dev/v1alpha1
kind: Policy
sensitivity:
  labelKey: pl.rampart.test/level
  levels:
  - name: pl-public
    nodePool:
      nodeSelector: {pl.rampart.test/pool: public}
      taint: {key: pl.rampart.test/pool, value: public, effect: NoSchedule}
  - name: pl-restricted
    nodePool:
      nodeSelector: {pl.rampart.test/pool: restricted}
      taint: {key: pl.rampart.test/pool, value: restricted, effect: NoExecute}
  - name: pl-secret
    nodePool:
      nodeSelector: {pl.rampart.test/pool: secret}
`), 0o644))
	poolTaint := func(v string, e corev1.TaintEffect) []corev1.Taint {
		return []corev1.Taint{{Key: "pl.rampart.test/pool", Value: v, Effect: e}}
	}
	nodes := []*corev1.Node{
		{ObjectMeta: metav1.ObjectMeta{Name: "pl-pub-1", Labels: map[string]string{"pl.rampart.test/pool": "public"}}, Spec: corev1.NodeSpec{Taints: poolTaint("public", corev1.TaintEffectNoSchedule)}},
		{ObjectMeta: metav1.ObjectMeta{Name: "pl-pub-2", Labels: map[string]string{"pl.rampart.test/pool": "public"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "pl-res-1", Labels: map[string]string{"pl.rampart.test/pool": "restricted"}}, Spec: corev1.NodeSpec{Taints: poolTaint("restricted", corev1.TaintEffectNoExecute)}},
		{ObjectMeta: metav1.ObjectMeta{Name: "pl-cp-1", Labels: map[string]string{"node-role.kubernetes.io/control-plane": ""}}, Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}}}},
	}
	for _, n := range nodes {
		_, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		must(err)
	}
	for ns, level := range map[string]string{"pl-shop": "pl-public", "pl-vault": "pl-restricted"} {
		must(c.CreateNamespace(ctx, ns))
		n, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		must(err)
		n.Labels["pl.rampart.test/level"] = level
		_, err = cs.CoreV1().Namespaces().Update(ctx, n, metav1.UpdateOptions{})
		must(err)
	}
	// vault/db: pinned to the restricted pool; two replicas, one of them
	// (wrongly) bound to a public node.
	dbSpec := corev1.PodSpec{
		NodeSelector: map[string]string{"pl.rampart.test/pool": "restricted"},
		Tolerations:  []corev1.Toleration{{Key: "pl.rampart.test/pool", Operator: corev1.TolerationOpEqual, Value: "restricted", Effect: corev1.TaintEffectNoExecute}},
		Containers:   []corev1.Container{{Name: "db", Image: "postgres:17"}},
	}
	db, err := cs.AppsV1().StatefulSets("pl-vault").Create(ctx, &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "pl-db"},
		Spec: appsv1.StatefulSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "db"}}, Spec: dbSpec},
		},
	}, metav1.CreateOptions{})
	must(err)
	owned := []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: db.Name, UID: db.UID, Controller: ptr.To(true)}}
	pods := []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "pl-db-0", Namespace: "pl-vault", Labels: map[string]string{"app": "db"}, OwnerReferences: owned}, Spec: withNode(dbSpec, "pl-res-1")},
		{ObjectMeta: metav1.ObjectMeta{Name: "pl-db-1", Namespace: "pl-vault", Labels: map[string]string{"app": "db"}, OwnerReferences: owned}, Spec: withNode(dbSpec, "pl-pub-2")},
		// shop/web: public, no selector, on a public node and on the control plane.
		{ObjectMeta: metav1.ObjectMeta{Name: "pl-web", Namespace: "pl-shop"}, Spec: corev1.PodSpec{NodeName: "pl-pub-2", Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "pl-web-cp", Namespace: "pl-shop"}, Spec: corev1.PodSpec{NodeName: "pl-cp-1", Containers: []corev1.Container{{Name: "web", Image: "nginx"}},
			Tolerations: []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists}}}},
	}
	for _, p := range pods {
		_, err := cs.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
		must(err)
	}
	// Leave the shared cluster as it was for the tests that follow: no
	// extra nodes, and no Pods bound to them.
	t.Cleanup(func() {
		now := metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}
		for _, p := range pods {
			_ = cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, now)
		}
		_ = cs.AppsV1().StatefulSets("pl-vault").Delete(ctx, "pl-db", now)
		for _, n := range nodes {
			_ = cs.CoreV1().Nodes().Delete(ctx, n.Name, now)
		}
		for _, ns := range []string{"pl-shop", "pl-vault"} {
			_ = cs.CoreV1().Namespaces().Delete(ctx, ns, now)
		}
	})

	kc := c.Kubeconfig(t)
	_, rep := runAudit(t, "--kubeconfig", kc, "--policy", policyFile)
	var got []string
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Check, "placement-") && (strings.HasPrefix(f.Object.Name, "pl-") || strings.HasPrefix(f.Object.Namespace, "pl-")) {
			got = append(got, fmt.Sprintf("%s %s/%s/%s %s", f.Check, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Severity))
		}
	}
	slices.Sort(got)
	want := []string{
		"placement-control-plane-workload Pod/pl-shop/pl-web-cp medium",
		"placement-level-no-nodes SensitivityLevel//pl-secret medium",
		"placement-node-mixed-levels Node//pl-pub-2 high",
		"placement-outside-pool Pod/pl-shop/pl-web high",
		"placement-outside-pool Pod/pl-shop/pl-web-cp high",
		"placement-pool-node-untainted Node//pl-pub-2 medium",
		"placement-pool-unreachable Pod/pl-shop/pl-web medium",
		"placement-pool-unreachable Pod/pl-shop/pl-web-cp medium",
	}
	if !slices.Equal(got, want) {
		t.Errorf("placement findings:\n got  %q\n want %q", got, want)
	}
	for _, f := range rep.Findings {
		if f.Check == "placement-node-mixed-levels" && f.Object.Name == "pl-pub-2" &&
			!strings.Contains(f.Message, `node "pl-pub-2" (pool pl-public) runs Pods of 2 sensitivity levels: pl-public (1 Pod: pl-shop/Pod/pl-web), pl-restricted (1 Pod: pl-vault/StatefulSet/pl-db)`) {
			t.Errorf("mixed-node message: %s", f.Message)
		}
	}

	// The node table: the mixed node is marked; the rows of other tests'
	// nodes are left out of the comparison.
	code, out, errs := run(t, "", "placement", "--kubeconfig", kc, "--policy", policyFile)
	if code != ExitFindings {
		t.Fatalf("placement exit %d: %s", code, errs)
	}
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "NODE") || strings.HasPrefix(l, "pl-") {
			rows = append(rows, strings.Join(strings.Fields(l), " "))
		}
	}
	wantRows := []string{
		"NODE POOL PL-PUBLIC PL-RESTRICTED PL-SECRET NONE SYSTEM MIXED",
		"pl-cp-1 (unpooled) (control plane) 1 - - - - ",
		"pl-pub-1 pl-public - - - - -",
		"pl-pub-2 pl-public 1 1 - - - MIXED",
		"pl-res-1 pl-restricted - 1 - - -",
	}
	for i := range wantRows {
		wantRows[i] = strings.TrimSpace(wantRows[i])
	}
	if !slices.Equal(rows, wantRows) {
		t.Errorf("node table rows:\n%s\nwant:\n%s\nfull output:\n%s", strings.Join(rows, "\n"), strings.Join(wantRows, "\n"), out)
	}

	// A snapshot of the same cluster gives the same table offline.
	snap := filepath.Join(t.TempDir(), "cluster.yaml")
	if code, _, errs := run(t, "", "snapshot", "--kubeconfig", kc, "-o", snap); code != 0 {
		t.Fatalf("snapshot exit %d: %s", code, errs)
	}
	_, offline, _ := run(t, "", "placement", "--snapshot", snap, "--policy", policyFile)
	if offline != out {
		t.Errorf("placement --snapshot differs from the live table:\n%s\nlive:\n%s", offline, out)
	}

	// By pool, as JSON.
	_, out, _ = run(t, "", "placement", "--kubeconfig", kc, "--policy", policyFile, "--by", "pool", "-o", "json")
	var pv struct {
		View  string
		Pools []struct {
			Pool  string
			Nodes int
			Mixed int `json:"mixedNodes"`
			Pods  map[string]int
		}
	}
	if err := json.Unmarshal([]byte(out), &pv); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if pv.View != "pool" || len(pv.Pools) != 4 || pv.Pools[0].Pool != "pl-public" || pv.Pools[0].Nodes != 2 || pv.Pools[0].Mixed != 1 ||
		pv.Pools[0].Pods["pl-restricted"] != 1 || pv.Pools[2].Nodes != 0 {
		t.Errorf("pool view: %+v", pv)
	}

	// Explain on the real nodes: the not-ready taint the API server adds
	// to new nodes keeps db off every node, and the answer names it.
	_, out, _ = run(t, "", "placement", "explain", "--kubeconfig", kc, "--policy", policyFile, "sts/pl-vault/pl-db")
	for _, s := range []string{
		"pl-vault/StatefulSet/pl-db: level pl-restricted (from its namespace's label)",
		"pl-res-1 [pool pl-restricted]: no",
		"taint node.kubernetes.io/not-ready:NoSchedule is not tolerated",
		"pl-pub-1 [pool pl-public]: no",
		"nodeSelector pl.rampart.test/pool=restricted does not match (node has pl.rampart.test/pool=public)",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("explain output lacks %q:\n%s", s, out)
		}
	}
}

func withNode(s corev1.PodSpec, node string) corev1.PodSpec {
	s.NodeName = node
	return s
}
