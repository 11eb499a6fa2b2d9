package secrets

import (
	"bytes"
	"encoding/base64"
	"path"
	"regexp"
	"strings"
)

// lockFiles are dependency lock files: their integrity hashes and
// checksums are high-entropy strings next to words such as "integrity" or
// "checksum", which generic rules mistake for keys, and they are written by
// tools, never by hand. gitleaks' own allowlist covers go.sum,
// package-lock.json, yarn.lock, pnpm-lock.yaml, poetry.lock and Pipfile.lock;
// these are the others.
var lockFiles = map[string]bool{
	"Cargo.lock": true, "composer.lock": true, "Gemfile.lock": true, "Podfile.lock": true,
	"packages.lock.json": true, "pubspec.lock": true, "mix.lock": true, "flake.lock": true,
	"uv.lock": true, "bun.lock": true, "Package.resolved": true, "gradle.lockfile": true,
	"go.sum": true, "go.work.sum": true, "package-lock.json": true, "npm-shrinkwrap.json": true,
	"yarn.lock": true, "pnpm-lock.yaml": true, "poetry.lock": true, "Pipfile.lock": true,
	"conan.lock": true, "paket.lock": true, "Chart.lock": true, ".terraform.lock.hcl": true,
}

// SkipPath reports whether a file is never scanned: lock files (any
// "*.lock" too). The path may be inside an archive ("x.tgz!/a/Cargo.lock").
func SkipPath(p string) bool {
	base := path.Base(strings.ReplaceAll(p, "\\", "/"))
	return lockFiles[base] || strings.HasSuffix(base, ".lock")
}

// fixtureDirs are directory names that, by the conventions of the main
// languages, hold test data: Go's testdata, JavaScript's __fixtures__ and
// __mocks__, Ruby's spec/fixtures, and plain fixtures and test(s).
var fixtureDirs = map[string]bool{
	"testdata": true, "fixtures": true, "__fixtures__": true, "__mocks__": true,
	"test": true, "tests": true, "__tests__": true, "spec": true, "mocks": true,
}

// fixtureFile matches test source files: foo_test.go, foo.test.ts,
// foo.spec.js, test_foo.py, FooTest.java.
var fixtureFile = regexp.MustCompile(`(?:_test\.go|\.(?:test|spec)\.[cm]?[jt]sx?|^test_[^/]*\.py|_test\.py|Tests?\.(?:java|kt|cs))$`)

// IsFixture reports whether a path is test code or test data. Findings
// there are kept (real keys do get pasted into tests) but at low severity,
// and generic entropy findings there are dropped: tests are full of
// made-up tokens next to the word "key".
func IsFixture(p string) bool {
	p = strings.ReplaceAll(p, "\\", "/")
	if i := strings.LastIndex(p, "!/"); i >= 0 {
		p = p[i+2:] // inside an archive, judge by the member's path
	}
	dirs := strings.Split(path.Dir(p), "/")
	for _, d := range dirs {
		if fixtureDirs[d] {
			return true
		}
	}
	base := path.Base(p)
	return mayBeFixtureFile(base) && fixtureFile.MatchString(base)
}

// mayBeFixtureFile reports whether name ends in an extension fixtureFile
// can match: the expression is tried at every position of the name, and
// running it on every manifest whose annotations a scan reads was a tenth
// of the secret checks' time. TestMayBeFixtureFile holds the two in step.
func mayBeFixtureFile(name string) bool {
	ext := path.Ext(name)
	switch ext {
	case ".go", ".py", ".java", ".kt", ".cs":
		return true
	}
	// [cm]?[jt]sx?
	ext = strings.TrimPrefix(ext, ".")
	if ext != "" && (ext[0] == 'c' || ext[0] == 'm') {
		ext = ext[1:]
	}
	ext = strings.TrimSuffix(ext, "x")
	return ext == "js" || ext == "ts"
}

