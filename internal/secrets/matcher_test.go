package secrets

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
)

// The matcher must report exactly what gitleaks' own Detector reports on
// the same file: same rules, lines, columns, matches and secrets.

// gitleaksReference is gitleaks' Detector on its default configuration,
// set up as the matcher reproduces it.
func gitleaksReference(t testing.TB) *detect.Detector {
	t.Helper()
	base, err := gitleaksDetector()
	if err != nil {
		t.Fatal(err)
	}
	d := detect.NewDetector(base.Config)
	d.IgnoreGitleaksAllow = true
	return d
}

// gitleaksOnly is gitleaks' Detector with only the given rules.
func gitleaksOnly(t testing.TB, ids ...string) *detect.Detector {
	t.Helper()
	base, err := gitleaksDetector()
	if err != nil {
		t.Fatal(err)
	}
	cfg := base.Config
	cfg.Rules = map[string]config.Rule{}
	cfg.Keywords = map[string]struct{}{}
	cfg.OrderedRules = nil
	for _, id := range ids {
		r := base.Config.Rules[id]
		cfg.Rules[id] = r
		cfg.OrderedRules = append(cfg.OrderedRules, id)
		for _, k := range r.Keywords {
			cfg.Keywords[k] = struct{}{}
		}
	}
	d := detect.NewDetector(cfg)
	d.IgnoreGitleaksAllow = true
	return d
}

func newTestMatcher(t testing.TB) *matcher {
	t.Helper()
	base, err := gitleaksDetector()
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMatcher(base.Config)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// summary is what a finding is compared on.
func summary(fs []report.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s line %d:%d-%d:%d match %q secret %q line %q",
			f.RuleID, f.StartLine, f.StartColumn, f.EndLine, f.EndColumn, f.Match, f.Secret, f.Line))
	}
	slices.Sort(out)
	return out
}

