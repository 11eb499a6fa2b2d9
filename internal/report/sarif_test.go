package report

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/rampart-dev/rampart/internal/finding"
)

// parseSARIF reads our output back with an independent SARIF model.
func parseSARIF(t *testing.T, out []byte) *sarif.Run {
	t.Helper()
	log, err := sarif.FromBytes(out)
	if err != nil {
		t.Fatalf("parse SARIF: %v", err)
	}
	if log.Version != "2.1.0" {
		t.Errorf("version %q, want 2.1.0", log.Version)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	return log.Runs[0]
}

func TestSARIFStructure(t *testing.T) {
	rep := fixture()
	out := render(t, "sarif", rep, testOptions())
	run := parseSARIF(t, out)

	d := run.Tool.Driver
	if d == nil || d.Name != "rampart" || d.InformationURI == nil || d.Version == nil || *d.Version != "v0.3.0" {
		t.Fatalf("driver %+v", d)
	}
	if len(d.Rules) != len(rep.Rules) {
		t.Errorf("%d rules, want every rule that ran (%d)", len(d.Rules), len(rep.Rules))
	}
	for _, r := range d.Rules {
		if r.Name == nil || *r.Name == "" || strings.ContainsAny(*r.Name, " -") {
			t.Errorf("rule %s: name %v is not PascalCase", r.ID, r.Name)
		}
		if r.ShortDescription == nil || r.FullDescription == nil || r.Help == nil || r.Help.Markdown == nil ||
			!strings.Contains(*r.Help.Markdown, "Remediation") || r.DefaultConfiguration == nil {
			t.Errorf("rule %s lacks descriptions, help or default configuration", r.ID)
		}
		sev, ok := r.Properties["security-severity"].(string)
		if n, err := strconv.ParseFloat(sev, 64); !ok || err != nil || n < 0 || n > 10 {
			t.Errorf("rule %s: security-severity %v is not a number string in 0–10", r.ID, r.Properties["security-severity"])
		}
		tags, _ := r.Properties["tags"].([]any)
		if len(tags) == 0 || tags[0] != "security" {
			t.Errorf("rule %s: tags %v lack security", r.ID, tags)
		}
	}

	if len(run.Results) != len(rep.Findings) {
		t.Fatalf("%d results, want one per finding (%d), exempted ones included", len(run.Results), len(rep.Findings))
	}
	seenFP := map[string]bool{}
	for i, res := range run.Results {
		f := findingOf(t, rep, res)
		id := *res.RuleID
		if res.RuleIndex == nil || int(*res.RuleIndex) >= len(d.Rules) || d.Rules[*res.RuleIndex].ID != id {
			t.Errorf("result %d: ruleIndex %v does not point at rule %s", i, res.RuleIndex, id)
		}
		wantLevel := map[finding.Severity]string{finding.Critical: "error", finding.High: "error", finding.Medium: "warning", finding.Low: "note", finding.Info: "note"}[f.Severity]
		if res.Level == nil || *res.Level != wantLevel {
			t.Errorf("result %d: level %v, want %s", i, res.Level, wantLevel)
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation == nil {
			t.Fatalf("result %d: no physical location", i)
		}
		pl := res.Locations[0].PhysicalLocation
		checkRelativeURI(t, fmt.Sprintf("result %d", i), pl.ArtifactLocation)
		if pl.Region == nil || pl.Region.StartLine == nil || *pl.Region.StartLine < 1 {
			t.Errorf("result %d: region %+v has no startLine ≥ 1", i, pl.Region)
		}
		if ll := res.Locations[0].LogicalLocations; len(ll) != 1 || *ll[0].Name != f.Object.Name || *ll[0].Kind != "resource" {
			t.Errorf("result %d: logical locations %+v", i, ll)
		}
		fp, _ := res.PartialFingerprints[sarifFingerprintKey].(string)
		if fp == "" || seenFP[fp] {
			t.Errorf("result %d: partial fingerprint %q missing or repeated", i, fp)
		}
		seenFP[fp] = true
		switch {
		case f.Exempted:
			if len(res.Suppressions) != 1 || (res.Suppressions[0].Kind != "inSource" && res.Suppressions[0].Kind != "external") ||
				res.Suppressions[0].Justification == nil || *res.Suppressions[0].Justification != f.ExemptReason {
				t.Errorf("result %d: exempted finding has suppressions %+v", i, res.Suppressions)
			}
		case len(res.Suppressions) != 0:
			t.Errorf("result %d: finding not exempted but suppressed", i)
		}
	}

	// The fixture's finding with an unknown line still points at line 1.
	for i, res := range run.Results {
		if f := findingOf(t, rep, res); f.Place.Line == 0 {
			if r := res.Locations[0].PhysicalLocation.Region; *r.StartLine != 1 || r.StartColumn != nil {
				t.Errorf("result %d with unknown line: region %+v", i, r)
			}
		}
	}

	if len(run.Invocations) != 1 {
		t.Fatalf("%d invocations", len(run.Invocations))
	}
	notes := run.Invocations[0].ToolExecutionNotifications
	if len(notes) != 2 {
		t.Fatalf("%d tool execution notifications, want the 2 input errors", len(notes))
	}
	for _, n := range notes {
		if n.Level != "error" || n.Message == nil || n.Message.Text == nil {
			t.Errorf("notification %+v", n)
		}
		for _, l := range n.Locations {
			checkRelativeURI(t, "notification", l.PhysicalLocation.ArtifactLocation)
		}
	}

	checkNoNulls(t, out)
}

// findingOf returns the input finding a result was made from, matched on
// check, object and container (unique in the fixture).
func findingOf(t *testing.T, rep *finding.Report, res *sarif.Result) finding.Finding {
	t.Helper()
	container, _ := res.Properties["container"].(string)
	fqn := *res.Locations[0].LogicalLocations[0].FullyQualifiedName
	for _, f := range rep.Findings {
		if f.Check == *res.RuleID && f.Object.String() == fqn && f.Container == container {
			return f
		}
	}
	t.Fatalf("result %s on %s (container %q) matches no finding", *res.RuleID, fqn, container)
	return finding.Finding{}
}

func checkRelativeURI(t *testing.T, what string, al *sarif.ArtifactLocation) {
	t.Helper()
	if al == nil || al.URI == nil {
		t.Errorf("%s: no artifact location", what)
		return
	}
	uri := *al.URI
	u, err := url.Parse(uri)
	switch {
	case err != nil:
		t.Errorf("%s: uri %q: %v", what, uri, err)
	case u.IsAbs() || strings.HasPrefix(uri, "/") || strings.Contains(uri, `\`):
		t.Errorf("%s: uri %q is not a relative forward-slash path", what, uri)
	case uri == ".." || strings.HasPrefix(uri, "../") || strings.Contains(uri, "/../"):
		t.Errorf("%s: uri %q climbs out of the base", what, uri)
	case strings.Contains(uri, strings.TrimPrefix(testBase, "/")):
		t.Errorf("%s: uri %q still holds BaseDir", what, uri)
	}
	if al.URIBaseId == nil || *al.URIBaseId != "%SRCROOT%" {
		t.Errorf("%s: uriBaseId %v, want %%SRCROOT%%", what, al.URIBaseId)
	}
}

// checkNoNulls fails on any JSON null: no SARIF property we write admits one.
func checkNoNulls(t *testing.T, out []byte) {
	t.Helper()
	var doc any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case nil:
			t.Errorf("null at %s", path)
		case map[string]any:
			for k, x := range v {
				walk(path+"."+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		}
	}
	walk("$", doc)
}

// A finding whose check is not among the report's rules still gets a rule
// to point at, made from the finding.
func TestSARIFRuleFromFinding(t *testing.T) {
	rep := fixture()
	rep.Findings = append(rep.Findings, finding.Finding{Check: "zz-extra", Title: "Extra check", Severity: finding.Medium,
		Object: finding.ObjectRef{Kind: "Pod", Name: "p"}, Place: finding.Place{File: "pod.yaml", Line: 3}, Message: "m"})
	run := parseSARIF(t, render(t, "sarif", rep, testOptions()))
	last := run.Results[len(run.Results)-1]
	if *last.RuleID != "zz-extra" || run.Tool.Driver.Rules[*last.RuleIndex].ID != "zz-extra" {
		t.Fatalf("result for an unlisted rule points at %v", run.Tool.Driver.Rules[*last.RuleIndex].ID)
	}
	if n := *run.Tool.Driver.Rules[*last.RuleIndex].Name; n != "ExtraCheck" {
		t.Errorf("made-up rule name %q", n)
	}
}

// Moving a manifest's text must not change what identifies an alert.
func TestSARIFFingerprintsSurviveMoves(t *testing.T) {
	a := parseSARIF(t, render(t, "sarif", fixture(), testOptions()))
	moved := fixture()
	for i := range moved.Findings {
		moved.Findings[i].Place.Line += 10
	}
	b := parseSARIF(t, render(t, "sarif", moved, testOptions()))
	for i := range a.Results {
		if fmt.Sprint(a.Results[i].PartialFingerprints) != fmt.Sprint(b.Results[i].PartialFingerprints) {
			t.Errorf("result %d: fingerprint changed when lines moved", i)
		}
	}
}

func TestSARIFURI(t *testing.T) {
	cases := []struct{ in, uri, base string }{
		{"deploy/api.yaml", "deploy/api.yaml", "%SRCROOT%"},
		{"./k8s/my app.yaml", "k8s/my%20app.yaml", "%SRCROOT%"},
		{"c:odd.yaml", "c%3Aodd.yaml", "%SRCROOT%"},
		{"<stdin>", "%3Cstdin%3E", "%SRCROOT%"},
		{"/elsewhere/x.yaml", "file:///elsewhere/x.yaml", ""},
		{"../up.yaml", "../up.yaml", ""},
	}
	for _, c := range cases {
		uri, base := sarifURI(c.in)
		if uri != c.uri || base != c.base {
			t.Errorf("sarifURI(%q) = %q, %q; want %q, %q", c.in, uri, base, c.uri, c.base)
		}
	}
}

func TestPascalCase(t *testing.T) {
	for in, want := range map[string]string{
		"Privileged container":      "PrivilegedContainer",
		"privileged-container":      "PrivilegedContainer",
		"hostPath volume":           "HostPathVolume",
		"Container may run as root": "ContainerMayRunAsRoot",
		"CAP_SYS_ADMIN added":       "CAPSYSADMINAdded",
	} {
		if got := pascalCase(in); got != want {
			t.Errorf("pascalCase(%q) = %q, want %q", in, got, want)
		}
	}
}
