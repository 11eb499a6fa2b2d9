package audit

import (
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// Result is what one audit found.
type Result struct {
	// Findings are sorted with finding.Sort.
	Findings []finding.Finding
	// NotAssessed lists the checks that were not run because something
	// they read could not be read, and what checks that ran could not
	// decide (for one object, or as a whole), in check ID order.
	NotAssessed []NotAssessedCheck
	// Sections are the five NIST SP 800-190 orchestrator countermeasures,
	// in document order, as the audit checks alone leave them.
	Sections []SectionStatus
}

// NotAssessedCheck is a check that was not run, or not decided for one
// object, and why.
type NotAssessedCheck struct {
	CheckID string
	// Object is what the check could not decide for; zero when the check
	// as a whole was not assessed.
	Object finding.ObjectRef
	// Resource is what could not be read; several are joined with ", ".
	// It may be empty when the reason says it all.
	Resource string
	Reason   string
}

// Section status values.
const (
	StatusPass        = "pass"
	StatusFail        = "fail"
	StatusNotAssessed = "not-assessed"
)

// SectionStatus is how one NIST SP 800-190 countermeasure stands.
type SectionStatus struct {
	// Section is "4.3.1" to "4.3.5".
	Section string
	// Title is NIST's name for the countermeasure.
	Title string
	// Status is StatusPass, StatusFail or StatusNotAssessed.
	Status string
	// Checks counts the checks that belong to the section.
	Checks int
	// Failed counts the checks with a non-info, non-exempted finding.
	Failed int
	// NotAssessed counts the checks that did not fail and were not
	// assessed, as a whole or for some object.
	NotAssessed int
	// Passed counts the other checks: Checks - Failed - NotAssessed.
	Passed int
	// Findings counts the section's non-exempted findings.
	Findings int
}

// sectionOrder and sectionTitles are the orchestrator countermeasures of
// NIST SP 800-190 section 4.3.
var (
	sectionOrder  = []string{"4.3.1", "4.3.2", "4.3.3", "4.3.4", "4.3.5"}
	sectionTitles = map[string]string{
		"4.3.1": "Unbounded administrative access",
		"4.3.2": "Unauthorized access",
		"4.3.3": "Poorly separated inter-container network traffic",
		"4.3.4": "Mixing of workload sensitivity levels",
		"4.3.5": "Orchestrator node trust",
	}
)

// SectionOf returns the NIST SP 800-190 orchestrator countermeasure
// ("4.3.1" to "4.3.5") of the first control that names one, e.g.
// NIST-800-190:4.3.2 or NIST-800-190:4.3.2.1, or "" when none does.
func SectionOf(controls []string) string {
	for _, c := range controls {
		s, ok := strings.CutPrefix(c, "NIST-800-190:")
		if !ok || len(s) < 5 {
			continue
		}
		if len(s) > 5 && s[5] != '.' {
			continue
		}
		if _, known := sectionTitles[s[:5]]; known {
			return s[:5]
		}
	}
	return ""
}

// Run runs every check of this package's registry on inv; see RunChecks.
func Run(inv *inventory.Inventory, cfg *Config) Result {
	return RunChecks(inv, cfg, Checks())
}

// RunChecks runs checks (this package's or another analyzer's) on inv, in
// parallel, and summarises the result. A check whose Needs include a resource inv.Cluster lists as not
// assessed is not run; it is listed in Result.NotAssessed instead, so
// that it is never taken as passing. cfg may be nil.
func RunChecks(inv *inventory.Inventory, cfg *Config, checks []*Check) Result {
	cfg = cfg.withDefaults(inv)
	per := make([][]finding.Finding, len(checks))
	partial := make([][]NotAssessedCheck, len(checks))
	var notAssessed []NotAssessedCheck
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, c := range checks {
		if na, ok := unassessed(inv, c); ok {
			notAssessed = append(notAssessed, na)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			per[i], partial[i] = runCheck(c, inv, cfg)
		}()
	}
	wg.Wait()
	for _, p := range partial {
		notAssessed = append(notAssessed, p...)
	}
	// Checks not run come first in check order; keep the list in check
	// ID order with the entries of one check together.
	slices.SortStableFunc(notAssessed, func(a, b NotAssessedCheck) int { return strings.Compare(a.CheckID, b.CheckID) })
	var fs []finding.Finding
	for _, p := range per {
		fs = append(fs, p...)
	}
	finding.Sort(fs)
	extra := make([]CheckSection, len(checks))
	for i, c := range checks {
		extra[i] = CheckSection{ID: c.ID, Section: c.Section}
	}
	return Result{Findings: fs, NotAssessed: notAssessed, Sections: Summarize(fs, notAssessed, extra...)}
}

// runCheck runs one check and fills in its metadata on each finding.
func runCheck(c *Check, inv *inventory.Inventory, cfg *Config) ([]finding.Finding, []NotAssessedCheck) {
	var fs []finding.Finding
	var na []NotAssessedCheck
	if c.Assess != nil {
		a := c.Assess(inv, cfg)
		fs = a.Findings
		for _, u := range a.NotAssessed {
			na = append(na, NotAssessedCheck{CheckID: c.ID, Object: u.Object, Resource: u.Resource, Reason: u.Reason})
		}
		slices.SortStableFunc(na, func(a, b NotAssessedCheck) int { return strings.Compare(a.Object.String(), b.Object.String()) })
	} else {
		fs = c.Run(inv, cfg)
	}
	for i := range fs {
		fs[i].Check = c.ID
		fs[i].Title = c.Title
		fs[i].Remediation = c.Remediation
		fs[i].Controls = c.Controls
	}
	return fs, na
}

// unassessed reports whether c cannot run on inv, and why.
func unassessed(inv *inventory.Inventory, c *Check) (NotAssessedCheck, bool) {
	var resources, reasons []string
	for _, r := range c.Needs {
		if r == "/version" {
			if inv.Cluster == nil || inv.Cluster.Version == "" {
				resources = append(resources, r)
				reasons = appendNew(reasons, "the API server's version is unknown")
				continue
			}
			if _, ok := parseVersion(inv.Cluster.Version); !ok {
				resources = append(resources, r)
				reasons = appendNew(reasons, "the API server's version "+inv.Cluster.Version+" cannot be parsed")
				continue
			}
		}
		if inv.Cluster.Assessed(r) {
			continue
		}
		resources = append(resources, r)
		for _, n := range inv.Cluster.NotAssessed {
			if n.Resource != r {
				continue
			}
			reason := n.Reason
			if reason == "" {
				reason = "not read"
			}
			if n.Namespace != "" {
				reason = "in namespace " + n.Namespace + ": " + reason
			}
			reasons = appendNew(reasons, reason)
		}
	}
	if len(resources) == 0 {
		return NotAssessedCheck{}, false
	}
	return NotAssessedCheck{CheckID: c.ID, Resource: strings.Join(resources, ", "), Reason: strings.Join(reasons, "; ")}, true
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// CheckSection declares a check that is not an audit check (a workload
// check, say) as belonging to a section, so that Summarize counts it even
// when it found nothing.
type CheckSection struct {
	ID      string
	Section string
}

// Summarize says how each NIST SP 800-190 orchestrator countermeasure
// stands, given findings (from audit checks and from any other analyzer,
// placed by SectionOf their controls) and the checks that were not
// assessed. A section's checks are the audit checks of that section, the
// checks declared in extra, and any other check that has a finding there.
//
// A section fails when any of its checks has a non-info, non-exempted
// finding; otherwise it is not assessed when any of its checks was not
// assessed, as a whole or for one object (a section is never reported as
// passing on partial evidence), and passes when none was.
func Summarize(findings []finding.Finding, notAssessed []NotAssessedCheck, extra ...CheckSection) []SectionStatus {
	type acc struct {
		checks, failed, skipped map[string]bool
		findings                int
	}
	secs := map[string]*acc{}
	for _, s := range sectionOrder {
		secs[s] = &acc{checks: map[string]bool{}, failed: map[string]bool{}, skipped: map[string]bool{}}
	}
	sectionOfCheck := map[string]string{}
	for _, c := range registry.checks {
		sectionOfCheck[c.ID] = c.Section
	}
	for _, e := range extra {
		if _, ok := sectionOfCheck[e.ID]; !ok {
			sectionOfCheck[e.ID] = e.Section
		}
	}
	for id, s := range sectionOfCheck {
		if a := secs[s]; a != nil {
			a.checks[id] = true
		}
	}
	for _, f := range findings {
		s, ok := sectionOfCheck[f.Check]
		if !ok {
			s = SectionOf(f.Controls)
		}
		a := secs[s]
		if a == nil {
			continue
		}
		a.checks[f.Check] = true
		if f.Exempted {
			continue
		}
		a.findings++
		if f.Severity > finding.Info {
			a.failed[f.Check] = true
		}
	}
	for _, n := range notAssessed {
		if a := secs[sectionOfCheck[n.CheckID]]; a != nil {
			a.checks[n.CheckID] = true
			a.skipped[n.CheckID] = true
		}
	}
	out := make([]SectionStatus, 0, len(sectionOrder))
	for _, s := range sectionOrder {
		a := secs[s]
		st := SectionStatus{Section: s, Title: sectionTitles[s], Status: StatusPass, Checks: len(a.checks), Failed: len(a.failed), Findings: a.findings}
		for id := range a.skipped {
			if !a.failed[id] {
				st.NotAssessed++
			}
		}
		st.Passed = st.Checks - st.Failed - st.NotAssessed
		switch {
		case st.Failed > 0:
			st.Status = StatusFail
		case len(a.skipped) > 0:
			st.Status = StatusNotAssessed
		}
		out = append(out, st)
	}
	return out
}
