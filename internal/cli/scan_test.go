package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Execute(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

type jsonReport struct {
	Findings []struct {
		Check    string `json:"check"`
		Severity string `json:"severity"`
		Exempted bool   `json:"exempted"`
		Place    struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"place"`
	} `json:"findings"`
	Notes []struct {
		Level string `json:"level"`
		File  string `json:"file"`
		Line  int    `json:"line"`
	} `json:"notes"`
}

func scanJSON(t *testing.T, stdin string, args ...string) (int, jsonReport) {
	t.Helper()
	code, out, errs := run(t, stdin, append([]string{"scan", "-o", "json"}, args...)...)
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s\n%s", err, out, errs)
	}
	return code, rep
}

func TestScanPointsAtTheLine(t *testing.T) {
	code, rep := scanJSON(t, "", "testdata/priv.yaml")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d", code, ExitFindings)
	}
	found := false
	for _, f := range rep.Findings {
		if f.Check == "privileged-container" {
			found = true
			if f.Place.File != "testdata/priv.yaml" || f.Place.Line != 11 {
				t.Errorf("privileged-container at %s:%d, want testdata/priv.yaml:11", f.Place.File, f.Place.Line)
			}
		}
	}
	if !found {
		t.Fatal("no privileged-container finding")
	}
}

func TestBrokenFileDoesNotStopTheScan(t *testing.T) {
	code, rep := scanJSON(t, "", "testdata/broken.yaml", "testdata/priv.yaml")
	if code != ExitError {
		t.Fatalf("exit %d, want %d for an input error", code, ExitError)
	}
	if len(rep.Notes) != 1 || rep.Notes[0].File != "testdata/broken.yaml" || rep.Notes[0].Line < 5 || rep.Notes[0].Level != "error" {
		t.Fatalf("notes: %+v", rep.Notes)
	}
	if len(rep.Findings) == 0 {
		t.Fatal("the good file was not scanned")
	}
}

func TestFailOnAndExemptions(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "rampart.yaml")
	if err := os.WriteFile(pol, []byte(`apiVersion: rampart.dev/v1alpha1
kind: Policy
exemptions:
- namespaces: [app]
  reason: test
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, rep := scanJSON(t, "", "--policy", pol, "testdata/priv.yaml")
	if code != ExitOK {
		t.Fatalf("exit %d with every finding exempted", code)
	}
	if len(rep.Findings) == 0 {
		t.Fatal("exempted findings must still be reported")
	}
	for _, f := range rep.Findings {
		if !f.Exempted {
			t.Errorf("%s not exempted", f.Check)
		}
	}
	if code, _, _ := run(t, "", "scan", "--fail-on", "critical", "--policy", pol, "testdata/priv.yaml"); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
}

func TestStdin(t *testing.T) {
	data, err := os.ReadFile("testdata/priv.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, rep := scanJSON(t, string(data), "-")
	if len(rep.Findings) == 0 || rep.Findings[0].Place.File != "<stdin>" {
		t.Fatalf("findings from stdin: %+v", rep.Findings)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		{"scan"},
		{"scan", "--fail-on", "severe", "testdata/priv.yaml"},
		{"scan", "-o", "xml", "testdata/priv.yaml"},
		{"scan", "--policy", "testdata/missing-policy.yaml", "testdata/priv.yaml"},
		{"nonsense"},
	}
	for _, args := range tests {
		code, out, errs := run(t, "", args...)
		if code != ExitError {
			t.Errorf("%v: exit %d, want %d", args, code, ExitError)
		}
		if !strings.HasPrefix(errs, "rampart: ") || strings.Contains(errs, "goroutine") {
			t.Errorf("%v: stderr %q", args, errs)
		}
		_ = out
	}
}

func TestInvalidPolicyIsExplained(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "rampart.yaml")
	if err := os.WriteFile(pol, []byte(`apiVersion: rampart.dev/v1alpha1
kind: Policy
checks:
  disable: [privileged-containr]
exemptions:
- names: [x]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := run(t, "", "scan", "--policy", pol, "testdata/priv.yaml")
	if code != ExitError || !strings.Contains(errs, `unknown check "privileged-containr" (did you mean "privileged-container"?)`) || !strings.Contains(errs, "reason is required") {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
}

func TestVersionAndChecks(t *testing.T) {
	if code, out, _ := run(t, "", "version"); code != 0 || !strings.HasPrefix(out, "rampart ") {
		t.Fatalf("version: %d %q", code, out)
	}
	code, out, _ := run(t, "", "checks")
	if code != 0 || !strings.Contains(out, "privileged-container") {
		t.Fatalf("checks: %d %q", code, out)
	}
}