// isMinified reports whether content is a minified script or stylesheet:
// a .min.js/.min.css name, or a .js/.css/.mjs file whose first 4 KiB hold
// no line break. Bundles are machine-made walls of identifiers in which
// generic rules find "key=…" everywhere; vendor-format rules still run
// on them, as a bundle can really ship a live API key.
func isMinified(p string, content []byte) bool {
	base := strings.ToLower(path.Base(p))
	if strings.Contains(base, ".min.") {
		return true
	}
	switch path.Ext(base) {
	case ".js", ".mjs", ".cjs", ".css":
		head := content[:min(len(content), 4096)]
		return len(content) > 4096 && bytes.IndexByte(head, '\n') < 0
	}
	return false
}

var (
	// dataImage is an image embedded as a data: URL.
	dataImage = regexp.MustCompile(`data:image/[a-zA-Z0-9.+-]+;base64,[A-Za-z0-9+/=]+`)
	// base64Image is a long base64 run starting the way an encoded PNG,
	// JPEG, GIF or WebP file does; maskImageData checks the magic bytes.
	base64Image = regexp.MustCompile(`(?:iVBORw0KGgo|/9j/|R0lGOD|UklGR)[A-Za-z0-9+/]{60,}={0,2}`)
	imageHints  = [][]byte{[]byte("data:image/"), []byte("iVBORw0KGgo"), []byte("/9j/"), []byte("R0lGOD"), []byte("UklGR")}
)

// maskImageData returns content with base64-encoded images blanked out
// (same length, so every position stays right). Encoded pixels are
// high-entropy text that generic rules report when a key-like word is
// nearby. content itself is not changed.
func maskImageData(content []byte) []byte {
	hint := false
	for _, h := range imageHints {
		if bytes.Contains(content, h) {
			hint = true
			break
		}
	}
	if !hint {
		return content
	}
	var out []byte
	mask := func(re *regexp.Regexp, check bool) {
		src := content
		if out != nil {
			src = out
		}
		for _, m := range re.FindAllIndex(src, -1) {
			if check && !isImage(src[m[0]:m[1]]) {
				continue
			}
			if out == nil {
				out = bytes.Clone(content)
			}
			for i := m[0]; i < m[1]; i++ {
				out[i] = ' '
			}
		}
	}
	mask(dataImage, false)
	mask(base64Image, true)
	if out == nil {
		return content
	}
	return out
}

// isImage decodes the start of a base64 run and checks the header of an
// image format: the PNG signature and IHDR chunk, a JPEG start of image and
// marker, GIF87a/GIF89a, or a RIFF WEBP header.
func isImage(b64 []byte) bool {
	head := make([]byte, 18)
	n, _ := base64.StdEncoding.Decode(head, b64[:min(len(b64), 24)])
	h := head[:n]
	switch {
	case bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n")):
		return len(h) >= 16 && string(h[12:16]) == "IHDR"
	case bytes.HasPrefix(h, []byte("\xff\xd8\xff")):
		return len(h) > 3 && h[3] >= 0xc0
	case bytes.HasPrefix(h, []byte("GIF8")):
		return len(h) >= 6 && (string(h[:6]) == "GIF87a" || string(h[:6]) == "GIF89a")
	case bytes.HasPrefix(h, []byte("RIFF")):
		return len(h) >= 12 && string(h[8:12]) == "WEBP"
	}
	return false
}

// placeholderWords are values that stand for a secret instead of being
// one: documentation, templates and examples.
var placeholderWords = []string{
	"example", "changeme", "change_me", "change-me", "replace", "placeholder", "your_", "your-",
	"<your", "dummy", "redacted", "xxxxxx", "******", "todo", "fixme", "insert", "notreal", "not-a-real",
}

// placeholder reports whether a matched secret is obviously not a real one:
// a template expression, an environment reference, or an example value
// (AKIAIOSFODNN7EXAMPLE, "your-api-key", "changeme").
func placeholder(secret string) bool {
	s := strings.ToLower(secret)
	for _, w := range placeholderWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return envReference.MatchString(secret)
}

// envReference is a reference to a value kept elsewhere: ${VAR}, $(VAR),
// {{ .Values.x }}, <angle placeholder>.
var envReference = regexp.MustCompile(`^(?:\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|<[^>]*>|\$[A-Za-z_][A-Za-z0-9_]*)$`)
