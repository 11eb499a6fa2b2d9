package netpol

import (
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

func init() {
	registry.Register(&audit.Check{
		ID:    "workload-open-to-all-namespaces",
		Title: "Workload reachable from every namespace",
		Description: "Fires on a workload that NetworkPolicies isolate for ingress but whose ingress rules admit the pods of every namespace, including namespaces created later: " +
			"a rule without from, or a peer with an empty namespaceSelector and no or an empty podSelector. " +
			"Any compromised pod anywhere in the cluster can then connect to it. Workloads of system namespaces are skipped. " +
			"Workloads no policy isolates are reported by namespace-no-networkpolicy and namespace-no-default-deny-ingress instead.",
		Severity:    finding.Medium,
		Remediation: "Narrow the rule to the namespaces that need access (namespaceSelector with matchLabels, e.g. kubernetes.io/metadata.name) and to the client pods (podSelector in the same peer).",
		Controls:    segmentationControls,
		Section:     "4.3.3",
		Needs:       segmentationNeeds,
		Scan:        true,
		Run:         runOpenToAllNamespaces,
	})
}

// allNamespacesPeer reports whether a peer admits every pod of every
// namespace.
func allNamespacesPeer(pe *peer) bool {
	return !pe.invalid && pe.block == nil && pe.ns != nil && pe.ns.Empty() && (pe.pod == nil || pe.pod.Empty())
}

func runOpenToAllNamespaces(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	open := func(pe *peer) (string, bool) { return "", allNamespacesPeer(pe) }
	return openIngress(inv, cfg, open, finding.Medium, "%s accepts connections from every pod of every namespace on %s, allowed by %s")
}

// openIngress reports each workload of an ingress-isolated class outside
// the system namespaces that a rule opens to a peer open accepts (or to
// anyone, for a rule without from), on some port. open returns what to add
// to the rule's description; format takes the workload, the ports and the
// rules.
func openIngress(inv *inventory.Inventory, cfg *audit.Config, open func(*peer) (string, bool), sev finding.Severity, format string) []finding.Finding {
	if !hasNetworkPolicy(inv) {
		return nil // only a policy can isolate, open or select
	}
	m := sharedModel(inv, cfg)
	var out []finding.Finding
	for _, c := range m.classes {
		if !c.ingressIsolated() || systemNamespace(cfg, c.Namespace) {
			continue
		}
		var why []string
		ports := PortSet{}
		for _, r := range c.in {
			if r.any {
				why = append(why, ruleWhy(r, -1)+" (no from)")
				ports = ports.Union(*r.portsTo(c))
				continue
			}
			for i := range r.peers {
				if note, ok := open(&r.peers[i]); ok {
					why = append(why, ruleWhy(r, i)+note)
					ports = ports.Union(*r.portsTo(c))
					break
				}
			}
		}
		if len(why) == 0 || ports.Empty() {
			continue
		}
		for _, w := range c.Members {
			out = append(out, onWorkload(w, sev, format, w, ports, strings.Join(why, ", ")))
		}
	}
	return out
}
