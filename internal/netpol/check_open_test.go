package netpol

import (
	"testing"

	"github.com/rampart-dev/rampart/internal/audit"
)

func TestOpenToAllNamespaces(t *testing.T) {
	api := pod("prod", "api", "app=api", "")
	runCheckCases(t, "workload-open-to-all-namespaces", []checkCase{
		{name: "empty namespaceSelector", docs: []string{api, netpol("prod", "metrics", `{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 9090}]}]}`)},
			want:     []string{"prod/Pod/api metadata.labels medium"},
			contains: []string{"prod/api[Pod] accepts connections from every pod of every namespace on TCP 9090, allowed by NetworkPolicy prod/metrics spec.ingress[0].from[0]"}},
		{name: "rule without from", docs: []string{api, netpol("prod", "any", `{podSelector: {}, ingress: [{ports: [{port: 80}]}]}`)},
			want: []string{"prod/Pod/api metadata.labels medium"}, contains: []string{"spec.ingress[0] (no from)"}},
		{name: "empty namespaceSelector with a podSelector is narrower", docs: []string{api, netpol("prod", "p", `{podSelector: {}, ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: prometheus}}}]}]}`)}},
		{name: "namespaces by label", docs: []string{api, netpol("prod", "p", `{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}]}]}`)}},
		{name: "not isolated: left to the namespace checks", docs: []string{api}},
		{name: "system namespace", docs: []string{pod("kube-system", "dns", "k8s-app=kube-dns", ""), netpol("kube-system", "dns", `{podSelector: {}, ingress: [{from: [{namespaceSelector: {}}]}]}`)}},
		{name: "configured system namespace", config: &audit.Config{SystemNamespaces: []string{"prod"}},
			docs: []string{api, netpol("prod", "m", `{podSelector: {}, ingress: [{from: [{namespaceSelector: {}}]}]}`)}},
	})
}

func TestOpenToInternet(t *testing.T) {
	api := pod("prod", "api", "app=api", "http:8080")
	runCheckCases(t, "workload-open-to-internet", []checkCase{
		{name: "0.0.0.0/0", docs: []string{api, netpol("prod", "lb", `{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}], ports: [{port: http}]}]}`)},
			want:     []string{"prod/Pod/api metadata.labels high"},
			contains: []string{"accepts connections from any address (0.0.0.0/0) on TCP 8080, allowed by NetworkPolicy prod/lb spec.ingress[0].from[0] (ipBlock 0.0.0.0/0 except 10.0.0.0/8)"}},
		{name: "::/0", docs: []string{api, netpol("prod", "v6", `{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: "::/0"}}]}]}`)},
			want: []string{"prod/Pod/api metadata.labels high"}},
		{name: "rule without from", docs: []string{api, netpol("prod", "all", `{podSelector: {}, ingress: [{}]}`)},
			want: []string{"prod/Pod/api metadata.labels high"}},
		{name: "a range", docs: []string{api, netpol("prod", "lb", `{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 203.0.113.0/24}}]}]}`)}},
		{name: "named port the pod lacks allows nothing", docs: []string{api, netpol("prod", "lb", `{podSelector: {}, ingress: [{ports: [{port: https}]}]}`)}},
		{name: "pods of every namespace are not the internet", docs: []string{api, netpol("prod", "lb", `{podSelector: {}, ingress: [{from: [{namespaceSelector: {}}]}]}`)}},
	})
}
