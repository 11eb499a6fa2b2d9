package nodes

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
)

// BenchmarkVersion is the CIS Kubernetes Benchmark the checks follow.
const BenchmarkVersion = "CIS Kubernetes Benchmark v1.12"

// Report is the result of rampart nodes check, as JSON
// (apiVersion rampart.dev/v1alpha1, kind NodeReport; see docs/nodes.md).
type Report struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Benchmark  string            `json:"benchmark"`
	Sections   []SectionSummary  `json:"sections"`
	NIST       []SectionSummary  `json:"nist"`
	Checks     []CheckReport     `json:"checks"`
	Findings   []finding.Finding `json:"findings"`
	Notes      []finding.Note    `json:"notes"`
}

// SectionSummary counts checks by status in one CIS section or NIST
// countermeasure.
type SectionSummary struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Status      Status `json:"status"`
	Pass        int    `json:"pass"`
	Fail        int    `json:"fail"`
	NotAssessed int    `json:"notAssessed"`
}

func (s *SectionSummary) add(st Status) {
	switch st {
	case Pass:
		s.Pass++
	case Fail:
		s.Fail++
	default:
		s.NotAssessed++
	}
	switch {
	case s.Fail > 0:
		s.Status = Fail
	case s.NotAssessed > 0:
		s.Status = NotAssessed
	default:
		s.Status = Pass
	}
}

// CheckReport is one check's status and results.
type CheckReport struct {
	ID       string           `json:"id"`
	CIS      string           `json:"cis"`
	Title    string           `json:"title"`
	Severity finding.Severity `json:"severity"`
	Manual   bool             `json:"manual,omitempty"`
	Status   Status           `json:"status"`
	Results  []ResultReport   `json:"results"`
}

// ResultReport is one result of a check.
type ResultReport struct {
	Status  Status             `json:"status"`
	Value   string             `json:"value,omitempty"`
	Origin  Origin             `json:"origin,omitempty"`
	Place   finding.Place      `json:"place"`
	Object  *finding.ObjectRef `json:"object,omitempty"`
	Message string             `json:"message"`
}

// NewReport assembles the report of a configuration's outcomes.
func NewReport(c *Config, outcomes []Outcome) *Report {
	r := &Report{APIVersion: "rampart.dev/v1alpha1", Kind: "NodeReport", Benchmark: BenchmarkVersion, Notes: c.Notes, Findings: Findings(outcomes)}
	if r.Notes == nil {
		r.Notes = []finding.Note{}
	}
	if r.Findings == nil {
		r.Findings = []finding.Finding{}
	}
	secs := map[string]*SectionSummary{}
	for _, id := range SectionOrder {
		secs[id] = &SectionSummary{ID: id, Title: SectionTitles[id], Status: NotAssessed}
	}
	n435 := &SectionSummary{ID: "4.3.5", Title: finding.NISTTitles["4.3.5"], Status: NotAssessed}
	n432 := &SectionSummary{ID: "4.3.2", Title: finding.NISTTitles["4.3.2"], Status: NotAssessed}
	for _, o := range outcomes {
		st := o.Status()
		if s := secs[o.Check.Section()]; s != nil {
			s.add(st)
		}
		n435.add(st)
		if o.Check.Authn {
			n432.add(st)
		}
		cr := CheckReport{ID: o.Check.ID, CIS: o.Check.CIS, Title: o.Check.Title, Severity: o.Check.Severity, Manual: o.Check.Manual, Status: st}
		for _, res := range o.Results {
			rr := ResultReport{Status: res.Status, Value: res.Value, Origin: res.Origin, Place: res.Place, Message: res.Message}
			if res.Object != (finding.ObjectRef{}) {
				obj := res.Object
				rr.Object = &obj
			}
			cr.Results = append(cr.Results, rr)
		}
		r.Checks = append(r.Checks, cr)
	}
	for _, id := range SectionOrder {
		r.Sections = append(r.Sections, *secs[id])
	}
	r.NIST = []SectionSummary{*n435, *n432}
	return r
}

