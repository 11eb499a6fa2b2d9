package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"
)

func newTestScanner(t testing.TB) *Scanner {
	t.Helper()
	s, err := NewScanner(Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ruleIDs returns the rule of every finding that is not allowed inline.
func ruleIDs(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if !f.Allowed {
			out = append(out, f.RuleID)
		}
	}
	return out
}

func TestScanRuleFamilies(t *testing.T) {
	s := newTestScanner(t)
	tests := []struct {
		name, path, content string
		want                string // rule ID, "" for no finding
		line                int
	}{
		{"aws access key in Go", "app/aws.go", "package app\n\nconst id = \"" + fakeAWS() + "\"\n", "aws-access-token", 3},
		{"github token in YAML", "ci/deploy.yaml", "env:\n  GH: " + fakeGitHub() + "\n", "github-pat", 2},
		{"gitlab token in shell", "scripts/push.sh", "#!/bin/sh\nexport GL=" + fakeGitLab() + "\n", "gitlab-pat", 2},
		{"slack bot token in JSON", "conf/slack.json", "{\n \"bot\": \"" + fakeSlack() + "\"\n}\n", "slack-bot-token", 2},
		{"stripe live key in env file", "app/.env", "STRIPE=" + fakeStripe() + "\n", "stripe-access-token", 1},
		{"gcp api key in JS", "web/maps.js", "const k = '" + fakeGCP() + "';\n", "gcp-api-key", 1},
		{"npm token in npmrc", ".npmrc", "//registry.npmjs.org/:_authToken=" + fakeNPM() + "\n", "npm-access-token", 1},
		{"jwt in a header", "api/client.py", "headers = {\"Authorization\": \"Bearer " + fakeJWT() + "\"}\n", "jwt", 1},
		{"private key", "deploy/tls.key", "# key\n" + fakePEM(), "private-key", 2},
		{"generic secret by name and entropy", "app/config.ini", "[db]\nsecret_key = " + fakeGeneric() + "\n", "generic-api-key", 2},
		{"helm values password", "charts/app/values.yaml", "db:\n  host: db\n  password: \"Pl41n-pw-here\"\n", "helm-values-credential", 3},
		{"helm values override file", "deploy/values-prod.yaml", "auth:\n  adminPassword: s3cr3tAdm1n\n", "helm-values-credential", 2},

		// False positives that must stay quiet.
		{"aws documentation example", "docs/aws.md", "id: AKIAIOSFODNN7EXAMPLE\n", "", 0},
		{"placeholder in values", "charts/app/values.yaml", "db:\n  password: changeme\n  existingSecret: db-creds\n  passwordKey: password\n  tokenFile: /run/token\n", "", 0},
		{"templated value", "charts/app/values.yaml", "db:\n  password: \"{{ .Values.global.pw }}\"\n  apiToken: ${API_TOKEN}\n", "", 0},
		{"empty values", "charts/app/values.yaml", "auth:\n  password: \"\"\n  token: null\n", "", 0},
		{"integrity hashes in package-lock", "web/package-lock.json", `{"integrity": "sha512-` + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1, 7, 3}, 20)) + `", "token": "` + fakeGeneric() + `"}`, "", 0},
		{"go.sum", "go.sum", "example.com/mod v1.0.0 h1:" + fakeGeneric() + "=\n", "", 0},
		{"yarn.lock", "yarn.lock", "key@1:\n  integrity sha512-" + fakeGeneric() + "\n", "", 0},
		{"poetry.lock", "poetry.lock", "[metadata]\ncontent-hash = \"" + fakeGeneric() + "\"\n", "", 0},
		{"Cargo.lock", "Cargo.lock", "[[package]]\nchecksum = \"" + fakeGeneric() + "\"\n", "", 0},
		{"generic in a test fixture", "pkg/auth/testdata/cfg.ini", "api_key = " + fakeGeneric() + "\n", "", 0},
		{"generic in a Go test", "pkg/auth/auth_test.go", "const apiKey = \"" + fakeGeneric() + "\"\n", "", 0},
		{"generic in a minified bundle", "web/dist/app.min.js", "var a={apiKey:\"" + fakeGeneric() + "\"};", "", 0},
		{"generic in a one-line bundle", "web/dist/app.js", "var a={apiKey:\"" + fakeGeneric() + "\"};" + strings.Repeat("function f(){return 1};", 300), "", 0},
		{"data URL image next to a key word", "web/index.html", "<img alt=\"key\" src=\"" + pngDataURL(t) + "\">\n", "", 0},
		{"raw base64 PNG under a key", "web/icons.json", "{\"icon_key\": \"" + pngBase64(t) + "\"}\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := s.Scan(context.Background(), Fragment{Path: tt.path, Content: []byte(tt.content)})
			got := ruleIDs(fs)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("got findings %v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("got rules %v, want [%s]", got, tt.want)
			}
			if fs[0].Line != tt.line {
				t.Errorf("line = %d, want %d", fs[0].Line, tt.line)
			}
		})
	}
}

