package placement

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func init() {
	registry.Register(
		&audit.Check{
			ID:    "placement-node-mixed-levels",
			Title: "Node runs workloads of several sensitivity levels",
			Description: "Fires on a node that runs Pods of more than one sensitivity level at once: the mixing NIST SP 800-190 3.3.4 warns about, where a compromise of the less sensitive workload puts the host, and so the more sensitive one, at risk. " +
				"Pods without a level count as a level of their own; Pods of the system namespaces and finished Pods are not counted. A Pod's level is read through the controller that owns it.",
			Severity:    finding.High,
			Remediation: "Pin each level's workloads to its own pool (nodeSelector and the pool's taint), then drain the node so that its Pods are placed again.",
			Controls:    controls,
			Section:     "4.3.4",
			Needs:       []string{"pods", "nodes", "namespaces"},
			Run:         runNodeMixedLevels,
		},
		&audit.Check{
			ID:          "placement-pool-node-untainted",
			Title:       "Pool node without the pool's taint",
			Description: "Fires on a node that carries a pool's labels but not the taint the policy declares for the pool (same key, value and effect): any workload that does not select another pool can then be scheduled on it.",
			Severity:    finding.Medium,
			Remediation: "Taint the node as the policy says, e.g. kubectl taint nodes NODE key=value:NoSchedule, and set the taint in the node pool's provisioning (kubelet --register-with-taints or the cloud node group).",
			Controls:    controls,
			Section:     "4.3.4",
			Needs:       []string{"nodes"},
			Run:         runPoolNodeUntainted,
		},
		&audit.Check{
			ID:          "placement-level-no-nodes",
			Title:       "Sensitivity level whose pool has no nodes",
			Description: "Fires on a level whose node pool matches no node of the cluster: the level's workloads cannot run where the policy says (they stay Pending, or run elsewhere if they do not select the pool). The finding names the level, not a Kubernetes object.",
			Severity:    finding.Medium,
			Remediation: "Label (and taint) the nodes of the level's pool as the policy declares, or correct the pool's nodeSelector in rampart.yaml.",
			Controls:    controls,
			Section:     "4.3.4",
			Needs:       []string{"nodes"},
			Run:         runLevelNoNodes,
		},
		&audit.Check{
			ID:    "placement-control-plane-workload",
			Title: "Workload running on a control-plane node",
			Description: "Fires on a workload with a Pod running on a control-plane node (label or taint node-role.kubernetes.io/control-plane, or the older node-role.kubernetes.io/master). " +
				"The control plane holds the cluster's keys; an application beside it shares its kernel. Pods of the system namespaces and static (mirror) Pods are skipped. Runs with or without sensitivity levels.",
			Severity:    finding.Medium,
			Remediation: "Keep application workloads off the control plane: remove tolerations of the node-role.kubernetes.io/control-plane taint and keep that taint on every control-plane node.",
			Controls:    controls,
			Section:     "4.3.4",
			Needs:       []string{"pods", "nodes"},
			Run:         runControlPlaneWorkload,
		},
	)
}

// nodeRef names a node, from the inventory when it holds it.
func nodeRef(n *NodeLoad) (finding.ObjectRef, finding.Place) {
	if n.Node != nil {
		return n.Node.Ref(), n.Node.Place("metadata")
	}
	return finding.ObjectRef{APIVersion: "v1", Kind: "Node", Name: n.Name}, finding.Place{}
}

func runNodeMixedLevels(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	if !cfg.Sensitivity.Enabled() {
		return nil
	}
	var out []finding.Finding
	for _, n := range BuildLayout(inv, cfg).Nodes {
		if !n.Mixed() {
			continue
		}
		ref, place := nodeRef(n)
		var parts []string
		for _, l := range levelKeys(&cfg.Sensitivity, []*NodeLoad{n}) {
			name := l
			if l == NoLevel {
				name = "no level"
			}
			pods := "Pods"
			if n.Pods[l] == 1 {
				pods = "Pod"
			}
			parts = append(parts, fmt.Sprintf("%s (%d %s: %s)", name, n.Pods[l], pods, strings.Join(n.Workloads[l], ", ")))
		}
		out = append(out, finding.Finding{
			Object:   ref,
			Place:    place,
			Severity: finding.High,
			Message:  fmt.Sprintf("node %q (%s) runs Pods of %d sensitivity levels: %s", n.Name, poolsText(n), len(n.Pods), strings.Join(parts, ", ")),
		})
	}
	return out
}

func poolsText(n *NodeLoad) string {
	if len(n.Pools) == 0 {
		return "no pool"
	}
	return "pool " + strings.Join(n.Pools, ", ")
}

