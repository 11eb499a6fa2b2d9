package nodes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// The checks a control-plane command line decides also run in audit, on
// the mirror Pods the kubelet publishes for kubeadm-style static Pods, so
// that the same check gives the same answer on a file and on a cluster.
func init() {
	for _, c := range ConfigChecks() {
		if c.FlagsOnly {
			registry.Register(liveCheck(c))
		}
	}
	registry.Register(&audit.Check{
		ID:    "control-plane-not-visible",
		Title: "Control-plane configuration not visible",
		Description: "Reports each control-plane component (kube-apiserver, kube-controller-manager, kube-scheduler, etcd) with no mirror Pod in kube-system: " +
			"its CIS checks could not be run from the API (a managed control plane, an external etcd, or components not run as static Pods), so they are not assessed, never passed.",
		Severity:    finding.Info,
		Remediation: "Run rampart nodes collect on a control-plane node and rampart nodes check --bundle on the result, or check the component's configuration with your provider.",
		Controls:    []string{"NIST-800-190:4.3.5"},
		Section:     "4.3.5",
		Needs:       []string{"pods"},
		Run:         runControlPlaneNotVisible,
	})
}

const mirrorAnnotation = "kubernetes.io/config.mirror"

// mirrorPods returns the control-plane Pods of kube-system: mirror Pods
// (with the kubernetes.io/config.mirror annotation) and Pods labelled
// component=<control-plane component> as kubeadm labels its static Pods.
func mirrorPods(inv *inventory.Inventory) []*inventory.Object {
	var out []*inventory.Object
	for _, o := range inv.Objects {
		if o.Kind != "Pod" || o.Namespace != "kube-system" {
			continue
		}
		if _, mirror := o.Annotations[mirrorAnnotation]; mirror || isControlPlane(o.Labels["component"]) {
			out = append(out, o)
		}
	}
	return out
}

// nodeConfigs groups the control-plane command lines of mirror Pods by
// node (spec.nodeName; a Pod without one stands alone), so that each
// check sees one node's components together.
func nodeConfigs(inv *inventory.Inventory) []*Config {
	byNode := map[string]*Config{}
	var keys []string
	for _, o := range mirrorPods(inv) {
		node := nodeName(o)
		if node == "" {
			node = "pod:" + o.Name
		}
		c := byNode[node]
		if c == nil {
			c = &Config{}
			byNode[node] = c
			keys = append(keys, node)
		}
		c.AddObjects([]*inventory.Object{o})
	}
	sort.Strings(keys)
	out := make([]*Config, len(keys))
	for i, k := range keys {
		out[i] = byNode[k]
	}
	return out
}

func nodeName(o *inventory.Object) string {
	spec, _ := o.Raw["spec"].(map[string]any)
	n, _ := spec["nodeName"].(string)
	return n
}

func liveCheck(c *Check) *audit.Check {
	return &audit.Check{
		ID:          c.ID,
		Title:       c.Title,
		Description: c.Description + " In audit it reads the flags of the control-plane mirror Pods in kube-system; when they name a file the API cannot show, it reports (info) that the check was not assessed.",
		Severity:    c.Severity,
		Remediation: c.Remediation,
		Controls:    c.Controls(),
		Section:     "4.3.5",
		Needs:       []string{"pods"},
		Run: func(inv *inventory.Inventory, _ *audit.Config) []finding.Finding {
			var out []finding.Finding
			for _, cfg := range nodeConfigs(inv) {
				if cfg.Process(c.Component) == nil {
					continue // reported by control-plane-not-visible
				}
				for _, r := range safeEval(c, cfg) {
					if r.Status == NotAssessed {
						// A flag names a file the API cannot show: say so
						// rather than let silence read as a pass.
						out = append(out, finding.Finding{Severity: finding.Info, Object: cfg.Process(c.Component).Object, Message: "not assessed: " + r.Message})
						continue
					}
					if r.Status == Fail {
						f := c.finding(r)
						if extra := liveDetail[c.ID]; extra != nil {
							f.Message += extra(inv)
						}
						out = append(out, finding.Finding{Severity: f.Severity, Object: f.Object, Place: f.Place, Message: f.Message})
					}
				}
			}
			return out
		},
	}
}

func runControlPlaneNotVisible(inv *inventory.Inventory, _ *audit.Config) []finding.Finding {
	seen := map[string]bool{}
	for _, cfg := range nodeConfigs(inv) {
		for _, comp := range controlPlane {
			if cfg.Process(comp) != nil {
				seen[comp] = true
			}
		}
	}
	counts := map[string]int{}
	for _, c := range ConfigChecks() {
		if c.FlagsOnly {
			counts[c.Component]++
		}
	}
	ns := finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: "kube-system"}
	var out []finding.Finding
	for _, comp := range controlPlane {
		if !seen[comp] {
			out = append(out, finding.Finding{Severity: finding.Info, Object: ns,
				Message: fmt.Sprintf("no %s mirror Pod in kube-system: its %d CIS flag checks were not assessed", comp, counts[comp])})
		}
	}
	return out
}

// liveDetail adds what the cluster shows to a check's message in audit.
var liveDetail = map[string]func(inv *inventory.Inventory) string{
	"apiserver-node-restriction": unrestrictedNodes,
}

// unrestrictedNodes names the nodes whose kubelets an API server without
// NodeRestriction lets modify every Node and Pod.
func unrestrictedNodes(inv *inventory.Inventory) string {
	var names []string
	for _, o := range inv.Objects {
		if o.Kind == "Node" {
			names = append(names, o.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	const show = 5
	list := strings.Join(names[:min(len(names), show)], ", ")
	if len(names) > show {
		list += fmt.Sprintf(" and %d more", len(names)-show)
	}
	return fmt.Sprintf("; the kubelets of %d nodes (%s) are not restricted to their own Node and Pods", len(names), list)
}
