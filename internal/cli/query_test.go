package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

const rbacRiskFixture = "testdata/rbac-risk/cluster.yaml"

func TestQueryCIEMQuestions(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{name: "which subjects can read the secret payments/db",
			args: []string{`subjects.filter(s, can(s.id, "get", "secrets", "payments", "db")).map(s, s.id)`},
			want: "group:platform\nsa:ci/deployer\nsa:ci/ghost\nsa:kube-system/admin-bot\nsa:payments/api\n"},
		{name: "what can sa:ci/builder do",
			args: []string{`access("sa:ci/builder").filter(p, p.nonResourceURL == "").map(p, p.verb + " " + p.resource + (p.subresource == "" ? "" : "/" + p.subresource) + " in " + p.namespace)`},
			want: "create pods in kube-system\nget pods in kube-system\nlist pods in kube-system\nget pods/log in kube-system\n"},
		{name: "can anyone outside platform list secrets in payments",
			args: []string{"--exit-code", `subjects.exists(s, !("platform" in s.groups) && can(s.id, "list", "secrets", "payments"))`},
			code: ExitFindings, want: "true\n"},
		{name: "can anyone outside platform list secrets in ci",
			args: []string{"--exit-code", `subjects.exists(s, !("platform" in s.groups) && !can(s.id, "*", "*", "") && can(s.id, "list", "secrets", "ci"))`},
			want: "false\n"},
		{name: "filter rows",
			args: []string{`p.subresource == "log"`},
			want: "SUBJECT        VERB  RESOURCE  NAMESPACE    ROLE                     BINDING\nsa:ci/builder  get   pods/log  kube-system  ClusterRole/pod-creator  RoleBinding/kube-system/ci-builds\n"},
		{name: "a filter that matches nothing", args: []string{"--exit-code", `p.verb == "escalate"`}, want: "no permission matches\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"query"}, tc.args...), rbacRiskFixture)
			code, out, errs := run(t, "", args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errs)
			}
			if out != tc.want {
				t.Errorf("output:\n%s\nwant:\n%s", out, tc.want)
			}
		})
	}
}

func TestQueryJSON(t *testing.T) {
	code, out, errs := run(t, "", "query", "-o", "json", `p.resource == "secrets" && p.subject == "sa:payments/api"`, rbacRiskFixture)
	if code != ExitOK {
		t.Fatalf("exit %d; stderr %s", code, errs)
	}
	var rows []struct {
		Subject       string   `json:"subject"`
		Verb          string   `json:"verb"`
		ResourceNames []string `json:"resourceNames"`
		Namespace     string   `json:"namespace"`
		Binding       string   `json:"binding"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(rows) != 1 || rows[0].Verb != "get" || strings.Join(rows[0].ResourceNames, ",") != "db" || rows[0].Namespace != "payments" || rows[0].Binding != "RoleBinding/payments/api-db" {
		t.Errorf("rows = %+v", rows)
	}
}

func TestQueryErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"query", `subjects.filter(`, rbacRiskFixture}, "bad query"},
		{[]string{"query", `p.verb`, rbacRiskFixture}, "not a bool"},
		{[]string{"query", `can("bob", "get", "pods", "")`, rbacRiskFixture}, "bad subject"},
		{[]string{"query", "-o", "yaml", "true", rbacRiskFixture}, "--output"},
		{[]string{"query"}, "arg"},
	} {
		code, _, errs := run(t, "", tc.args...)
		if code != ExitError || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, errs, tc.want)
		}
	}
}
