package placement

import (
	"fmt"
	"strings"
	"testing"
)

// nodeYAML renders a Node with labels and taints (flow YAML).
func nodeYAML(name, labels, taints string) string {
	return fmt.Sprintf(`---
apiVersion: v1
kind: Node
metadata: {name: %s, labels: {%s}}
spec: {taints: [%s]}
`, name, labels, taints)
}

// podYAML renders a Pod bound to a node; owner is "Kind/name" or "".
func podYAML(ns, name, node, level, owner string, extra ...string) string {
	meta := ""
	if level != "" {
		meta = fmt.Sprintf("\n  labels: {rampart.dev/sensitivity: %s}", level)
	}
	if owner != "" {
		kind, oname, _ := strings.Cut(owner, "/")
		api := "apps/v1"
		if kind == "Node" {
			api = "v1"
		}
		meta += fmt.Sprintf("\n  ownerReferences: [{apiVersion: %s, kind: %s, name: %s, uid: u-%s, controller: true}]", api, kind, oname, oname)
	}
	return fmt.Sprintf(`---
apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: %s%s
spec: {nodeName: %s, containers: [{name: c, image: nginx}]}
%s
`, name, ns, meta, node, strings.Join(extra, "\n"))
}

const publicNode = "pool: public"
const publicTaint = "{key: pool, value: public, effect: NoSchedule}"

func TestNodeMixedLevels(t *testing.T) {
	rs := `---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: db-1
  namespace: vault
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: db, uid: u-db, controller: true}]
spec:
  selector: {matchLabels: {app: db}}
  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, image: pg}]}}
`
	runCases(t, "placement-node-mixed-levels", []placementCase{
		{name: "two levels on one node, level read through the owner", manifest: nodeYAML("n1", publicNode, publicTaint) +
			deploy("vault", "db", "restricted") + rs +
			podYAML("vault", "db-1-a", "n1", "", "ReplicaSet/db-1") +
			podYAML("vault", "db-1-b", "n1", "", "ReplicaSet/db-1") +
			podYAML("shop", "web", "n1", "public", ""),
			want:     []string{"Node/n1 metadata high"},
			contains: []string{`node "n1" (pool public) runs Pods of 2 sensitivity levels: public (1 Pod: shop/Pod/web), restricted (2 Pods: vault/Deployment/db)`}},
		{name: "pods without a level count", manifest: nodeYAML("n1", "", "") +
			podYAML("shop", "web", "n1", "public", "") + podYAML("shop", "job", "n1", "", ""),
			want: []string{"Node/n1 metadata high"}, contains: []string{"no level (1 Pod: shop/Pod/job)"}},
		{name: "system and finished pods do not count", manifest: nodeYAML("n1", "", "") +
			podYAML("shop", "web", "n1", "public", "") + podYAML("kube-system", "proxy", "n1", "", "") +
			podYAML("shop", "done", "n1", "restricted", "", "status: {phase: Succeeded}")},
		{name: "a node the inventory does not hold", manifest: podYAML("shop", "a", "ghost", "public", "") + podYAML("shop", "b", "ghost", "internal", ""),
			want: []string{"Node/ghost  high"}, contains: []string{`node "ghost" (no pool)`}},
		{name: "unbound pods", manifest: podYAML("shop", "a", "", "public", "") + podYAML("shop", "b", "", "internal", "")},
		{name: "levels off", off: true, manifest: podYAML("shop", "a", "n1", "public", "") + podYAML("shop", "b", "n1", "internal", "")},
	})
}

func TestPoolNodeUntainted(t *testing.T) {
	runCases(t, "placement-pool-node-untainted", []placementCase{
		{name: "pool labels, no taint", manifest: nodeYAML("n1", publicNode, ""),
			want: []string{"Node/n1 spec.taints medium"}, contains: []string{`node "n1" carries the labels of pool "public" (pool=public, taint pool=public:NoSchedule) but not its taint pool=public:NoSchedule (it has no taint)`}},
		{name: "taint with another effect", manifest: nodeYAML("n1", publicNode, "{key: pool, value: public, effect: PreferNoSchedule}"),
			want: []string{"Node/n1 spec.taints medium"}, contains: []string{"its taints: pool=public:PreferNoSchedule"}},
		{name: "tainted", manifest: nodeYAML("n1", publicNode, publicTaint)},
		{name: "half the restricted labels is not the pool", manifest: nodeYAML("n1", "pool: restricted", "")},
		{name: "restricted", manifest: nodeYAML("n1", "pool: restricted, tier: secure", "{key: restricted, value: \"true\", effect: NoExecute}")},
	})
}

func TestLevelNoNodes(t *testing.T) {
	runCases(t, "placement-level-no-nodes", []placementCase{
		{name: "only the public pool has nodes", manifest: nodeYAML("n1", publicNode, publicTaint) + nodeYAML("n2", "pool: restricted", ""),
			want:     []string{"SensitivityLevel/internal  medium", "SensitivityLevel/restricted  medium"},
			contains: []string{`level "restricted" has no nodes: none of the cluster's 2 nodes carries the labels of its pool "restricted" (pool=restricted,tier=secure`}},
		{name: "every pool has nodes", manifest: nodeYAML("n1", publicNode, "") + nodeYAML("n2", "pool: internal", "") + nodeYAML("n3", "pool: restricted, tier: secure", "")},
	})
}

func TestControlPlaneWorkload(t *testing.T) {
	cp := nodeYAML("cp1", "node-role.kubernetes.io/control-plane: \"\"", "") +
		nodeYAML("cp2", "", "{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}") + nodeYAML("w1", "", "")
	runCases(t, "placement-control-plane-workload", []placementCase{
		{name: "application pods on the control plane", off: true, manifest: cp + deploy("shop", "web", "") + `---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-1
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u-web, controller: true}]
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: nginx}]}}
` + podYAML("shop", "web-1-a", "cp1", "", "ReplicaSet/web-1") + podYAML("shop", "web-1-b", "cp2", "", "ReplicaSet/web-1") +
			podYAML("shop", "web-1-c", "w1", "", "ReplicaSet/web-1") + podYAML("shop", "lone", "cp2", "", ""),
			want:     []string{"shop/Deployment/web  medium", "shop/Pod/lone  medium"},
			contains: []string{`Deployment "web" has 2 Pods running on control-plane nodes cp1, cp2`, `Pod "lone" runs on control-plane node cp2`}},
		{name: "system, node-owned and finished pods", manifest: cp +
			podYAML("kube-system", "etcd-cp1", "cp1", "", "Node/cp1") +
			podYAML("shop", "static-cp1", "cp1", "", "Node/cp1") +
			podYAML("shop", "done", "cp1", "", "", "status: {phase: Failed}") +
			podYAML("shop", "worker", "w1", "", "")},
		{name: "a mirror pod in an application namespace", manifest: cp + `---
apiVersion: v1
kind: Pod
metadata: {name: static, namespace: shop, annotations: {kubernetes.io/config.mirror: abc}}
spec: {nodeName: cp1, containers: [{name: c, image: nginx}]}
`},
		{name: "no control-plane node", manifest: nodeYAML("w1", "", "") + podYAML("shop", "web", "w1", "", "")},
	})
}