// Specific token formats are still reported in fixtures and bundles, at
// low severity in fixtures: real keys do get pasted into tests.
func TestScanKeepsVendorTokensInNoisyFiles(t *testing.T) {
	s := newTestScanner(t)
	fs := s.Scan(context.Background(), Fragment{Path: "internal/x/testdata/cfg.yaml", Content: []byte("token: " + fakeGitHub() + "\n")})
	if len(fs) != 1 || fs[0].RuleID != "github-pat" || !fs[0].Fixture || fs[0].Severity().String() != "low" {
		t.Fatalf("got %+v, want one low-severity github-pat fixture finding", fs)
	}
	fs = s.Scan(context.Background(), Fragment{Path: "web/app.min.js", Content: []byte("var k=\"" + fakeGCP() + "\";")})
	if len(ruleIDs(fs)) != 1 {
		t.Fatalf("minified bundle: got %v, want the gcp key", ruleIDs(fs))
	}
}

func TestScanPosition(t *testing.T) {
	s := newTestScanner(t)
	content := "a\nb\n  token = \"" + fakeGitHub() + "\"\n"
	fs := s.Scan(context.Background(), Fragment{Path: "x.toml", Content: []byte(content)})
	if len(fs) != 1 {
		t.Fatalf("got %d findings", len(fs))
	}
	if fs[0].Line != 3 || fs[0].Column != 12 {
		t.Errorf("position = %d:%d, want 3:12", fs[0].Line, fs[0].Column)
	}
	// A diff hunk starting at line 40 numbers its lines from there.
	fs = s.Scan(context.Background(), Fragment{Path: "x.toml", Content: []byte("x\ntoken = \"" + fakeGitHub() + "\"\n"), StartLine: 40})
	if len(fs) != 1 || fs[0].Line != 41 || fs[0].Column != 10 {
		t.Errorf("hunk position = %+v, want line 41 column 10", fs)
	}
}

func TestScanLargeFilePositions(t *testing.T) {
	s := newTestScanner(t)
	var b strings.Builder
	for i := range 20000 {
		if i%3 == 0 {
			b.WriteString("// the api key is read from the environment\n")
		} else {
			b.WriteString("x := compute(y)\n")
		}
	}
	b.WriteString("aws := \"" + fakeAWS() + "\"\n")
	b.WriteString(fakePEM())
	fs := s.Scan(context.Background(), Fragment{Path: "big.go", Content: []byte(b.String())})
	got := map[string]int{}
	for _, f := range fs {
		got[f.RuleID] = f.Line
	}
	if got["aws-access-token"] != 20001 || got["private-key"] != 20002 {
		t.Fatalf("got %v, want aws-access-token at 20001 and private-key at 20002", got)
	}
}

func TestAllowComments(t *testing.T) {
	s := newTestScanner(t)
	tests := []struct {
		name, content string
		allowed       bool
	}{
		{"same line", "key = \"" + fakeGitHub() + "\" # rampart:allow-secret\n", true},
		{"gitleaks comment", "key = \"" + fakeGitHub() + "\" // gitleaks:allow\n", true},
		{"line above", "# rampart:allow-secret test token\nkey = \"" + fakeGitHub() + "\"\n", true},
		{"two lines above", "# rampart:allow-secret\n\nkey = \"" + fakeGitHub() + "\"\n", false},
		{"none", "key = \"" + fakeGitHub() + "\"\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := s.Scan(context.Background(), Fragment{Path: "a.py", Content: []byte(tt.content)})
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want 1 (allowed ones are kept, marked)", len(fs))
			}
			if fs[0].Allowed != tt.allowed {
				t.Errorf("Allowed = %v, want %v", fs[0].Allowed, tt.allowed)
			}
		})
	}
}

