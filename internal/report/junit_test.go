package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/finding"
)

func TestJUnitCounts(t *testing.T) {
	rep := fixture()
	var got junitTestSuites
	if err := xml.Unmarshal(render(t, "junit", rep, testOptions()), &got); err != nil {
		t.Fatalf("parse JUnit XML: %v", err)
	}
	var tests, failures, errs, skipped int
	suites := map[string]junitTestSuite{}
	for _, s := range got.Suites {
		suites[s.Name] = s
		var f, e, sk int
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
			if c.Skipped != nil {
				sk++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("suite %s: attributes tests=%d failures=%d errors=%d skipped=%d, counted %d/%d/%d/%d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
		tests, failures, errs, skipped = tests+s.Tests, failures+s.Failures, errs+s.Errors, skipped+s.Skipped
	}
	if got.Tests != tests || got.Failures != failures || got.Errors != errs || got.Skipped != skipped {
		t.Errorf("testsuites totals %d/%d/%d/%d, suites sum to %d/%d/%d/%d",
			got.Tests, got.Failures, got.Errors, got.Skipped, tests, failures, errs, skipped)
	}
	// 6 failing findings, 1 exempted (skipped), 2 input errors, and one
	// passing case for host-network, which found nothing.
	if failures != 6 || skipped != 1 || errs != 2 || tests != 10 {
		t.Errorf("totals failures=%d skipped=%d errors=%d tests=%d, want 6/1/2/10", failures, skipped, errs, tests)
	}
	if len(got.Suites) != len(rep.Rules)+1 {
		t.Errorf("%d suites, want one per rule plus input", len(got.Suites))
	}
	if hn := suites["host-network"]; len(hn.Cases) != 1 || hn.Cases[0].Name != "no findings" || hn.Failures != 0 {
		t.Errorf("host-network suite %+v, want one passing 'no findings' case", hn)
	}
	lt := suites["latest-image-tag"]
	for _, c := range lt.Cases {
		if c.Skipped != nil && c.Skipped.Message != "exempted: pinned by digest at deploy time (SEC-42)" {
			t.Errorf("skipped message %q", c.Skipped.Message)
		}
	}
	pc := suites["privileged-container"]
	if pc.Cases[0].Failure == nil || pc.Cases[0].Failure.Type != "critical" {
		t.Errorf("privileged-container case %+v, want a failure of type critical", pc.Cases[0])
	}
	if in := suites["input"]; in.Errors != 2 || in.Cases[0].Name != "deploy/broken.yaml:7" {
		t.Errorf("input suite %+v", in)
	}
}

// Text from the input (messages quote YAML) must not break the XML.
func TestJUnitHostileText(t *testing.T) {
	rep := &finding.Report{
		Rules: []finding.Rule{{ID: "c", Title: "C"}},
		Findings: []finding.Finding{{Check: "c", Object: finding.ObjectRef{Kind: "Pod", Name: "p"},
			Message: "bad \x01 value ]]> & <tag>", Remediation: "fix ]]> it"}},
		Notes: []finding.Note{{Level: finding.NoteError, File: "a.yaml", Message: "control \x1b char"}},
	}
	var got junitTestSuites
	if err := xml.Unmarshal(render(t, "junit", rep, Options{}), &got); err != nil {
		t.Fatalf("parse JUnit XML: %v", err)
	}
	f := got.Suites[1].Cases[0].Failure
	if f == nil || !strings.Contains(f.Text, "]]> & <tag>") || !strings.Contains(f.Text, "fix ]]> it") {
		t.Errorf("failure text did not survive: %+v", f)
	}
}