// differ returns a description of how the matcher and gitleaks disagree
// on a file, or "".
func differ(m *matcher, ref *detect.Detector, path string, content []byte) string {
	got := summary(m.find(context.Background(), path, content, nil))
	//lint:ignore SA1019 DetectContext takes this type until gitleaks v9.
	want := summary(ref.DetectContext(context.Background(), detect.Fragment{Raw: string(content), FilePath: path}))
	if slices.Equal(got, want) {
		return ""
	}
	var b strings.Builder
	for _, g := range got {
		if !slices.Contains(want, g) {
			fmt.Fprintf(&b, "\n  only matcher:  %s", g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			fmt.Fprintf(&b, "\n  only gitleaks: %s", w)
		}
	}
	return b.String()
}

// TestMatcherAgreesOnFiles compares on every file of the package's
// testdata, of the repository's shared testdata and the manifest and
// chart fixtures of the inventory and cli packages, and
// on the package's own sources, which are full of rule words.
func TestMatcherAgreesOnFiles(t *testing.T) {
	m, ref := newTestMatcher(t), gitleaksReference(t)
	n := 0
	for _, root := range []string{"testdata", filepath.Join("..", "inventory", "testdata"), filepath.Join("..", "cli", "testdata"), "."} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if root == "." && p != "." {
					return filepath.SkipDir
				}
				return nil
			}
			content, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n++
			if diff := differ(m, ref, p, content); diff != "" {
				t.Errorf("%s:%s", p, diff)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 20 {
		t.Fatalf("compared only %d files", n)
	}
}

// TestMatcherAgreesWithGitleaks compares on generated files: lines of
// code, lines that only name a rule's keyword, and strings generated from
// every rule's own expression (so every rule family gets real-looking
// secrets), in assignments, quotes, split over lines, with CRLF line
// ends, next to the non-ASCII letters that case-fold to ASCII.
func TestMatcherAgreesWithGitleaks(t *testing.T) {
	m, ref := newTestMatcher(t), gitleaksReference(t)
	g := newSampleGen(t)
	files := 400
	if testing.Short() {
		files = 60
	}
	seed := uint64(os.Getpid())
	findings := 0
	for i := range files {
		s := seed + uint64(i)
		path, content := g.file(rand.New(rand.NewPCG(s, 99)))
		if diff := differ(m, ref, path, content); diff != "" {
			t.Fatalf("seed %d (file %s, %d bytes):%s\ncontent:\n%s", s, path, len(content), diff, content)
		}
		findings += len(m.find(context.Background(), path, content, nil))
	}
	// The comparison means something only if the files hold findings of
	// many rules.
	if findings < files {
		t.Fatalf("only %d findings in %d files: the generator plants too little", findings, files)
	}
}

// TestMatcherFindsEveryRule checks that the generator reaches every rule:
// each rule with an expression gets a finding on some generated sample.
func TestMatcherFindsEveryRule(t *testing.T) {
	m := newTestMatcher(t)
	g := newSampleGen(t)
	r := rand.New(rand.NewPCG(3, 4))
	var missing []string
	for _, mr := range m.rules {
		if mr.Regex == nil {
			continue
		}
		found := false
		for range 200 {
			line := g.sample(r, mr) + "\n"
			for _, f := range m.find(context.Background(), "f.txt", []byte(line), nil) {
				found = found || f.RuleID == mr.RuleID
			}
			if found {
				break
			}
		}
		if !found {
			missing = append(missing, mr.RuleID)
		}
	}
	// A few rules need what a random sample rarely gives (a keyword
	// elsewhere than in the match, a high entropy by chance).
	if len(missing) > len(m.rules)/10 {
		t.Fatalf("%d rules never fired on their own samples: %v", len(missing), missing)
	}
	t.Logf("rules not reached by samples: %v", missing)
}

// sampleGen writes files for the differential tests.
type sampleGen struct {
	rules  []*matchRule
	parsed map[string]*syntax.Regexp
}

func newSampleGen(t testing.TB) *sampleGen {
	m := newTestMatcher(t)
	g := &sampleGen{parsed: map[string]*syntax.Regexp{}}
	for _, r := range m.rules {
		if r.Regex == nil {
			continue
		}
		re, err := syntax.Parse(r.Regex.String(), syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		g.rules = append(g.rules, r)
		g.parsed[r.RuleID] = re
	}
	return g
}

// sample returns a string generated from a rule's expression.
func (g *sampleGen) sample(r *rand.Rand, mr *matchRule) string {
	var b strings.Builder
	genRegexp(r, g.parsed[mr.RuleID], &b)
	return b.String()
}

var codeLines = []string{
	"func (s *Server) handle(ctx context.Context, req *Request) error {",
	"\treturn fmt.Errorf(\"token %s: %w\", name, err)",
	"  apiVersion: v1",
	"kind: Secret",
	"data:",
	"  password: cGFzc3dvcmQ=",
	"metadata:",
	"# the key is read from the environment",
	"const timeout = 30 * time.Second",
	"x = {'a': 1, 'b': [1, 2, 3]}",
	"curl -X POST https://api.example.com/v1/things",
	"if err := s.cache.Get(key); err != nil {",
	"}",
	"",
	"-----BEGIN RSA PRIVATE KEY-----",
	"-----END RSA PRIVATE KEY-----",
	"MIIEpAIBAAKCAQEA1c2Fzc2RmZ2hqa2xxd2VydHl1aW9wYXNkZmdoamtsenhjdmJubTEyMzQ1Njc4OTA",
	"<add key=\"ClearTextPassword\" value=\"hunter2hunter2\" />",
	"password = \"correct-horse-battery\"",
}

var fillers = []string{"", " ", "\t", "=", ": ", " = ", "\"", "'", "`", ",", "\n", "\r\n", " := ", "=>", "\\n", ";", "(", ")"}

// file returns a path and content mixing code, keywords and samples.
func (g *sampleGen) file(r *rand.Rand) (string, []byte) {
	paths := []string{"app/config.go", "deploy/values.yaml", "src/main.py", ".env", "README.md", "x/y.json", "build.gradle", "nuget.config", "a.p12", "vendor/x.go", "test/fixture.txt", "script.sh"}
	var b strings.Builder
	lines := 5 + r.IntN(60)
	nl := "\n"
	if r.IntN(8) == 0 {
		nl = "\r\n"
	}
	for range lines {
		switch r.IntN(10) {
		case 0, 1, 2:
			b.WriteString(codeLines[r.IntN(len(codeLines))])
		case 3, 4:
			// a keyword of some rule, alone or in an assignment
			mr := g.rules[r.IntN(len(g.rules))]
			if len(mr.Keywords) > 0 {
				k := mr.Keywords[r.IntN(len(mr.Keywords))]
				if r.IntN(2) == 0 {
					k = strings.ToUpper(k)
				}
				b.WriteString(k + fillers[r.IntN(len(fillers))] + fake(r.Uint64(), "", alnum, r.IntN(40)))
			}
		default:
			mr := g.rules[r.IntN(len(g.rules))]
			s := g.sample(r, mr)
			if r.IntN(4) == 0 && len(s) > 2 {
				// split it over lines, or mangle one byte
				i := r.IntN(len(s))
				if r.IntN(2) == 0 {
					s = s[:i] + "\n" + s[i:]
				} else {
					s = s[:i] + string(rune(r.IntN(128))) + s[i+1:]
				}
			}
			b.WriteString(fillers[r.IntN(len(fillers))] + s + fillers[r.IntN(len(fillers))])
		}
		if r.IntN(40) == 0 {
			b.WriteString([]string{"\u017f", "\u212a", "\u0130", "é", "\xff"}[r.IntN(5)])
		}
		b.WriteString(nl)
	}
	out := b.String()
	if r.IntN(5) == 0 {
		out = strings.TrimRight(out, "\r\n") // no line break at the end
	}
	return paths[r.IntN(len(paths))], []byte(out)
}

// genRegexp writes a random string of re's language (assertions aside).
func genRegexp(r *rand.Rand, re *syntax.Regexp, b *strings.Builder) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, c := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && r.IntN(2) == 0 {
				c = unicode.SimpleFold(c)
				if c > unicode.MaxASCII {
					c = unicode.SimpleFold(c)
				}
			}
			b.WriteRune(c)
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return
		}
		// prefer ASCII ranges
		for range 8 {
			i := 2 * r.IntN(len(re.Rune)/2)
			lo, hi := re.Rune[i], re.Rune[i+1]
			if lo > unicode.MaxASCII && r.IntN(4) != 0 {
				continue
			}
			hi = min(hi, lo+200)
			b.WriteRune(lo + rune(r.IntN(int(hi-lo+1))))
			return
		}
		b.WriteRune(re.Rune[0])
	case syntax.OpAnyCharNotNL:
		b.WriteByte(byte(' ' + r.IntN(95)))
	case syntax.OpAnyChar:
		if r.IntN(10) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(byte(' ' + r.IntN(95)))
		}
	case syntax.OpCapture:
		genRegexp(r, re.Sub[0], b)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			genRegexp(r, s, b)
		}
	case syntax.OpAlternate:
		genRegexp(r, re.Sub[r.IntN(len(re.Sub))], b)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 3
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 || hi > lo+40 {
				hi = lo + 40
			}
		}
		n := lo + r.IntN(hi-lo+1)
		for range n {
			genRegexp(r, re.Sub[0], b)
		}
	}
}
