package netpol

import "testing"

func TestBlocksDNS(t *testing.T) {
	api := pod("prod", "api", "app=api", "")
	deny := netpol("prod", "deny", `{podSelector: {}, policyTypes: [Ingress, Egress]}`)
	coredns := pod("kube-system", "coredns", "k8s-app=kube-dns", "dns:53/UDP,dns-tcp:53/TCP")
	toDNS := func(ports string) string {
		return netpol("prod", "dns", `{podSelector: {}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: `+ports+`}]}`)
	}
	runCheckCases(t, "egress-deny-blocks-dns", []checkCase{
		{name: "default deny egress", docs: []string{api, deny},
			want:     []string{"prod/Pod/api metadata.labels medium"},
			contains: []string{"prod/api[Pod] is isolated for egress by prod/deny and cannot reach the cluster DNS pods on UDP or TCP 53"}},
		{name: "DNS allowed", docs: []string{api, deny, coredns, toDNS(`[{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]`)}},
		{name: "DNS allowed by named ports of the DNS pods", docs: []string{api, deny, coredns, toDNS(`[{port: dns, protocol: UDP}, {port: dns-tcp}]`)}},
		{name: "DNS pods not in the input: kube-dns assumed", docs: []string{api, deny, toDNS(`[{port: 53, protocol: UDP}, {port: 53}]`)}},
		{name: "UDP only", docs: []string{api, deny, coredns, toDNS(`[{port: 53, protocol: UDP}]`)},
			want: []string{"prod/Pod/api metadata.labels low"}, contains: []string{"TCP 53"}},
		{name: "TCP only", docs: []string{api, deny, coredns, toDNS(`[{port: 53}]`)},
			want: []string{"prod/Pod/api metadata.labels medium"}, contains: []string{"on UDP 53"}},
		{name: "selector that misses the real DNS pods", docs: []string{api, deny, pod("kube-system", "coredns", "k8s-app=coredns", ""), toDNS(`[{port: 53, protocol: UDP}, {port: 53}]`)},
			want: []string{"prod/Pod/api metadata.labels medium"}},
		{name: "DNS pods deny the namespace", docs: []string{api, deny, coredns, toDNS(`[{port: 53, protocol: UDP}, {port: 53}]`),
			netpol("kube-system", "dns-in", `{podSelector: {matchLabels: {k8s-app: kube-dns}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: x}}}]}]}`)},
			want: []string{"prod/Pod/api metadata.labels medium"}},
		{name: "egress to port 53 anywhere", docs: []string{api, deny, netpol("prod", "dns", `{podSelector: {}, policyTypes: [Egress], egress: [{ports: [{port: 53, protocol: UDP}, {port: 53}]}]}`)}},
		{name: "node-local DNS cache", docs: []string{api, deny, netpol("prod", "dns", `{podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 169.254.20.10/32}}], ports: [{port: 53, protocol: UDP}, {port: 53}]}]}`)}},
		{name: "not isolated for egress", docs: []string{api, netpol("prod", "deny", `{podSelector: {}}`)}},
	})
}
