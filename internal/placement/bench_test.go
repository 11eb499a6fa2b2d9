package placement

import (
	"fmt"
	"testing"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// benchCluster generates a cluster of realistic shape: nodes in pools
// (one per level, each labelled and tainted), namespaces labelled with a
// level, Deployments → ReplicaSets → Pods bound to nodes of their pool,
// and one Pod in a hundred bound to a node of the next pool, so that the
// mixing checks have something to find.
func benchCluster(nodes, pods, pools, deployments int) (*inventory.Inventory, policy.Sensitivity) {
	s := policy.Sensitivity{LabelKey: "rampart.dev/sensitivity"}
	for i := range pools {
		name := fmt.Sprintf("level-%d", i)
		s.Levels = append(s.Levels, policy.Level{Name: name, NodePool: &policy.NodePool{
			NodeSelector: map[string]string{"pool": name},
			Taint:        &policy.Taint{Key: "pool", Value: name, Effect: "NoSchedule"},
		}})
	}
	inv := &inventory.Inventory{Cluster: &inventory.ClusterInfo{Version: "v1.37.2"}}
	obj := func(apiVersion, kind, ns, name string, labels map[string]string, typed runtime.Object) {
		inv.Objects = append(inv.Objects, &inventory.Object{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, Labels: labels, Typed: typed})
	}
	perPool := nodes / pools
	for i := range nodes {
		level := fmt.Sprintf("level-%d", i/perPool%pools)
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%05d", i), Labels: map[string]string{
			"pool": level, "kubernetes.io/os": "linux", "topology.kubernetes.io/zone": fmt.Sprintf("zone-%d", i%3)}},
			Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "pool", Value: level, Effect: corev1.TaintEffectNoSchedule}}}}
		obj("v1", "Node", "", n.Name, n.Labels, n)
	}
	namespaces := pools * 10
	for i := range namespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns-%03d", i), Labels: map[string]string{s.LabelKey: fmt.Sprintf("level-%d", i%pools)}}}
		obj("v1", "Namespace", "", ns.Name, ns.Labels, ns)
	}
	podsPer := pods / deployments
	pod := 0
	for d := range deployments {
		nsIdx := d % namespaces
		ns, levelIdx := fmt.Sprintf("ns-%03d", nsIdx), nsIdx%pools
		level := fmt.Sprintf("level-%d", levelIdx)
		spec := corev1.PodSpec{
			NodeSelector: map[string]string{"pool": level, "kubernetes.io/os": "linux"},
			Tolerations:  []corev1.Toleration{{Key: "pool", Operator: corev1.TolerationOpEqual, Value: level, Effect: corev1.TaintEffectNoSchedule}},
			Containers:   []corev1.Container{{Name: "app", Image: "registry.example.com/app:1.0"}},
		}
		if d%7 == 0 { // some use affinity instead, a few too loosely
			spec.NodeSelector = nil
			values := []string{level}
			if d%49 == 0 {
				values = append(values, fmt.Sprintf("level-%d", (levelIdx+1)%pools))
				spec.Tolerations = []corev1.Toleration{{Key: "pool", Operator: corev1.TolerationOpExists}}
			}
			spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
					{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: values},
					{Key: "topology.kubernetes.io/zone", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"zone-9"}},
				}}}}}}
		}
		name := fmt.Sprintf("app-%04d", d)
		labels := map[string]string{"app": name}
		dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("d-" + name)},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}}
		obj("apps/v1", "Deployment", ns, name, nil, dep)
		rsName := name + "-5d9f7"
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: rsName, Namespace: ns, UID: types.UID("r-" + name),
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: name, UID: dep.UID, Controller: ptrTrue()}}},
			Spec: appsv1.ReplicaSetSpec{Template: dep.Spec.Template}}
		obj("apps/v1", "ReplicaSet", ns, rsName, labels, rs)
		for p := range podsPer {
			node := fmt.Sprintf("node-%05d", levelIdx*perPool+(pod%perPool))
			if pod%100 == 0 { // misplaced, spread over the next pool's nodes
				node = fmt.Sprintf("node-%05d", (levelIdx+1)%pools*perPool+(pod/100)%perPool)
			}
			pn := fmt.Sprintf("%s-%d", rsName, p)
			po := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: pn, Namespace: ns, Labels: labels,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rsName, UID: rs.UID, Controller: ptrTrue()}}},
				Spec: withNodeName(spec, node), Status: corev1.PodStatus{Phase: corev1.PodRunning}}
			obj("v1", "Pod", ns, pn, labels, po)
			pod++
		}
	}
	return inv, s
}

func ptrTrue() *bool { t := true; return &t }

func withNodeName(s corev1.PodSpec, n string) corev1.PodSpec {
	s.NodeName = n
	return s
}

func TestBenchClusterShape(t *testing.T) {
	inv, s := benchCluster(100, 1000, 10, 50)
	cfg := &audit.Config{Sensitivity: s}
	res := audit.RunChecks(inv, cfg, Checks())
	counts := map[string]int{}
	for _, f := range res.Findings {
		counts[f.Check]++
	}
	// Pods 0, 100 … 900 (of Deployments 0, 5 … 45, levels 0 and 5) land on
	// ten different nodes of pools 1 and 6. Deployments 0 and 49 admit the
	// next pool through their affinity and tolerate every pool's taint:
	// level-0 tolerates the nine pools above it, level-9 none.
	want := map[string]int{"placement-node-mixed-levels": 10, "placement-outside-pool": 2, "placement-tolerates-higher-pool": 9}
	if fmt.Sprint(counts) != fmt.Sprint(want) || len(res.NotAssessed) != 0 {
		t.Errorf("findings per check: %v", counts)
	}
}

// BenchmarkPlacement runs every placement check on 150,000 Pods of 3,000
// Deployments on 5,000 Nodes in 10 pools.
func BenchmarkPlacement(b *testing.B) {
	inv, s := benchCluster(5000, 150000, 10, 3000)
	cfg := &audit.Config{Sensitivity: s}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res := audit.RunChecks(inv, cfg, Checks())
		if len(res.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
}
