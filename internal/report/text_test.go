package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/finding"
)

func textLines(t *testing.T, rep *finding.Report, opts Options) []string {
	t.Helper()
	return strings.Split(strings.TrimSuffix(string(render(t, "text", rep, opts)), "\n"), "\n")
}

func TestTextSummaryLine(t *testing.T) {
	lines := textLines(t, fixture(), testOptions())
	want := "6 findings (2 critical, 1 high, 1 medium, 1 low, 1 info), 1 exempted, in 6 files, 3 objects"
	if got := lines[len(lines)-1]; got != want {
		t.Errorf("last line\n got %q\nwant %q", got, want)
	}

	one := &finding.Report{Files: 1, Objects: 1, Findings: []finding.Finding{{Check: "c", Severity: finding.Low, Message: "m"}}}
	lines = textLines(t, one, Options{})
	if got, want := lines[len(lines)-1], "1 finding (0 critical, 0 high, 0 medium, 1 low, 0 info), 0 exempted, in 1 file, 1 object"; got != want {
		t.Errorf("last line\n got %q\nwant %q", got, want)
	}
}

func TestTextInputProblemsFirst(t *testing.T) {
	lines := textLines(t, fixture(), testOptions())
	if lines[0] != "Input problems:" {
		t.Fatalf("first line %q, want the input problems heading", lines[0])
	}
	if !strings.Contains(lines[1], "deploy/broken.yaml:7") || !strings.Contains(lines[1], "did not find expected key") {
		t.Errorf("first problem %q lacks file:line and message", lines[1])
	}
}

func TestTextGroupsAndFindings(t *testing.T) {
	out := string(render(t, "text", fixture(), testOptions()))
	for _, want := range []string{
		"deploy/api.yaml:27 prod/Deployment/api\n",
		"charts/web/templates/deployment.yaml:18 web/Deployment/web\n",
		"CRITICAL  privileged-container     container runs privileged (container app)  deploy/api.yaml:31",
		"fix: Remove securityContext.privileged",
		"(container sidecar)  deploy/api.yaml:38  (exempted: pinned by digest at deploy time (SEC-42))",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	if strings.Contains(out, testBase) {
		t.Errorf("text output has a path under BaseDir that was not made relative")
	}
	// An exempted finding gets no fix line: nothing is asked of the user.
	for i, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "(exempted") && strings.Contains(strings.Split(out, "\n")[i+1], "fix:") {
			t.Errorf("exempted finding followed by a fix line: %q", l)
		}
	}
}

func TestTextSkippedDocuments(t *testing.T) {
	few := string(render(t, "text", fixture(), testOptions()))
	if !strings.Contains(few, "3 documents skipped:\n") || !strings.Contains(few, "charts/web/Chart.yaml:1") {
		t.Errorf("few skipped documents are not listed:\n%s", few)
	}

	rep := &finding.Report{}
	for i := range 7 {
		msg := skippedMsg
		if i == 6 {
			msg = "skipped: empty document"
		}
		rep.Notes = append(rep.Notes, finding.Note{Level: finding.NoteInfo, File: fmt.Sprintf("f%d.yaml", i), Line: 1, Message: msg})
	}
	many := string(render(t, "text", rep, Options{}))
	if strings.Contains(many, "f3.yaml") {
		t.Errorf("more than %d skipped documents are listed one by one:\n%s", maxListedSkipped, many)
	}
	for _, want := range []string{"7 documents skipped:\n", skippedMsg + " (6 documents)\n", "skipped: empty document (1 document)\n"} {
		if !strings.Contains(many, want) {
			t.Errorf("summary of many skipped documents lacks %q:\n%s", want, many)
		}
	}
}

func TestTextColor(t *testing.T) {
	on := testOptions()
	on.Color = true
	out := string(render(t, "text", fixture(), on))
	for _, want := range []string{
		ansiBoldRd + "CRITICAL" + ansiReset,
		ansiYellow + "MEDIUM  " + ansiReset,
		ansiFaint + "  LOW  ", // exempted lines are dimmed whole
	} {
		if !strings.Contains(out, want) {
			t.Errorf("coloured text lacks %q", want)
		}
	}
}

// The same check on several containers of one object gets one fix line,
// and a message that already names its container in quotes is not repeated.
func TestTextFixOncePerObject(t *testing.T) {
	obj := finding.ObjectRef{Kind: "Pod", Name: "p"}
	rep := &finding.Report{Findings: []finding.Finding{
		{Check: "c", Object: obj, Container: "a", Place: finding.Place{File: "p.yaml", Line: 3}, Message: `container "a" has no limit`, Remediation: "Set limits."},
		{Check: "c", Object: obj, Container: "b", Place: finding.Place{File: "p.yaml", Line: 9}, Message: "no limit", Remediation: "Set limits."},
	}}
	out := string(render(t, "text", rep, Options{}))
	if n := strings.Count(out, "fix: Set limits."); n != 1 {
		t.Errorf("%d fix lines, want 1:\n%s", n, out)
	}
	if strings.Contains(out, "(container a)") || !strings.Contains(out, "no limit (container b)") {
		t.Errorf("container shown wrongly:\n%s", out)
	}
}

// Text from the input cannot smuggle terminal escapes or line breaks into
// the text output.
func TestTextNeutralisesControlCharacters(t *testing.T) {
	rep := &finding.Report{
		Findings: []finding.Finding{{Check: "c", Object: finding.ObjectRef{Kind: "Pod", Name: "evil\x1b[2J"},
			Place: finding.Place{File: "p.yaml", Line: 1}, Message: "image \"x\x1b[31m\"\nFAKE LINE", Remediation: "fix\x07"}},
		Notes: []finding.Note{{Level: finding.NoteError, File: "e\x9b.yaml", Message: "bad\rbyte\u009b"}},
	}
	out := string(render(t, "text", rep, Options{}))
	if strings.ContainsAny(out, "\x1b\x07\r\u009b") || strings.IndexByte(out, 0x9b) >= 0 {
		t.Errorf("control characters reached the text output: %q", out)
	}
	if !strings.Contains(out, `evil\x1b[2J`) || !strings.Contains(out, `image "x\x1b[31m" FAKE LINE`) {
		t.Errorf("control characters not shown escaped: %q", out)
	}
}
