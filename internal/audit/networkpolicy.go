package audit

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	networkingv1 "k8s.io/api/networking/v1"
)

const networkPolicies = "networkpolicies.networking.k8s.io"

func init() {
	register(
		&Check{
			ID:    "namespace-no-networkpolicy",
			Title: "Namespace without NetworkPolicy",
			Description: "Fires on a namespace that runs workloads (pods or controllers of pods) but has no NetworkPolicy at all: " +
				"its pods accept connections from every pod in the cluster and may connect anywhere. System namespaces are skipped. " +
				"Only Kubernetes NetworkPolicy objects are read; policies of a CNI's own kinds (Cilium, Calico) are not.",
			Severity:    finding.High,
			Remediation: "Add a default-deny NetworkPolicy (podSelector: {}, policyTypes: [Ingress, Egress], no rules) to the namespace, then policies that allow the traffic its workloads need.",
			Controls:    []string{"NIST-800-190:4.3.3", "CIS-K8S:5.3.2"},
			Section:     "4.3.3",
			Needs:       needs([]string{networkPolicies}, workloadResources),
			Scan:        true,
			Run:         runNamespaceNoNetworkPolicy,
		},
		&Check{
			ID:    "namespace-no-default-deny-ingress",
			Title: "Namespace without default-deny ingress policy",
			Description: "Fires on a namespace that has NetworkPolicies but none that denies ingress by default, i.e. one with an empty podSelector whose policy types include Ingress and that has no ingress rules " +
				"(a policy without policyTypes has Ingress). Pods that no policy selects accept connections from anywhere. System namespaces are skipped.",
			Severity:    finding.Medium,
			Remediation: "Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] and no ingress rules, and allow the needed traffic with further policies.",
			Controls:    []string{"NIST-800-190:4.3.3", "CIS-K8S:5.3.2"},
			Section:     "4.3.3",
			Needs:       []string{networkPolicies},
			Scan:        true,
			Run:         runNoDefaultDeny(true),
		},
		&Check{
			ID:    "namespace-no-default-deny-egress",
			Title: "Namespace without default-deny egress policy",
			Description: "Fires on a namespace that has NetworkPolicies but none that denies egress by default, i.e. one with an empty podSelector whose policy types include Egress and that has no egress rules " +
				"(a policy without policyTypes has Egress only when it has egress rules, so a default-deny egress policy must list Egress in policyTypes). " +
				"Pods that no policy selects for egress may connect anywhere, which eases exfiltration and lateral movement. System namespaces are skipped.",
			Severity:    finding.Low,
			Remediation: "Add a NetworkPolicy with podSelector: {} and policyTypes: [Egress] and no egress rules, and allow DNS and the other needed destinations with further policies.",
			Controls:    []string{"NIST-800-190:4.3.3", "CIS-K8S:5.3.2"},
			Section:     "4.3.3",
			Needs:       []string{networkPolicies},
			Scan:        true,
			Run:         runNoDefaultDeny(false),
		},
	)
}

func runNamespaceNoNetworkPolicy(inv *inventory.Inventory, cfg *Config) []finding.Finding {
	ns := namespaces(inv)
	covered := map[string]bool{}
	for _, p := range all[*networkingv1.NetworkPolicy](inv) {
		covered[p.obj.Namespace] = true
	}
	var out []finding.Finding
	for _, n := range ns.withWorkloads() {
		if covered[n] || cfg.system(n) {
			continue
		}
		ws := ns.workloads[n]
		out = append(out, ns.report(n, "", finding.High,
			"namespace %q runs %s (%s) but has no NetworkPolicy, so its pods accept connections from every pod in the cluster and may connect anywhere",
			n, plural(len(ws), "workload", "workloads"), describeWorkloads(ws)))
	}
	return out
}

// policyTypes returns the directions a policy governs, defaulted as the
// API server does: without policyTypes, Ingress always and Egress when the
// policy has egress rules.
func policyTypes(p *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if len(p.Spec.PolicyTypes) == 0 {
		return true, len(p.Spec.Egress) > 0
	}
	for _, t := range p.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

// defaultDeny reports whether p selects every pod of its namespace and
// allows no traffic in the given direction.
func defaultDeny(p *networkingv1.NetworkPolicy, ingress bool) bool {
	sel := p.Spec.PodSelector
	if len(sel.MatchLabels) > 0 || len(sel.MatchExpressions) > 0 {
		return false
	}
	in, eg := policyTypes(p)
	if ingress {
		return in && len(p.Spec.Ingress) == 0
	}
	return eg && len(p.Spec.Egress) == 0
}

func runNoDefaultDeny(ingress bool) func(inv *inventory.Inventory, cfg *Config) []finding.Finding {
	dir, field, sev := "ingress", "Ingress", finding.Medium
	consequence := "pods no policy selects accept connections from anywhere"
	if !ingress {
		dir, field, sev = "egress", "Egress", finding.Low
		consequence = "pods no policy selects for egress may connect anywhere"
	}
	return func(inv *inventory.Inventory, cfg *Config) []finding.Finding {
		ns := namespaces(inv)
		names := map[string][]string{}
		denied := map[string]bool{}
		for _, p := range all[*networkingv1.NetworkPolicy](inv) {
			n := p.obj.Namespace
			names[n] = append(names[n], p.obj.Name)
			if defaultDeny(p.v, ingress) {
				denied[n] = true
			}
		}
		var out []finding.Finding
		for _, n := range slices.Sorted(maps.Keys(names)) {
			ps := names[n]
			if denied[n] || n == "" || cfg.system(n) {
				continue
			}
			sort.Strings(ps)
			list := strings.Join(ps, ", ")
			if len(ps) > 3 {
				list = strings.Join(ps[:3], ", ") + " and " + plural(len(ps)-3, "more", "more")
			}
			out = append(out, ns.report(n, "", sev,
				"namespace %q has %s (%s) but none denies %s by default (podSelector: {}, policyTypes including %s, no %s rules), so %s",
				n, plural(len(ps), "NetworkPolicy", "NetworkPolicies"), list, dir, field, dir, consequence))
		}
		return out
	}
}