func TestFindingNeverHoldsSecret(t *testing.T) {
	s := newTestScanner(t)
	secret := fakeStripe()
	fs := s.Scan(context.Background(), Fragment{Path: "a.env", Content: []byte("STRIPE=" + secret + "\n")})
	if len(fs) != 1 {
		t.Fatalf("got %d findings", len(fs))
	}
	if got := fs[0].Finding(); strings.Contains(got.Message, secret) || strings.Contains(got.Message, secret[4:]) {
		t.Fatalf("message %q holds the secret", got.Message)
	}
	if strings.Contains(fs[0].Preview, secret[:8]) {
		t.Fatalf("preview %q shows more than 4 characters", fs[0].Preview)
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]string{
		"":                     "…(0 chars)",
		"abc":                  "…(3 chars)",
		"hunter22":             "hu…(8 chars)",
		"AKIA0123456789ABCDEF": "AKIA…(20 chars)",
		"pässwörd-long-enough": "päss…(20 chars)",
	}
	for in, want := range tests {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a := Fingerprint([]byte("s"), "rule", "a/b", "secret")
	if len(a) != 32 {
		t.Fatalf("fingerprint %q is not 128 bits of hex", a)
	}
	if a != Fingerprint([]byte("s"), "rule", "a/b", "secret") {
		t.Error("fingerprint is not stable")
	}
	for name, other := range map[string]string{
		"salt":   Fingerprint([]byte("t"), "rule", "a/b", "secret"),
		"rule":   Fingerprint([]byte("s"), "rule2", "a/b", "secret"),
		"file":   Fingerprint([]byte("s"), "rule", "a/c", "secret"),
		"secret": Fingerprint([]byte("s"), "rule", "a/b", "secret2"),
		// The separator keeps "ru"+"le/a/b" apart from "rule"+"/a/b".
		"shifted": Fingerprint([]byte("s"), "rul", "ea/b", "secret"),
	} {
		if other == a {
			t.Errorf("changing the %s does not change the fingerprint", name)
		}
	}
}

func TestSkipPathAndFixtures(t *testing.T) {
	for p, want := range map[string]bool{
		"Cargo.lock": true, "a/b/composer.lock": true, "x.tgz!/c/Gemfile.lock": true, "deps.lock": true,
		"main.go": false, "lock.go": false,
	} {
		if got := SkipPath(p); got != want {
			t.Errorf("SkipPath(%q) = %v, want %v", p, got, want)
		}
	}
	for p, want := range map[string]bool{
		"pkg/testdata/a.yaml": true, "a_test.go": true, "web/x.spec.ts": true, "tests/test_api.py": true,
		"src/fixtures/key.pem": true, "chart.tgz!/chart/tests/t.yaml": true,
		"main.go": false, "latest/config.yaml": false, "contest.go": false,
	} {
		if got := IsFixture(p); got != want {
			t.Errorf("IsFixture(%q) = %v, want %v", p, got, want)
		}
	}
}

func pngBase64(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 24, 24))
	for i := range 24 {
		img.Set(i, (i*7)%24, color.RGBA{uint8(i * 10), 3, uint8(255 - i), 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func pngDataURL(t *testing.T) string { return "data:image/png;base64," + pngBase64(t) }

func TestMaskImageData(t *testing.T) {
	s := newTestScanner(t)
	img := pngBase64(t)
	line := []byte("{\"icon_key\": \"" + img + "\"}\n")
	masked := maskImageData(line)
	if len(masked) != len(line) || bytes.Contains(masked, []byte(img[:40])) {
		t.Fatalf("image not masked in place: %q", masked)
	}
	if !bytes.Equal(line[:14], masked[:14]) {
		t.Errorf("text before the image changed")
	}
	// The same shape with base64 that is not an image is still a secret.
	notImage := "iVBORw0KGgo" + fakeGeneric() + fakeGeneric()
	fs := s.Scan(context.Background(), Fragment{Path: "a.json", Content: []byte("{\"icon_key\": \"" + notImage + "\"}\n")})
	if len(fs) == 0 {
		t.Errorf("base64 that only starts like a PNG header was masked")
	}
}

// TestMayBeFixtureFile: the extension prefilter never turns away a name
// the fixture expression matches, over names made of every extension the
// expression names, near misses and random parts.
func TestMayBeFixtureFile(t *testing.T) {
	stems := []string{"foo", "foo_test", "foo.test", "foo.spec", "test_foo", "FooTest", "FooTests", "x.test.y", "", "_test", "a.b"}
	exts := []string{"go", "py", "java", "kt", "cs", "js", "jsx", "ts", "tsx", "cjs", "mjs", "cts", "mts", "cjsx", "mtsx",
		"yaml", "json", "j", "s", "x", "jsxx", "gox", "tsy", "", "GO", "Js", "ksx", "cmjs"}
	r := rand.New(rand.NewPCG(7, 7))
	matched := 0
	for range 20000 {
		name := stems[r.IntN(len(stems))] + "." + exts[r.IntN(len(exts))]
		if r.IntN(4) == 0 {
			name = stems[r.IntN(len(stems))] + exts[r.IntN(len(exts))]
		}
		if fixtureFile.MatchString(name) {
			matched++
			if !mayBeFixtureFile(name) {
				t.Fatalf("%q matches the fixture expression but the prefilter turns it away", name)
			}
		}
	}
	if matched < 1000 {
		t.Fatalf("only %d generated names match: the test proves little", matched)
	}
	if mayBeFixtureFile("deploy.yaml") || mayBeFixtureFile("values.yml") {
		t.Error("manifests pass the prefilter")
	}
}
