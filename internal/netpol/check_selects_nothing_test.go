package netpol

import "testing"

func TestSelectsNothing(t *testing.T) {
	web := pod("app", "web", "app=web", "")
	runCheckCases(t, "networkpolicy-selects-nothing", []checkCase{
		{name: "mistyped label", docs: []string{web, netpol("app", "allow-web", `{podSelector: {matchLabels: {app: wbe}}, ingress: [{}]}`)},
			want:     []string{"app/NetworkPolicy/allow-web spec.podSelector low"},
			contains: []string{`NetworkPolicy app/allow-web selects none of the 1 workloads of namespace "app" (podSelector: app=wbe)`}},
		{name: "only a host-network pod matches", docs: []string{hostPod("app", "agent", "app=agent"), netpol("app", "agent", `{podSelector: {matchLabels: {app: agent}}}`)},
			want: []string{"app/NetworkPolicy/agent spec.podSelector low"}, contains: []string{"host-network workloads"}},
		{name: "selects a workload", docs: []string{web, netpol("app", "allow-web", `{podSelector: {matchLabels: {app: web}}, ingress: [{}]}`)}},
		{name: "empty selector", docs: []string{web, netpol("app", "deny", `{podSelector: {}}`)}},
		{name: "namespace without workloads in the input", docs: []string{web, netpol("other", "x", `{podSelector: {matchLabels: {app: x}}}`)}},
		{name: "invalid selector selects nothing", docs: []string{web, netpol("app", "bad", `{podSelector: {matchExpressions: [{key: app, operator: In}]}}`)},
			want: []string{"app/NetworkPolicy/bad spec.podSelector low"}},
	})
}
