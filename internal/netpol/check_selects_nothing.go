package netpol

import (
	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

func init() {
	registry.Register(&audit.Check{
		ID:    "networkpolicy-selects-nothing",
		Title: "NetworkPolicy that selects no workload",
		Description: "Fires on a NetworkPolicy whose podSelector selects none of the workloads of its namespace, in a namespace that runs workloads: " +
			"it protects nothing, which usually means a label was mistyped or changed, and the pods it was written for are not isolated by it. " +
			"Host-network pods are never selected by NetworkPolicies and do not count. A namespace without workloads in the input is skipped, so that policies scanned apart from their workloads do not fire.",
		Severity:    finding.Low,
		Remediation: "Fix the podSelector to match the labels of the pods the policy is meant for (compare with the pod template labels), or delete the policy.",
		Controls:    segmentationControls,
		Section:     "4.3.3",
		Needs:       segmentationNeeds,
		Scan:        true,
		Run:         runSelectsNothing,
	})
}

func runSelectsNothing(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	if !hasNetworkPolicy(inv) {
		return nil // only a policy can isolate, open or select
	}
	m := sharedModel(inv, cfg)
	var out []finding.Finding
	for _, p := range m.policies {
		classes := m.classesByNS[p.ns]
		if len(classes) == 0 {
			continue
		}
		selected, host := false, 0
		for _, c := range classes {
			if p.selects(c) {
				selected = true
				break
			}
			if c.HostNetwork && p.podSel.Matches(c.Labels) {
				host++
			}
		}
		if selected {
			continue
		}
		msg := "NetworkPolicy %s selects none of the %d workloads of namespace %q (podSelector: %s), so it isolates and allows nothing"
		args := []any{p.Name(), countMembers(classes), p.ns, selectorText(p.podSel.String())}
		if host > 0 {
			msg += "; the host-network workloads its selector matches are never selected by NetworkPolicies"
		}
		out = append(out, onPolicy(p, "spec.podSelector", finding.Low, msg, args...))
	}
	return out
}

func countMembers(cs []*Class) int {
	n := 0
	for _, c := range cs {
		n += len(c.Members)
	}
	return n
}

func selectorText(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}
