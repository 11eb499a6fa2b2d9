package cli

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeToken assembles a token of a known format at test time, so that no
// committed file holds anything shaped like a live credential.
func fakeToken(seed uint64, prefix, alphabet string, n int) string {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := []byte(prefix)
	for range n {
		b = append(b, alphabet[r.IntN(len(alphabet))])
	}
	return string(b)
}

const tokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func fakeGitHubToken(seed uint64) string { return fakeToken(seed, "gh"+"p_", tokenChars, 36) }
func fakeStripeKey(seed uint64) string   { return fakeToken(seed, "sk"+"_live_", tokenChars, 24) }

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

type secretsJSON struct {
	Findings []struct {
		Check    string `json:"check"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Exempted bool   `json:"exempted"`
		Object   struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"object"`
		Place struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"place"`
	} `json:"findings"`
	Notes []struct {
		Level   string `json:"level"`
		File    string `json:"file"`
		Message string `json:"message"`
	} `json:"notes"`
}

func secretsRun(t *testing.T, args ...string) (int, secretsJSON, string) {
	t.Helper()
	code, out, errs := run(t, "", append([]string{"secrets", "-o", "json"}, args...)...)
	var rep secretsJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s\n%s", err, out, errs)
	}
	return code, rep, errs
}

func TestSecretsOutputsNeverHoldTheSecret(t *testing.T) {
	dir := t.TempDir()
	gh, stripe := fakeGitHubToken(1), fakeStripeKey(2)
	writeTestFile(t, filepath.Join(dir, "ci", "deploy.sh"), "#!/bin/sh\nexport GH_TOKEN="+gh+"\n")
	writeTestFile(t, filepath.Join(dir, "app", ".env"), "STRIPE_KEY="+stripe+"\n")
	for _, format := range []string{"text", "json", "sarif", "junit"} {
		code, out, errs := run(t, "", "secrets", "--base-dir", dir, "-o", format, dir)
		if code != ExitFindings {
			t.Fatalf("%s: exit %d, want %d\n%s", format, code, ExitFindings, errs)
		}
		for _, s := range []string{gh, stripe, gh[4:20], stripe[8:20]} {
			if strings.Contains(out, s) || strings.Contains(errs, s) {
				t.Fatalf("%s output holds the secret %q", format, s)
			}
		}
		if !strings.Contains(out, "secret-github-pat") || !strings.Contains(out, "secret-stripe-access-token") {
			t.Errorf("%s output lacks the findings:\n%s", format, out)
		}
	}
	_, rep, _ := secretsRun(t, "--base-dir", dir, dir)
	for _, f := range rep.Findings {
		if f.Check == "secret-github-pat" && (f.Place.File != "ci/deploy.sh" || f.Place.Line != 2 || !strings.Contains(f.Message, "ghp_…(40 chars), fingerprint ")) {
			t.Errorf("github finding %+v", f)
		}
	}
}

func TestSecretsBaseline(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "a.sh"), "TOKEN="+fakeGitHubToken(3)+"\n")
	baseline := filepath.Join(t.TempDir(), "baseline.json")
	if code, _, errs := secretsRun(t, "--write-baseline", baseline, dir); code != ExitOK {
		t.Fatalf("--write-baseline: exit %d, want 0 (every finding is now accepted)\n%s", code, errs)
	}
	raw, err := os.ReadFile(baseline)
	if err != nil || strings.Contains(string(raw), fakeGitHubToken(3)) || !strings.Contains(string(raw), `"rule": "github-pat"`) {
		t.Fatalf("baseline file (err %v):\n%s", err, raw)
	}
	code, rep, _ := secretsRun(t, "--baseline", baseline, dir)
	if code != ExitOK || len(rep.Findings) != 1 || !rep.Findings[0].Exempted {
		t.Fatalf("known finding: exit %d, %+v; want 0 with the finding exempted", code, rep.Findings)
	}
	writeTestFile(t, filepath.Join(dir, "b.sh"), "TOKEN="+fakeGitHubToken(4)+"\n")
	code, rep, _ = secretsRun(t, "--baseline", baseline, dir)
	if code != ExitFindings {
		t.Fatalf("new finding: exit %d, want 1", code)
	}
	for _, f := range rep.Findings {
		if f.Exempted == strings.HasSuffix(f.Place.File, "b.sh") {
			t.Errorf("finding %s exempted=%v", f.Place.File, f.Exempted)
		}
	}
	if code, _, errs := run(t, "", "secrets", "--baseline", filepath.Join(dir, "a.sh"), dir); code != ExitError || !strings.Contains(errs, "bad baseline file") {
		t.Errorf("bad baseline: exit %d, %s", code, errs)
	}
}

// copyTree copies the fixture directory src into a fresh directory: under
// testdata/ every file counts as a test fixture, whose generic findings
// are dropped.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		writeTestFile(t, filepath.Join(dst, rel), string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestSecretsManifestsAndValues(t *testing.T) {
	dir := copyTree(t, "testdata/secrets")
	code, rep, errs := secretsRun(t, "--base-dir", dir, dir)
	if code != ExitFindings {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.Check] = f.Place.File + ":" + itoa(f.Place.Line)
		if strings.Contains(f.Message, "fixture-pw-only-1") || strings.Contains(f.Message, "also-not-real-2") || strings.Contains(f.Message, "fake-pg-pass-3") {
			t.Errorf("message holds the secret: %q", f.Message)
		}
	}
	want := map[string]string{
		"secret-manifest-data":          "manifests.yaml:10",
		"configmap-credential":          "manifests.yaml:19",
		"secret-helm-values-credential": "chart/values.yaml:5",
	}
	for check, place := range want {
		if got[check] != place {
			t.Errorf("%s at %q, want %q", check, got[check], place)
		}
	}
	if len(rep.Findings) != len(want) {
		t.Errorf("got %d findings, want %d: %+v", len(rep.Findings), len(want), rep.Findings)
	}
	if code, rep, _ := secretsRun(t, "--no-manifests", dir); code != ExitFindings || len(rep.Findings) != 1 {
		t.Errorf("--no-manifests: exit %d, %d findings; want only the values file", code, len(rep.Findings))
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestSecretsGitHistory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	gitc := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	key := fakeStripeKey(5)
	gitc("init", "-q")
	writeTestFile(t, filepath.Join(dir, "settings.py"), "DEBUG = False\nSTRIPE = \""+key+"\"\n")
	gitc("add", ".")
	gitc("commit", "-q", "-m", "add", "--date=2023-06-07T08:09:10Z")
	writeTestFile(t, filepath.Join(dir, "settings.py"), "DEBUG = False\nSTRIPE = os.environ[\"STRIPE\"]\n")
	gitc("commit", "-q", "-am", "remove")

	if code, rep, _ := secretsRun(t, dir); code != ExitOK || len(rep.Findings) != 0 {
		t.Fatalf("working tree: exit %d, %+v", code, rep.Findings)
	}
	code, out, errs := run(t, "", "secrets", "--git", "--base-dir", dir, dir)
	if code != ExitFindings {
		t.Fatalf("--git: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "settings.py:2 Commit/") || !strings.Contains(out, "authored 2023-06-07T08:09:10Z") || strings.Contains(out, key) {
		t.Errorf("--git output:\n%s", out)
	}
	if code, _, errs := run(t, "", "secrets", "--git", t.TempDir()); code != ExitError || !strings.Contains(errs+"", "") {
		t.Errorf("not a repository: exit %d %s", code, errs)
	}
}

func TestSecretsBadInput(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "chart.tgz"), "\x1f\x8b\x08\x00broken")
	writeTestFile(t, filepath.Join(dir, "ok.sh"), "T="+fakeGitHubToken(6)+"\n")
	code, rep, _ := secretsRun(t, dir)
	if code != ExitError {
		t.Errorf("exit %d, want %d", code, ExitError)
	}
	if len(rep.Findings) != 1 || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0].Message, "bad archive") {
		t.Errorf("want the good file's finding and a note on the archive: %+v", rep)
	}
	for _, args := range [][]string{{"secrets"}, {"secrets", "--fail-on", "severe", dir}, {"secrets", "-o", "yaml", dir}} {
		if code, _, _ := run(t, "", args...); code != ExitError {
			t.Errorf("%v: exit %d, want %d", args, code, ExitError)
		}
	}
}
