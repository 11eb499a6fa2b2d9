package netpol

import (
	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

func init() {
	registry.Register(&audit.Check{
		ID:    "workload-open-to-internet",
		Title: "Workload reachable from 0.0.0.0/0",
		Description: "Fires on a workload that NetworkPolicies isolate for ingress but whose ingress rules admit every address: a rule without from, or an ipBlock of 0.0.0.0/0 or ::/0 (even with except entries). " +
			"Wherever a Service, an Ingress or a node port exposes it, anyone on the internet can connect. " +
			"Workloads of system namespaces are skipped; workloads no policy isolates are reported by the namespace checks instead.",
		Severity:    finding.High,
		Remediation: "Admit only the addresses that need access (the load balancer's or ingress controller's ranges, or the ingress controller's pods with a podSelector) instead of 0.0.0.0/0 or an empty from.",
		Controls:    segmentationControls,
		Section:     "4.3.3",
		Needs:       segmentationNeeds,
		Scan:        true,
		Run:         runOpenToInternet,
	})
}

func runOpenToInternet(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	open := func(pe *peer) (string, bool) {
		if pe.block != nil && !pe.invalid && pe.block.cidr.Bits() == 0 {
			return " (ipBlock " + pe.block.String() + ")", true
		}
		return "", false
	}
	return openIngress(inv, cfg, open, finding.High, "%s accepts connections from any address (0.0.0.0/0) on %s, allowed by %s")
}
