package policy

import (
	"errors"
	"strings"
	"testing"
)

const webhookHeader = "apiVersion: rampart.dev/v1alpha1\nkind: Policy\n"

const webhookDoc = webhookHeader + `webhook:
  admission:
    mode: warn
    checks: {privileged-container: block}
    overrides:
    - namespaces: ["prod-*"]
      mode: block
    - namespaces: [sandbox]
      checks: [host-pid]
      mode: audit
  exec:
    deny: [privileged, hostPID]
    podSelector: {matchLabels: {tier: db}}
    exempt: {groups: [oncall]}
  labels:
  - kinds: [Deployment]
    namespaces: ["prod-*"]
    required: [team, app.kubernetes.io/name]
    mode: block
  authorization:
    mode: block
    exempt: {serviceAccounts: [ops/deployer]}
    rules:
    - name: test-team-secrets
      subjects: {groups: [test-team]}
      verbs: [get, list]
      apiGroups: [""]
      resources: [secrets]
      namespaces: [test]
    - name: metrics
      subjects: {users: [prom]}
      verbs: [get]
      nonResourceURLs: [/metrics]
`

func TestWebhookValid(t *testing.T) {
	p, err := Parse([]byte(webhookDoc), known)
	if err != nil {
		t.Fatal(err)
	}
	w := p.Webhook
	modes := []struct{ check, ns, want string }{
		{"privileged-container", "default", ModeBlock},
		{"host-pid", "default", ModeWarn},
		{"host-pid", "prod-eu", ModeBlock},
		{"host-pid", "sandbox", ModeAudit},
		{"privileged-container", "sandbox", ModeBlock},
	}
	for _, m := range modes {
		if got := w.Admission.ModeFor(m.check, m.ns); got != m.want {
			t.Errorf("ModeFor(%s, %s) = %s, want %s", m.check, m.ns, got, m.want)
		}
	}
	if got := w.Exec.DenyList(); len(got) != 2 || w.Exec.ExecMode() != ModeBlock {
		t.Errorf("exec: deny %v mode %s", got, w.Exec.ExecMode())
	}
	sel, err := w.Exec.PodSelector.LabelSelector()
	if err != nil || sel.String() != "tier=db" {
		t.Errorf("podSelector: %v %v", sel, err)
	}
	if !w.Labels[0].Matches("Deployment", "prod-us") || w.Labels[0].Matches("StatefulSet", "prod-us") || w.Labels[0].Matches("Deployment", "dev") {
		t.Error("label rule matching")
	}
	if w.Authorization.AuthzMode() != ModeBlock || len(w.Authorization.Rules) != 2 {
		t.Errorf("authorization: %+v", w.Authorization)
	}
}

func TestWebhookDefaults(t *testing.T) {
	w := Default().Webhook
	if w.Admission.ModeFor("privileged-container", "x") != ModeWarn {
		t.Error("default admission mode is not warn")
	}
	if w.Exec.ExecMode() != ModeBlock || len(w.Exec.DenyList()) != 4 {
		t.Error("default exec control is not block of all four properties")
	}
	if w.Authorization.AuthzMode() != ModeAlert {
		t.Error("default authorization mode is not alert")
	}
}

