package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium returns the path of a Chromium binary. Outside CI the browser
// test is skipped when there is none; in CI (CI=true) it fails, since the
// test script installs one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found; scripts/test.sh installs it")
	}
	t.Skip("no Chromium found (install the chromium package to run the browser test)")
	return ""
}

// TestHTMLInChromium loads the audit report in real headless Chromium and
// checks what a reader sees: every countermeasure row, every finding row,
// every node, and no external resource requested.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "audit.html")
	rep := auditFixture()
	if err := os.WriteFile(page, render(t, "html", rep, testOptions()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile")}
	out, err := exec.CommandContext(ctx, bin, append(args, "--dump-dom", "file://"+page)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	dom := string(out)
	count := func(re string) int { return len(regexp.MustCompile(re).FindAllStringIndex(dom, -1)) }
	if n := count(`<tr class="section-row">`); n != len(rep.Audit.Sections) {
		t.Errorf("%d countermeasure rows in the page, want %d", n, len(rep.Audit.Sections))
	}
	if n := count(`<tr class="finding( exempted)?">`); n != len(rep.Findings) {
		t.Errorf("%d finding rows in the page, want %d", n, len(rep.Findings))
	}
	if n := count(`<tr class="node">`); n != len(rep.Audit.Nodes) {
		t.Errorf("%d node rows in the page, want %d", n, len(rep.Audit.Nodes))
	}
	for _, want := range []string{`id="section-4.3.2"`, "anonymous-access", "Unauthorized access", `class="badge fail"`, "node-b"} {
		if !strings.Contains(dom, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(dom) {
		t.Error("the report loads an external resource; it must be self-contained")
	}
	shot := filepath.Join(dir, "audit.png")
	if err := exec.CommandContext(ctx, bin, append(args, "--screenshot="+shot, "--window-size=1280,1600", "file://"+page)...).Run(); err != nil {
		t.Fatalf("chromium --screenshot: %v", err)
	}
	if info, err := os.Stat(shot); err != nil || info.Size() < 10_000 {
		t.Fatalf("screenshot missing or blank: %v", err)
	}
	if d := os.Getenv("RAMPART_KEEP_SCREENSHOT"); d != "" {
		data, _ := os.ReadFile(shot)
		_ = os.WriteFile(filepath.Join(d, "audit.png"), data, 0o644)
	}
}
