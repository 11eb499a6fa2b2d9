package finding

import (
	"strings"
	"testing"
)

func TestRuleProblems(t *testing.T) {
	good := Rule{ID: "a-check", Title: "A check", Description: "Says why.", Remediation: "Fix it.",
		Severity: High, Controls: []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.2", "PSS:baseline/privileged"}}
	if p := good.Problems(); len(p) != 0 {
		t.Fatalf("good rule has problems: %v", p)
	}
	tests := map[string]struct {
		mutate func(r *Rule)
		want   string
	}{
		"bad id":         {func(r *Rule) { r.ID = "Bad_ID" }, "kebab-case"},
		"no title":       {func(r *Rule) { r.Title = "" }, "title and description"},
		"no full stop":   {func(r *Rule) { r.Remediation = "fix it" }, "full stop"},
		"malformed":      {func(r *Rule) { r.Controls = append(r.Controls, "NIST:1") }, "malformed control"},
		"no nist":        {func(r *Rule) { r.Controls = []string{"CIS-K8S:5.2.2"} }, "no NIST-800-190"},
		"no controls":    {func(r *Rule) { r.Controls = nil }, "no NIST-800-190"},
		"severity range": {func(r *Rule) { r.Severity = Critical + 1 }, "bad severity"},
	}
	for name, tc := range tests {
		r := good
		r.Controls = append([]string(nil), good.Controls...)
		tc.mutate(&r)
		if p := strings.Join(r.Problems(), "; "); !strings.Contains(p, tc.want) {
			t.Errorf("%s: problems %q, want one saying %q", name, p, tc.want)
		}
	}
}

func TestRulesProblems(t *testing.T) {
	good := Rule{ID: "a-check", Title: "A check", Description: "Says why.", Remediation: "Fix it.",
		Severity: High, Controls: []string{"NIST-800-190:4.3.1"}}
	other := good
	other.ID = "other-check"
	if errs := RulesProblems([]Rule{good, other}); len(errs) != 0 {
		t.Fatalf("distinct good rules: %v", errs)
	}
	bad := good
	bad.Title = ""
	errs := RulesProblems([]Rule{good, other, good, bad})
	if got := strings.Join(errs, "; "); !strings.Contains(got, `"a-check": duplicate ID`) || len(errs) < 3 {
		t.Fatalf("want the duplicate twice over and the missing title: %v", errs)
	}
}
