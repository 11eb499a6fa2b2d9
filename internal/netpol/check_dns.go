package netpol

import (
	"net/netip"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	registry.Register(&audit.Check{
		ID:    "egress-deny-blocks-dns",
		Title: "Egress policy blocks DNS",
		Description: "Fires on a workload that NetworkPolicies isolate for egress but that cannot reach the cluster DNS pods on port 53: name resolution fails and the workload breaks, or teams answer by opening egress wide. " +
			"The DNS pods are the inventory's pods labelled k8s-app=kube-dns or k8s-app=coredns (kube-dns and CoreDNS), else the usual kube-dns pods of kube-system; " +
			"a node-local DNS cache at 169.254.20.10 counts too. Medium when UDP 53 is blocked, low when only TCP 53 (used for large answers) is.",
		Severity:    finding.Medium,
		Remediation: "Add an egress rule to the DNS pods on UDP and TCP 53: to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}].",
		Controls:    nistOnly,
		Section:     "4.3.3",
		Needs:       segmentationNeeds,
		Scan:        true,
		Run:         runBlocksDNS,
	})
}

// nodeLocalDNS is the address node-local-dns listens on by default.
var nodeLocalDNS = netip.MustParseAddr("169.254.20.10")

// dnsClasses returns the classes of the cluster DNS pods: those of the
// inventory, else the kube-dns pods every cluster has in kube-system.
func (m *model) dnsClasses() []*Class {
	var out []*Class
	for _, c := range m.classes {
		if v := c.Labels["k8s-app"]; v == "kube-dns" || v == "coredns" {
			out = append(out, c)
		}
	}
	if len(out) > 0 {
		return out
	}
	return []*Class{m.endpointClass("kube-system", map[string]string{"k8s-app": "kube-dns"}, []corev1.ContainerPort{
		{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
		{Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP},
	})}
}

// dnsPorts returns the DNS ports s may use: the union over DNS targets.
func (m *model) dnsPorts(s *Class, dns []*Class) PortSet {
	var ports PortSet
	for _, d := range dns {
		_, _, p, _ := m.decide(endpoint{class: s}, endpoint{class: d})
		ports = ports.Union(p)
	}
	_, _, p, _ := m.decide(endpoint{class: s}, endpoint{ip: nodeLocalDNS})
	return ports.Union(p)
}

func runBlocksDNS(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	if !hasNetworkPolicy(inv) {
		return nil // only a policy can isolate, open or select
	}
	m := sharedModel(inv, cfg)
	dns := m.dnsClasses()
	var out []finding.Finding
	for _, c := range m.classes {
		if !c.egressIsolated() || c.HostNetwork {
			continue
		}
		isDNS := false
		for _, d := range dns {
			isDNS = isDNS || d == c
		}
		if isDNS {
			continue
		}
		ports := m.dnsPorts(c, dns)
		udp, tcp := ports.Has(corev1.ProtocolUDP, 53), ports.Has(corev1.ProtocolTCP, 53)
		if udp && tcp {
			continue
		}
		var names []string
		for _, p := range c.egPols {
			names = append(names, p.Name())
		}
		sev, what := finding.Medium, "UDP 53"
		switch {
		case !udp && !tcp:
			what = "UDP or TCP 53"
		case udp:
			sev, what = finding.Low, "TCP 53 (DNS answers too large for UDP fail)"
		}
		for _, w := range c.Members {
			out = append(out, onWorkload(w, sev, "%s is isolated for egress by %s and cannot reach the cluster DNS pods on %s",
				w, strings.Join(names, ", "), what))
		}
	}
	return out
}
