package report

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/rampart-dev/rampart/internal/finding"
)

// sectionGroup is the findings of one NIST SP 800-190 section.
type sectionGroup struct {
	id       string
	title    string
	findings []finding.Finding
}

// bySection splits findings by NIST section, in the document's order, with
// findings that map to no section last.
func bySection(fs []finding.Finding) []sectionGroup {
	idx := map[string][]finding.Finding{}
	for _, f := range fs {
		s := finding.NISTSection(f.Controls)
		idx[s] = append(idx[s], f)
	}
	var out []sectionGroup
	for _, id := range finding.NISTOrder {
		if len(idx[id]) > 0 {
			out = append(out, sectionGroup{id: id, title: "NIST SP 800-190 " + id + " " + finding.NISTTitles[id], findings: idx[id]})
		}
	}
	if len(idx[""]) > 0 {
		out = append(out, sectionGroup{title: "Other findings", findings: idx[""]})
	}
	return out
}

// auditHead writes the cluster line, the countermeasure table and what
// could not be assessed.
func (t *textWriter) auditHead(a *finding.Audit) {
	src := "Cluster " + clean(a.Server)
	if a.Snapshot != "" {
		src = "Snapshot " + clean(a.Snapshot) + " of " + clean(a.Server)
	}
	if a.Version != "" {
		src += " (" + clean(a.Version) + ")"
	}
	if !a.CollectedAt.IsZero() {
		src += ", read " + a.CollectedAt.UTC().Format("2006-01-02 15:04:05Z")
	}
	t.line("%s", t.paint(ansiBold, src))
	if k := a.KubeletConfig; k != nil {
		t.line("Kubelet configuration read from %d of %d nodes through the API server's node proxy; %s.", k.Read, k.Nodes, clean(k.Warning))
	}
	t.line("")
	t.line("%s", t.paint(ansiBold, "NIST SP 800-190 orchestrator countermeasures"))
	for _, s := range a.Sections {
		status := strings.ToUpper(s.Status)
		code := ansiGreen
		detail := fmt.Sprintf("%d checks", s.Checks)
		switch s.Status {
		case "fail":
			code = ansiBoldRd
			detail = fmt.Sprintf("%d of %d checks failed, %s", s.Failed, s.Checks, plural(s.Findings, "finding", "findings"))
		case "not-assessed":
			code = ansiFaint
		}
		if s.Checks > 0 && s.Passed+s.Failed+s.NotAssessed == s.Checks {
			// The counts are filled in: give all three.
			detail = fmt.Sprintf("%d checks: %d pass, %d fail, %d not assessed", s.Checks, s.Passed, s.Failed, s.NotAssessed)
			if s.Findings > 0 {
				detail += ", " + plural(s.Findings, "finding", "findings")
			}
		}
		t.line("  %-6s %-52s %s  %s", s.ID, clean(s.Title), t.paint(code, fmt.Sprintf("%-12s", status)), detail)
	}
	if len(a.NotAssessed) > 0 {
		t.line("")
		t.line("Not assessed (%s):", plural(countChecks(a.NotAssessed), "check", "checks"))
		for _, g := range groupNotAssessed(a.NotAssessed) {
			t.line("  %s: %s", clean(strings.Join(g.checks, ", ")), clean(g.what))
		}
	}
}

func countChecks(ns []finding.NotAssessed) int {
	seen := map[string]bool{}
	for _, n := range ns {
		seen[n.Check] = true
	}
	return len(seen)
}

// notAssessedGroup is the checks not assessed for the same object and
// reason, listed on one line: a kubelet whose configuration could not be
// read leaves a dozen checks undecided for one reason.
type notAssessedGroup struct {
	checks []string
	what   string
}

func groupNotAssessed(ns []finding.NotAssessed) []notAssessedGroup {
	var out []notAssessedGroup
	idx := map[string]int{}
	for _, n := range ns {
		what := n.Reason
		if n.Resource != "" {
			what = "cannot read " + n.Resource + ": " + what
		}
		if n.Object != nil {
			what = n.Object.String() + ": " + what
		}
		i, ok := idx[what]
		if !ok {
			i = len(out)
			idx[what] = i
			out = append(out, notAssessedGroup{what: what})
		}
		if g := &out[i]; len(g.checks) == 0 || g.checks[len(g.checks)-1] != n.Check {
			g.checks = append(g.checks, n.Check)
		}
	}
	return out
}

// nodes writes the node inventory as a table.
func (t *textWriter) nodes(ns []finding.Node) {
	t.line("%s", t.paint(ansiBold, fmt.Sprintf("Nodes (%d)", len(ns))))
	tw := tabwriter.NewWriter(t.b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tREADY\tKUBELET\tSKEW\tRUNTIME\tROLES\tTAINTS\tAGE")
	for _, n := range ns {
		ready := n.Ready
		if n.Unschedulable {
			ready += ",SchedulingDisabled"
		}
		if len(n.Conditions) > 0 {
			ready += " (" + strings.Join(n.Conditions, ",") + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(n.Name), clean(ready), clean(n.KubeletVersion), orDash(n.Skew),
			orDash(clean(n.ContainerRuntime)), orDash(clean(strings.Join(n.Roles, ","))), orDash(clean(strings.Join(n.Taints, ","))), clean(n.Age))
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
