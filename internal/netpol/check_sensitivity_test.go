package netpol

import (
	"testing"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/policy"
)

func TestSensitivityPaths(t *testing.T) {
	sens := policy.Sensitivity{
		LabelKey: "tier",
		Levels:   []policy.Level{{Name: "public", Shared: true}, {Name: "internal", Shared: true}, {Name: "restricted", Shared: true}},
		Gateways: []policy.Gateway{{Namespace: "prod", Name: "gw"}},
	}
	cfg := &audit.Config{Sensitivity: sens}
	docs := []string{
		ns("web", "tier=public"), ns("prod", "tier=internal"), ns("vault", "tier=restricted"),
		pod("web", "site", "app=site", ""),
		pod("prod", "gw", "app=gw", ""),
		pod("prod", "api", "app=api", ""),
		pod("vault", "db", "app=db", ""),
		netpol("vault", "deny", `{podSelector: {}, policyTypes: [Ingress, Egress]}`),
		netpol("prod", "deny", `{podSelector: {}, policyTypes: [Ingress]}`),
		netpol("prod", "web-to-gw", `{podSelector: {matchLabels: {app: gw}}, ingress: [{from: [{namespaceSelector: {matchLabels: {tier: public}}}], ports: [{port: 443}]}]}`),
		netpol("prod", "gw-to-api", `{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: gw}}}]}]}`),
	}
	fromGW := netpol("vault", "gw", `{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {tier: internal}}, podSelector: {matchLabels: {app: gw}}}], ports: [{port: 5432}]}]}`)
	fromAPI := netpol("vault", "api", `{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {tier: internal}}, podSelector: {matchLabels: {app: api}}}], ports: [{port: 5432}]}]}`)
	fromWeb := netpol("vault", "web", `{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {tier: public}}}], ports: [{port: 5432}]}]}`)
	runCheckCases(t, "sensitivity-path-without-gateway", []checkCase{
		{name: "only through the gateway", docs: append(docs[:len(docs):len(docs)], fromGW), config: cfg},
		{name: "internal workload straight into restricted", docs: append(docs[:len(docs):len(docs)], fromAPI), config: cfg,
			want:     []string{"vault/Pod/db metadata.labels high"},
			contains: []string{"vault/db[Pod] (level restricted) can be reached from lower levels without a gateway: prod/api[Pod] (internal) on TCP 5432"}},
		{name: "public straight into restricted", docs: append(docs[:len(docs):len(docs)], fromWeb), config: cfg,
			want: []string{"vault/Pod/db metadata.labels high"}, contains: []string{"web/site[Pod] (public)"}},
		{name: "internet into internal", docs: append(docs[:len(docs):len(docs)], netpol("prod", "lb", `{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]}`)), config: cfg,
			want: []string{"prod/Pod/api metadata.labels high"}, contains: []string{"0.0.0.0/0 (outside addresses) on all ports"}},
		{name: "no levels declared", docs: append(docs[:len(docs):len(docs)], fromWeb)},
		{name: "no policies: every workload open", docs: []string{ns("web", "tier=public"), ns("vault", "tier=restricted"), pod("web", "site", "", ""), pod("vault", "db", "", "")}, config: cfg,
			want: []string{"vault/Pod/db metadata.labels high"}},
	})
}
