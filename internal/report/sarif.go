package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/rampart-dev/rampart/internal/finding"
)

// SARIF 2.1.0 for GitHub code scanning, written with our own small set of
// encoding/json types rather than github.com/owenrumney/go-sarif/v2
// (v2.3.3), which the tests use to parse our output back. Writing with that
// library was tried and rejected because:
//   - its Suppression type has no omitempty on status, location and guid, so
//     every suppression carries "status": null, "location": null and
//     "guid": null, which the SARIF schema does not allow;
//   - results omit an empty suppressions array, but the spec wants
//     suppressions on every result of a run once any result has them;
//   - AddResult turns an unknown rule into ruleIndex 18446744073709551615.
// The types below hold only what we emit; every field follows the names and
// shapes of sarif-schema-2.1.0.json.

const (
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	sarifVersion = "2.1.0"
	// sarifSrcRoot is the uriBaseId of relative URIs; GitHub resolves it to
	// the repository root (the checkout).
	sarifSrcRoot = "%SRCROOT%"
	// sarifFingerprintKey names our partial fingerprint; the /v1 suffix is
	// the SARIF convention for a fingerprint's algorithm version.
	sarifFingerprintKey = "rampartFindingHash/v1"
	informationURI      = "https://github.com/rampart-dev/rampart"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	ColumnKind  string            `json:"columnKind"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string              `json:"id"`
	Name                 string              `json:"name"`
	ShortDescription     sarifMultiformat    `json:"shortDescription"`
	FullDescription      sarifMultiformat    `json:"fullDescription"`
	Help                 sarifMultiformat    `json:"help"`
	DefaultConfiguration sarifConfiguration  `json:"defaultConfiguration"`
	Properties           sarifRuleProperties `json:"properties"`
}

type sarifMultiformat struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProperties struct {
	Tags []string `json:"tags"`
	// SecuritySeverity is read by GitHub to rank security alerts; it must
	// be a string holding a number from 0.0 to 10.0.
	SecuritySeverity string `json:"security-severity"`
}

type sarifResult struct {
	RuleID              string                `json:"ruleId"`
	RuleIndex           int                   `json:"ruleIndex"`
	Level               string                `json:"level"`
	Message             sarifMessage          `json:"message"`
	Locations           []sarifLocation       `json:"locations"`
	PartialFingerprints map[string]string     `json:"partialFingerprints"`
	Suppressions        []sarifSuppression    `json:"suppressions"`
	Properties          sarifResultProperties `json:"properties"`
}

type sarifResultProperties struct {
	Severity  string `json:"severity"`
	Container string `json:"container,omitempty"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

// securitySeverity maps severities to GitHub's security-severity scores
// (critical > 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9).
var securitySeverity = [...]string{
	finding.Info:     "1.0",
	finding.Low:      "3.0",
	finding.Medium:   "5.5",
	finding.High:     "8.0",
	finding.Critical: "9.5",
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s finding.Severity) string {
	switch {
	case s >= finding.High:
		return "error"
	case s == finding.Medium:
		return "warning"
	default:
		return "note"
	}
}

// renderSARIF writes one SARIF 2.1.0 run. Every rule that ran is listed,
// so code scanning can tell "ran and found nothing" from "did not run"
// and close fixed alerts. Exempted findings are results with a suppression.
func renderSARIF(b *bytes.Buffer, v *view) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           toolName,
			InformationURI: informationURI,
			Version:        v.version,
			Rules:          make([]sarifRule, len(v.rules)),
		}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
		Results:     make([]sarifResult, len(v.findings)),
		ColumnKind:  "unicodeCodePoints",
	}
	for i, r := range v.rules {
		run.Tool.Driver.Rules[i] = sarifRuleOf(r)
	}
	fps := fingerprints(v.findings)
	for i, f := range v.findings {
		run.Results[i] = sarifResultOf(f, v.ruleIdx[f.Check], fps[i])
	}
	// Input problems are not findings: they say the run could not look at
	// everything, which is what tool execution notifications are for.
	for _, n := range v.notes {
		if n.Level != finding.NoteError {
			continue
		}
		note := sarifNotification{Level: "error", Message: sarifMessage{Text: n.Message}}
		if pl := sarifPhysical(finding.Place{File: n.File, Line: n.Line}); pl != nil {
			if n.Line == 0 {
				pl.Region = nil // a file that could not be read has no line to blame
			}
			note.Locations = []sarifLocation{{PhysicalLocation: pl}}
		}
		run.Invocations[0].ToolExecutionNotifications = append(run.Invocations[0].ToolExecutionNotifications, note)
	}

	enc := json.NewEncoder(b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

func sarifRuleOf(r finding.Rule) sarifRule {
	title := cmp.Or(r.Title, r.ID)
	full := cmp.Or(r.Description, title)
	text, md := full, full
	if r.Remediation != "" {
		text += "\n\nRemediation: " + r.Remediation
		md += "\n\n**Remediation:** " + r.Remediation
	}
	if len(r.Controls) > 0 {
		text += "\n\nControls: " + strings.Join(r.Controls, ", ")
		md += "\n\n**Controls:** `" + strings.Join(r.Controls, "`, `") + "`"
	}
	return sarifRule{
		ID:                   r.ID,
		Name:                 pascalCase(title),
		ShortDescription:     sarifMultiformat{Text: title},
		FullDescription:      sarifMultiformat{Text: full},
		Help:                 sarifMultiformat{Text: text, Markdown: md},
		DefaultConfiguration: sarifConfiguration{Level: sarifLevel(r.Severity)},
		Properties: sarifRuleProperties{
			Tags:             append([]string{"security"}, r.Controls...),
			SecuritySeverity: securitySeverity[r.Severity],
		},
	}
}

func sarifResultOf(f finding.Finding, ruleIndex int, fp string) sarifResult {
	where := f.Object.String()
	if f.Container != "" {
		where += ", container " + f.Container
	}
	loc := sarifLocation{
		PhysicalLocation: sarifPhysical(f.Place),
		LogicalLocations: []sarifLogicalLocation{{Name: f.Object.Name, FullyQualifiedName: f.Object.String(), Kind: "resource"}},
	}
	res := sarifResult{
		RuleID:              f.Check,
		RuleIndex:           ruleIndex,
		Level:               sarifLevel(f.Severity),
		Message:             sarifMessage{Text: f.Message + " (" + where + ")"},
		Locations:           []sarifLocation{loc},
		PartialFingerprints: map[string]string{sarifFingerprintKey: fp},
		// Every result carries suppressions ([] when none), as SARIF asks
		// once any result in a run has them.
		Suppressions: []sarifSuppression{},
		Properties:   sarifResultProperties{Severity: f.Severity.String(), Container: f.Container},
	}
	if f.Exempted {
		// The finding does not say whether an annotation on the object
		// (in source) or the policy file exempted it, so "external": the
		// decision is recorded outside the result's own location.
		res.Suppressions = []sarifSuppression{{Kind: "external", Justification: f.ExemptReason}}
	}
	return res
}

// sarifPhysical returns the physical location of a place, or nil when it
// names no file. The line is never 0: an unknown line points at line 1.
func sarifPhysical(p finding.Place) *sarifPhysicalLocation {
	if p.File == "" {
		return nil
	}
	uri, base := sarifURI(p.File)
	region := &sarifRegion{StartLine: max(p.Line, 1)}
	if p.Line > 0 && p.Column > 0 {
		region.StartColumn = p.Column
	}
	return &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: uri, URIBaseID: base}, Region: region}
}

// sarifURI turns a file path (already made relative to BaseDir where it
// could be) into a URI reference. A relative path inside the base becomes a
// relative URI with forward slashes under %SRCROOT%; an absolute path (one
// outside BaseDir) becomes a file:// URI; a relative path that climbs out
// with ".." stays relative but without a base, as nothing can anchor it.
func sarifURI(file string) (uri, baseID string) {
	p := filepath.ToSlash(file)
	if filepath.IsAbs(file) || strings.HasPrefix(p, "/") {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // Windows: C:/x → /C:/x
		}
		return (&url.URL{Scheme: "file", Path: p}).String(), ""
	}
	p = path.Clean(p)
	segs := strings.Split(p, "/")
	for i, s := range segs {
		// PathEscape keeps ':', which in a first segment would read as a scheme.
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	uri = strings.Join(segs, "/")
	if p == ".." || strings.HasPrefix(p, "../") {
		return uri, ""
	}
	return uri, sarifSrcRoot
}

// pascalCase turns "Privileged container" or "privileged-container" into
// "PrivilegedContainer": words split on anything not a letter or digit,
// each word's first letter upper-cased, the rest kept.
func pascalCase(s string) string {
	var b strings.Builder
	upper := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
