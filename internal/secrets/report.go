package secrets

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
)

// checkPrefix starts the check ID of every file rule in reports, so that
// gitleaks' rule IDs (jwt, private-key …) never collide with Rampart's
// other checks.
const checkPrefix = "secret-"

// CheckID is the report check ID of a detecting rule.
func CheckID(rule string) string { return checkPrefix + rule }

// remediation is the same for every hard-coded secret.
const remediation = "Rotate the credential first (it is exposed wherever the file, commit, chart or image went), " +
	"then remove it from the file and load it at run time from a Kubernetes Secret that is not committed or an external secret store; " +
	"if it is a test value, mark it with a rampart:allow-secret comment."

// Severity is the severity a finding is reported at: high for a vendor's
// token format or a private key, medium for generic entropy and
// credential-name findings (more of them are false), low in test fixtures.
func (f Finding) Severity() finding.Severity {
	switch {
	case f.Fixture:
		return finding.Low
	case isGenericRule(f.RuleID):
		return finding.Medium
	case f.RuleID == "private-key":
		return finding.Critical
	}
	return finding.High
}

// Finding converts a secret finding to a report finding. The message
// carries the redacted preview and the fingerprint, never the secret.
func (f Finding) Finding() finding.Finding {
	obj := finding.ObjectRef{Kind: "File", Name: memberName(f.File)}
	msg := f.Preview + ", fingerprint " + f.Fingerprint
	switch {
	case f.Commit != "":
		obj = finding.ObjectRef{Kind: "Commit", Name: short(f.Commit, 12)}
		msg += fmt.Sprintf("; added in commit %s, authored %s", short(f.Commit, 12), f.Date)
	case f.Layer != "":
		obj = finding.ObjectRef{Kind: "Layer", Name: short(f.Layer, 19)}
		msg += "; in layer " + f.Layer
		if f.Removed != "" {
			msg += ", deleted or replaced by layer " + f.Removed + " but still shipped in the image"
		}
	}
	if f.Fixture {
		msg += "; in a test fixture"
	}
	out := finding.Finding{
		Check:       CheckID(f.RuleID),
		Title:       title(f.RuleID),
		Severity:    f.Severity(),
		Object:      obj,
		Place:       finding.Place{File: f.File, Line: f.Line, Column: f.Column},
		Message:     msg,
		Remediation: remediation,
		Controls:    controls,
	}
	switch {
	case f.Allowed:
		out.Exempted, out.ExemptReason = true, "inline allow comment"
	case f.Baselined:
		out.Exempted, out.ExemptReason = true, "in the baseline"
	}
	return out
}

// short cuts a commit or digest for display.
func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// title names a rule for people: "Hard-coded secret: aws access token".
func title(rule string) string {
	return "Hard-coded secret: " + strings.ReplaceAll(rule, "-", " ")
}

// Rules returns the report rules of the detecting rules behind fs, each
// once, with gitleaks' description of the rule.
func Rules(fs []Finding) []finding.Rule {
	seen := map[string]bool{}
	var out []finding.Rule
	for _, f := range fs {
		if seen[f.RuleID] {
			continue
		}
		seen[f.RuleID] = true
		sev := Finding{RuleID: f.RuleID}.Severity()
		out = append(out, finding.Rule{
			ID: CheckID(f.RuleID), Title: title(f.RuleID), Description: f.Description,
			Severity: sev, Remediation: remediation, Controls: controls,
		})
	}
	return out
}

// Report builds the report of a secrets scan.
func Report(res *Result) *finding.Report {
	rep := &finding.Report{Tool: "rampart", Rules: Rules(res.Findings), Notes: res.Notes, Files: res.Files}
	rep.Findings = make([]finding.Finding, 0, len(res.Findings))
	for _, f := range res.Findings {
		rep.Findings = append(rep.Findings, f.Finding())
	}
	finding.Sort(rep.Findings)
	return rep
}
