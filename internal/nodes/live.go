package nodes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// The checks a control-plane command line decides also run in audit, on
// the mirror Pods the kubelet publishes for kubeadm-style static Pods, so
// that the same check gives the same answer on a file and on a cluster.
// The kubelet checks run on each node's /configz (rampart audit
// --kubelet-config), and kube-proxy's on its DaemonSet and ConfigMap.
func init() {
	for _, c := range ConfigChecks() {
		switch InAudit(c) {
		case auditFlags:
			registry.Register(liveCheck(c))
		case auditConfigz:
			registry.Register(liveKubeletCheck(c))
		case auditKubeProxy:
			registry.Register(liveKubeProxyCheck(c))
		}
	}
	registry.Register(servingCertCheck)
}

// How a CIS check runs in audit (InAudit).
const (
	auditFlags     = "yes"
	auditConfigz   = "with --kubelet-config"
	auditKubeProxy = "yes (DaemonSet, ConfigMap)"
)

// InAudit says how a CIS check runs in rampart audit: on control-plane
// mirror Pods, on each node's kubelet /configz, on kube-proxy's DaemonSet,
// or "" when it does not (file modes, and settings only a kubelet flag
// holds, which /configz does not show).
func InAudit(c *Check) string {
	switch {
	case c.FlagsOnly:
		return auditFlags
	case c.Component == Kubelet && c.ID != "kubelet-hostname-override":
		return auditConfigz
	case c.Component == KubeProxy:
		return auditKubeProxy
	}
	return ""
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
	if p, ok := o.Typed.(*corev1.Pod); ok {
		return p.Spec.NodeName
	}
	spec, _ := o.Raw["spec"].(map[string]any)
	n, _ := spec["nodeName"].(string)
	return n
}

// liveFinding is a failed result as an audit finding about obj (the
// engine fills in the check's metadata), pointing where the result does.
func liveFinding(c *Check, r Result, obj finding.ObjectRef) finding.Finding {
	f := c.finding(r)
	return finding.Finding{Severity: f.Severity, Object: obj, Place: f.Place, Message: f.Message}
}

// auditCheck is c as an audit check of 4.3.5 that reads needs and is
// decided by assess; how says, for its description, what audit reads.
func (c *Check) auditCheck(how string, needs []string, assess func(*inventory.Inventory, *audit.Config) audit.Assessment) *audit.Check {
	return &audit.Check{
		ID:          c.ID,
		Title:       c.Title,
		Description: c.Description + how,
		Severity:    c.Severity,
		Remediation: c.Remediation,
		Controls:    c.Controls(),
		Section:     "4.3.5",
		Needs:       needs,
		Assess:      assess,
	}
}

func liveCheck(c *Check) *audit.Check {
	return c.auditCheck(" In audit it reads the flags of the control-plane mirror Pods in kube-system; when there is none, or a flag names a file the API cannot show, the check is not assessed.", []string{"pods"}, func(inv *inventory.Inventory, _ *audit.Config) audit.Assessment {
		var a audit.Assessment
		seen := false
		for _, cfg := range nodeConfigs(inv) {
			p := cfg.Process(c.Component)
			if p == nil {
				continue
			}
			seen = true
			for _, r := range safeEval(c, cfg) {
				switch r.Status {
				case NotAssessed:
					// A flag names a file the API cannot show.
					a.NotAssessed = append(a.NotAssessed, audit.Unassessed{Object: p.Object, Reason: r.Message})
				case Fail:
					f := liveFinding(c, r, r.Object)
					if extra := liveDetail[c.ID]; extra != nil {
						f.Message += extra(inv)
					}
					a.Findings = append(a.Findings, f)
				}
			}
		}
		if !seen {
			a.NotAssessed = append(a.NotAssessed, audit.Unassessed{Reason: fmt.Sprintf(
				"no %s mirror Pod in kube-system (a managed control plane, an external etcd, or a component not run as a static Pod): check its configuration with rampart nodes check on the node", c.Component)})
		}
		return a
	})
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