// HasErrors reports whether the input had errors (exit code 2).
func (r *Report) HasErrors() bool {
	for _, n := range r.Notes {
		if n.Level == finding.NoteError {
			return true
		}
	}
	return false
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// TextOptions configure WriteText.
type TextOptions struct {
	// BaseDir makes file paths relative to it.
	BaseDir string
	// Passed lists passing checks too.
	Passed bool
}

// WriteText writes the report for people: failures with their value,
// place and fix; checks not assessed with the reason; the summary by CIS
// section and for NIST SP 800-190.
func (r *Report) WriteText(w io.Writer, opts TextOptions) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "%s — node configuration\n", r.Benchmark)
	for _, n := range r.Notes {
		fmt.Fprintf(b, "%s: %s\n", n.Level, noteText(n, opts.BaseDir))
	}
	var failed, skipped, passed []CheckReport
	for _, c := range r.Checks {
		switch c.Status {
		case Fail:
			failed = append(failed, c)
		case NotAssessed:
			skipped = append(skipped, c)
		default:
			passed = append(passed, c)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(b, "\nFailed (%d):\n", len(failed))
	}
	remediation := map[string]string{}
	for _, f := range r.Findings {
		remediation[f.Check] = f.Remediation
	}
	for _, c := range failed {
		manual := ""
		if c.Manual {
			manual = " (manual in the benchmark)"
		}
		fmt.Fprintf(b, "\nFAIL %-7s %s [%s] %s%s\n", c.CIS, c.ID, c.Severity, c.Title, manual)
		for _, res := range c.Results {
			if res.Status != Fail {
				continue
			}
			where := placeText(res.Place, opts.BaseDir)
			if res.Object != nil && res.Object.Kind == "Pod" && where == "" {
				where = res.Object.String()
			}
			fmt.Fprintf(b, "     %s", res.Value)
			if where != "" {
				fmt.Fprintf(b, "  at %s", where)
			}
			fmt.Fprintf(b, "\n     %s\n", res.Message)
		}
		fmt.Fprintf(b, "     Fix: %s\n", remediation[c.ID])
	}
	if opts.Passed && len(passed) > 0 {
		fmt.Fprintf(b, "\nPassed (%d):\n", len(passed))
		for _, c := range passed {
			val := ""
			if len(c.Results) > 0 {
				val = c.Results[0].Value
			}
			fmt.Fprintf(b, "PASS %-7s %s: %s\n", c.CIS, c.ID, val)
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(b, "\nNot assessed (%d):\n", len(skipped))
		// Checks not assessed for the same reason are listed together.
		var reasons []string
		byReason := map[string][]string{}
		for _, c := range skipped {
			r := firstReason(c)
			if byReason[r] == nil {
				reasons = append(reasons, r)
			}
			byReason[r] = append(byReason[r], c.CIS+" "+c.ID)
		}
		for _, r := range reasons {
			fmt.Fprintf(b, "  %s:\n", r)
			for _, id := range byReason[r] {
				fmt.Fprintf(b, "    %s\n", id)
			}
		}
	}
	fmt.Fprintf(b, "\nBy CIS section:\n")
	for _, s := range r.Sections {
		fmt.Fprintf(b, "  %-4s %-40s %-13s pass %2d  fail %2d  not assessed %2d\n", s.ID, s.Title, strings.ToUpper(string(s.Status)), s.Pass, s.Fail, s.NotAssessed)
	}
	fmt.Fprintf(b, "\nNIST SP 800-190:\n")
	for _, s := range r.NIST {
		fmt.Fprintf(b, "  %-5s %-40s %-13s pass %2d  fail %2d  not assessed %2d\n", s.ID, s.Title, strings.ToUpper(string(s.Status)), s.Pass, s.Fail, s.NotAssessed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func firstReason(c CheckReport) string {
	for _, r := range c.Results {
		if r.Status == NotAssessed {
			return r.Message
		}
	}
	return ""
}

func relative(file, base string) string {
	if base != "" && filepath.IsAbs(file) == filepath.IsAbs(base) {
		if rel, err := filepath.Rel(base, file); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return file
}

func placeText(p finding.Place, base string) string {
	if p.File == "" {
		return ""
	}
	s := relative(p.File, base)
	switch {
	case p.Line > 0:
		s = fmt.Sprintf("%s:%d", s, p.Line)
	case p.Path != "":
		s += " " + p.Path
	}
	return s
}

func noteText(n finding.Note, base string) string {
	switch {
	case n.File != "" && n.Line > 0:
		return fmt.Sprintf("%s:%d: %s", relative(n.File, base), n.Line, n.Message)
	case n.File != "":
		return fmt.Sprintf("%s: %s", relative(n.File, base), n.Message)
	}
	return n.Message
}
