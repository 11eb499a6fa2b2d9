package placement

import (
	"slices"
	"sort"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
	corev1 "k8s.io/api/core/v1"
)

// NoLevel is the level key of Pods that carry no level.
const NoLevel = ""

// Layout is where Pods actually run: for every node, its pools and how
// many Pods of each level it hosts. It is built from Pods bound to nodes
// (spec.nodeName), so it describes a cluster, not manifests.
type Layout struct {
	// Levels are the level keys seen on some node, declared levels first
	// in policy order, then undeclared values, then NoLevel.
	Levels []string    `json:"levels"`
	Nodes  []*NodeLoad `json:"nodes"`
	// Unbound counts the non-system Pods that no node runs yet.
	Unbound int `json:"unbound"`
}

// NodeLoad is one node and the Pods it runs.
type NodeLoad struct {
	Name string `json:"name"`
	// Node is nil when Pods name a node the inventory does not hold.
	Node *inventory.Object `json:"-"`
	// Pools are the levels whose pool selector the node's labels match;
	// empty for an unpooled node.
	Pools        []string `json:"pools"`
	ControlPlane bool     `json:"controlPlane"`
	// Pods counts running non-system Pods per level key.
	Pods map[string]int `json:"pods"`
	// System counts Pods of the system namespaces, which belong to no level.
	System int `json:"system"`
	// Workloads samples, per level key, the workloads whose Pods run here.
	Workloads map[string][]string `json:"-"`
}

// Mixed reports whether the node runs Pods of more than one level (Pods
// without a level count as a level of their own: nothing says they
// belong with the others).
func (n *NodeLoad) Mixed() bool { return len(n.Pods) > 1 }

// Pool returns the node's pool for tables: its first pool, or Unpooled.
func (n *NodeLoad) Pool() string {
	if len(n.Pools) == 0 {
		return Unpooled
	}
	return n.Pools[0]
}

// maxSamples bounds the workload names kept per node and level.
const maxSamples = 3

// finished reports whether a Pod's containers have all stopped for good,
// so that it no longer occupies its node.
func finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// IsControlPlane reports whether a node is a control-plane node, by the
// role label or taint kubeadm and most installers set.
func IsControlPlane(n *corev1.Node) bool {
	for _, k := range controlPlaneKeys {
		if _, ok := n.Labels[k]; ok {
			return true
		}
	}
	for _, t := range n.Spec.Taints {
		if slices.Contains(controlPlaneKeys, t.Key) {
			return true
		}
	}
	return false
}

var controlPlaneKeys = []string{"node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"}

// BuildLayout reads the nodes and the Pods bound to them.
func BuildLayout(inv *inventory.Inventory, cfg *audit.Config) *Layout {
	s := &cfg.Sensitivity
	pools := Pools(s)
	byName := map[string]*NodeLoad{}
	l := &Layout{}
	for _, o := range inv.Objects {
		n, ok := o.Typed.(*corev1.Node)
		if !ok {
			continue
		}
		nl := &NodeLoad{Name: o.Name, Node: o, ControlPlane: IsControlPlane(n), Pods: map[string]int{}, Workloads: map[string][]string{}}
		for _, p := range pools {
			if p.Contains(n.Labels) {
				nl.Pools = append(nl.Pools, p.Level)
			}
		}
		byName[o.Name] = nl
		l.Nodes = append(l.Nodes, nl)
	}
	nss := namespaceIndex(inv)
	ow := newOwners(inv)
	levels := map[*inventory.Object]Level{}
	for _, o := range inv.Objects {
		pod, ok := o.Typed.(*corev1.Pod)
		if !ok {
			continue
		}
		system := slices.Contains(cfg.SystemNamespaces, o.Namespace)
		if pod.Spec.NodeName == "" {
			if !system && !finished(pod) {
				l.Unbound++
			}
			continue
		}
		if finished(pod) {
			continue
		}
		nl := byName[pod.Spec.NodeName]
		if nl == nil {
			nl = &NodeLoad{Name: pod.Spec.NodeName, Pods: map[string]int{}, Workloads: map[string][]string{}}
			byName[nl.Name] = nl
			l.Nodes = append(l.Nodes, nl)
		}
		if system {
			nl.System++
			continue
		}
		root := ow.root(o)
		lv, seen := levels[root]
		if !seen {
			lv = levelOf(s, root, inventory.PodOf(root), nss[namespaceOf(root)])
			levels[root] = lv
		}
		nl.Pods[lv.Name]++
		if ws := nl.Workloads[lv.Name]; len(ws) < maxSamples {
			name := root.Namespace + "/" + root.Kind + "/" + root.Name
			if !slices.Contains(ws, name) {
				nl.Workloads[lv.Name] = append(ws, name)
			}
		}
	}
	sort.Slice(l.Nodes, func(i, j int) bool { return l.Nodes[i].Name < l.Nodes[j].Name })
	l.Levels = levelKeys(s, l.Nodes)
	return l
}

// levelKeys orders the level keys present on the nodes.
func levelKeys(s *policy.Sensitivity, nodes []*NodeLoad) []string {
	seen := map[string]bool{}
	for _, n := range nodes {
		for k := range n.Pods {
			seen[k] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch r := s.Rank(k); {
		case k == NoLevel:
			return 1 << 30
		case r >= 0:
			return r
		default:
			return 1 << 20
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	return keys
}