func runPoolNodeUntainted(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	if !cfg.Sensitivity.Enabled() {
		return nil
	}
	pools := Pools(&cfg.Sensitivity)
	var out []finding.Finding
	for _, o := range inv.Objects {
		n, ok := o.Typed.(*corev1.Node)
		if !ok {
			continue
		}
		for _, p := range pools {
			if !p.Contains(n.Labels) {
				continue
			}
			for _, want := range p.Taints {
				if hasTaint(n.Spec.Taints, want) {
					continue
				}
				out = append(out, finding.Finding{
					Object:   o.Ref(),
					Place:    o.Place("spec.taints"),
					Severity: finding.Medium,
					Message:  fmt.Sprintf("node %q carries the labels of %s but not its taint %s%s", o.Name, p.String(), TaintString(want), taintsNote(n.Spec.Taints)),
				})
			}
		}
	}
	return out
}

func hasTaint(taints []corev1.Taint, want corev1.Taint) bool {
	for _, t := range taints {
		if t.Key == want.Key && t.Value == want.Value && t.Effect == want.Effect {
			return true
		}
	}
	return false
}

func taintsNote(ts []corev1.Taint) string {
	if len(ts) == 0 {
		return " (it has no taint)"
	}
	var s []string
	for _, t := range ts {
		s = append(s, TaintString(t))
	}
	return " (its taints: " + strings.Join(s, ", ") + ")"
}

func runLevelNoNodes(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	if !cfg.Sensitivity.Enabled() {
		return nil
	}
	var nodes []*corev1.Node
	for _, o := range inv.Objects {
		if n, ok := o.Typed.(*corev1.Node); ok {
			nodes = append(nodes, n)
		}
	}
	var out []finding.Finding
	for _, p := range Pools(&cfg.Sensitivity) {
		if slices.ContainsFunc(nodes, func(n *corev1.Node) bool { return p.Contains(n.Labels) }) {
			continue
		}
		out = append(out, finding.Finding{
			Object:   LevelRef(p.Level),
			Severity: finding.Medium,
			Message:  fmt.Sprintf("level %q has no nodes: none of the cluster's %d nodes carries the labels of its %s", p.Level, len(nodes), p.String()),
		})
	}
	return out
}

// LevelRef is what a finding about a sensitivity level (rather than a
// Kubernetes object) points at: the level as the policy declares it.
func LevelRef(level string) finding.ObjectRef {
	return finding.ObjectRef{APIVersion: "rampart.dev/v1", Kind: "SensitivityLevel", Name: level}
}

func runControlPlaneWorkload(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	cp := map[string]bool{}
	for _, o := range inv.Objects {
		if n, ok := o.Typed.(*corev1.Node); ok && IsControlPlane(n) {
			cp[o.Name] = true
		}
	}
	if len(cp) == 0 {
		return nil
	}
	ow := newOwners(inv)
	type hit struct {
		root  *inventory.Object
		nodes []string
		pods  int
	}
	hits := map[*inventory.Object]*hit{}
	var order []*inventory.Object
	for _, o := range inv.Objects {
		pod, ok := o.Typed.(*corev1.Pod)
		if !ok || !cp[pod.Spec.NodeName] || finished(pod) || slices.Contains(cfg.SystemNamespaces, o.Namespace) || mirror(pod) {
			continue
		}
		root := ow.root(o)
		h := hits[root]
		if h == nil {
			h = &hit{root: root}
			hits[root] = h
			order = append(order, root)
		}
		h.pods++
		if !slices.Contains(h.nodes, pod.Spec.NodeName) {
			h.nodes = append(h.nodes, pod.Spec.NodeName)
		}
	}
	var out []finding.Finding
	for _, r := range order {
		h := hits[r]
		sort.Strings(h.nodes)
		msg := fmt.Sprintf("%s %q has %d Pods running on control-plane nodes %s", r.Kind, r.Name, h.pods, sample(h.nodes, 5))
		switch {
		case r.Kind == "Pod":
			msg = fmt.Sprintf("Pod %q runs on control-plane node %s", r.Name, h.nodes[0])
		case h.pods == 1:
			msg = fmt.Sprintf("%s %q has a Pod running on control-plane node %s", r.Kind, r.Name, h.nodes[0])
		}
		out = append(out, finding.Finding{Object: r.Ref(), Place: r.Place(""), Severity: finding.Medium, Message: msg})
	}
	return out
}

// mirror reports whether a Pod is the API server's mirror of a static Pod,
// which the kubelet runs from a file on the node, not the scheduler.
func mirror(p *corev1.Pod) bool {
	if _, ok := p.Annotations[corev1.MirrorPodAnnotationKey]; ok {
		return true
	}
	ref := metav1.GetControllerOfNoCopy(p)
	return ref != nil && ref.Kind == "Node"
}
