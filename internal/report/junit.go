package report

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
)

// JUnit XML in the common (Jenkins/GitLab/Ant) dialect: one testsuite per
// check that ran, one testcase per finding.

type junitTestSuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Skipped  int              `xml:"skipped,attr"`
	Suites   []junitTestSuite `xml:"testsuite"`
}

type junitTestSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitTestCase  `xml:"testcase"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	// Text is CDATA so its lines stay lines in the file.
	Text string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// junitInputSuite is the testsuite holding input errors.
const junitInputSuite = "input"

// renderJUnit writes the report as JUnit XML. Input errors come first, as
// a testsuite "input" of <error> testcases; then one testsuite per rule, with
// a passing "no findings" testcase when the rule found nothing.
func renderJUnit(b *bytes.Buffer, v *view) error {
	root := junitTestSuites{Name: toolName}

	input := junitTestSuite{Name: junitInputSuite}
	for _, n := range v.notes {
		if n.Level != finding.NoteError {
			continue
		}
		name := cmp.Or(noteLoc(n), junitInputSuite)
		input.Cases = append(input.Cases, junitTestCase{
			Name:      name,
			Classname: cmp.Or(n.File, junitInputSuite),
			Error:     &junitProblem{Message: n.Message, Type: "input", Text: xmlText(name + ": " + n.Message)},
		})
		input.Tests++
		input.Errors++
	}
	if input.Tests > 0 {
		root.Suites = append(root.Suites, input)
	}

	byRule := make([][]finding.Finding, len(v.rules))
	for _, f := range v.findings {
		i := v.ruleIdx[f.Check]
		byRule[i] = append(byRule[i], f)
	}
	for i, r := range v.rules {
		s := junitTestSuite{Name: r.ID, Properties: junitRuleProperties(r)}
		for _, f := range byRule[i] {
			s.Cases = append(s.Cases, junitCaseOf(f))
			s.Tests++
			switch {
			case f.Exempted:
				s.Skipped++
			default:
				s.Failures++
			}
		}
		if len(byRule[i]) == 0 {
			s.Cases = []junitTestCase{{Name: "no findings", Classname: r.ID}}
			s.Tests = 1
		}
		root.Suites = append(root.Suites, s)
	}

	for _, s := range root.Suites {
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
	}
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(b)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	b.WriteByte('\n')
	return nil
}

func junitRuleProperties(r finding.Rule) *junitProperties {
	ps := []junitProperty{
		{Name: "title", Value: r.Title},
		{Name: "severity", Value: r.Severity.String()},
	}
	if len(r.Controls) > 0 {
		ps = append(ps, junitProperty{Name: "controls", Value: strings.Join(r.Controls, ", ")})
	}
	return &junitProperties{Property: ps}
}

func junitCaseOf(f finding.Finding) junitTestCase {
	name := f.Object.String()
	if f.Container != "" {
		name += " (container " + f.Container + ")"
	}
	c := junitTestCase{Name: name, Classname: cmp.Or(f.Place.File, f.Object.String())}
	if f.Exempted {
		msg := "exempted"
		if f.ExemptReason != "" {
			msg += ": " + f.ExemptReason
		}
		c.Skipped = &junitSkipped{Message: msg}
		return c
	}
	var text strings.Builder
	if loc := f.Place.String(); loc != "" {
		text.WriteString(loc + ": ")
	}
	text.WriteString(f.Message)
	if f.Place.Path != "" {
		text.WriteString("\nfield: " + f.Place.Path)
	}
	if f.Remediation != "" {
		text.WriteString("\nfix: " + f.Remediation)
	}
	if len(f.Controls) > 0 {
		text.WriteString("\ncontrols: " + strings.Join(f.Controls, ", "))
	}
	c.Failure = &junitProblem{Message: f.Message, Type: f.Severity.String(), Text: xmlText(text.String())}
	return c
}

// xmlText replaces characters XML 1.0 cannot hold with U+FFFD. encoding/xml
// does this for attributes and character data but not for CDATA.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}