func TestWebhookInvalid(t *testing.T) {
	tests := map[string]struct{ doc, want string }{
		"admission mode":      {"webhook: {admission: {mode: deny}}", `webhook.admission.mode is "deny", want block, warn or audit`},
		"check mode":          {"webhook: {admission: {checks: {host-pid: stop}}}", `webhook.admission.checks[host-pid] is "stop"`},
		"unknown check":       {"webhook: {admission: {checks: {privileged: block}}}", `webhook.admission.checks: unknown check "privileged" (did you mean "privileged-container"?)`},
		"override namespaces": {"webhook: {admission: {overrides: [{mode: block}]}}", "webhook.admission.overrides[0].namespaces is required"},
		"override mode":       {"webhook: {admission: {overrides: [{namespaces: [a]}]}}", "webhook.admission.overrides[0].mode is required"},
		"override glob":       {"webhook: {admission: {overrides: [{namespaces: ['[a'], mode: warn}]}}", `webhook.admission.overrides[0].namespaces: bad pattern "[a"`},
		"override check":      {"webhook: {admission: {overrides: [{namespaces: [a], checks: [nope], mode: warn}]}}", `webhook.admission.overrides[0].checks: unknown check "nope"`},
		"exec mode":           {"webhook: {exec: {mode: alert}}", `webhook.exec.mode is "alert"`},
		"exec deny":           {"webhook: {exec: {deny: [root]}}", `webhook.exec.deny: unknown property "root"`},
		"exec deny nothing":   {"webhook: {exec: {deny: []}}", "webhook.exec.deny is empty and there is no podSelector"},
		"exec selector":       {"webhook: {exec: {podSelector: {matchExpressions: [{key: a, operator: Near}]}}}", "webhook.exec.podSelector:"},
		"exec exempt sa":      {"webhook: {exec: {exempt: {serviceAccounts: [deployer]}}}", `webhook.exec.exempt.serviceAccounts: "deployer", want namespace/name`},
		"labels required":     {"webhook: {labels: [{kinds: [Deployment]}]}", "webhook.labels[0].required is empty"},
		"labels key":          {"webhook: {labels: [{required: ['bad key']}]}", `webhook.labels[0].required: "bad key"`},
		"labels mode":         {"webhook: {labels: [{required: [team], mode: alert}]}", `webhook.labels[0].mode is "alert"`},
		"authz mode":          {"webhook: {authorization: {mode: warn}}", `webhook.authorization.mode is "warn", want alert or block`},
		"rule subjects":       {"webhook: {authorization: {rules: [{name: r, verbs: [get], nonResourceURLs: [/x]}]}}", "webhook.authorization.rules[0] (r).subjects is empty"},
		"rule verbs":          {"webhook: {authorization: {rules: [{subjects: {users: [a]}, nonResourceURLs: [/x]}]}}", "webhook.authorization.rules[0].verbs is empty"},
		"rule what":           {"webhook: {authorization: {rules: [{subjects: {users: [a]}, verbs: [get]}]}}", "webhook.authorization.rules[0]: set resources (with apiGroups) or nonResourceURLs"},
		"rule both":           {"webhook: {authorization: {rules: [{subjects: {users: [a]}, verbs: [get], apiGroups: [''], resources: [pods], nonResourceURLs: [/x]}]}}", "set either resources or nonResourceURLs, not both"},
		"rule no groups":      {"webhook: {authorization: {rules: [{subjects: {users: [a]}, verbs: [get], resources: [pods]}]}}", "resources and apiGroups are both required"},
		"rule subresource":    {"webhook: {authorization: {rules: [{subjects: {users: [a]}, verbs: [get], apiGroups: [''], resources: [pods/exec]}]}}", `"pods/exec": put the subresource in subresources`},
		"rule url":            {"webhook: {authorization: {rules: [{subjects: {users: [a]}, verbs: [get], nonResourceURLs: [healthz]}]}}", `"healthz" must start with /`},
		"rule url star":       {"webhook: {authorization: {rules: [{subjects: {users: [a]}, verbs: [get], nonResourceURLs: ['/a*/b']}]}}", "* is only allowed at the end"},
		"rule url namespace":  {"webhook: {authorization: {rules: [{subjects: {users: [a]}, verbs: [get], nonResourceURLs: [/x], namespaces: [a]}]}}", "namespaces do not apply to nonResourceURLs"},
		"rule selector":       {"webhook: {authorization: {rules: [{subjects: {users: [a]}, verbs: [get], apiGroups: [''], resources: [pods], namespaceSelector: {matchLabels: {'a b': c}}}]}}", "webhook.authorization.rules[0].namespaceSelector:"},
		"rule names":          {"webhook: {authorization: {rules: [{name: r, subjects: {users: [a]}, verbs: [get], nonResourceURLs: [/x]}, {name: r, subjects: {users: [a]}, verbs: [get], nonResourceURLs: [/y]}]}}", "rules[1] (r): name is used twice"},
		"exempt glob":         {"webhook: {authorization: {exempt: {users: ['[']}}}", `webhook.authorization.exempt: bad pattern "["`},
		"unknown field":       {"webhook: {authorization: {allow: []}}", "field allow not found"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(webhookHeader+tt.doc+"\n"), known)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSubjectsMatch(t *testing.T) {
	s := Subjects{Users: []string{"alice", "system:kube-*"}, Groups: []string{"team-*"}, ServiceAccounts: []string{"ci/deployer", "ops/*"}}
	tests := []struct {
		user   string
		groups []string
		want   bool
	}{
		{"alice", nil, true},
		{"bob", nil, false},
		{"system:kube-scheduler", nil, true},
		{"bob", []string{"system:authenticated", "team-a"}, true},
		{"system:serviceaccount:ci:deployer", nil, true},
		{"system:serviceaccount:ci:other", nil, false},
		{"system:serviceaccount:ops:anything", nil, true},
		{"system:serviceaccount:ops", nil, false},
	}
	for _, tt := range tests {
		if got := s.Match(tt.user, tt.groups); got != tt.want {
			t.Errorf("Match(%q, %v) = %v, want %v", tt.user, tt.groups, got, tt.want)
		}
	}
	if !DefaultExempt.Match("rampart-admin", []string{"system:masters"}) {
		t.Error("system:masters is not exempt by default")
	}
}
