package secrets

import (
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
	"unicode"
)

func TestShapeOf(t *testing.T) {
	tests := []struct {
		name, expr string
		keywords   []string
		local      bool
		maxNL      int
		cuts       bool
	}{
		{"token format", `\b(ghp_[0-9a-zA-Z]{36})\b`, []string{"ghp_"}, true, 0, false},
		{"final line break only", `(?i)\b(xox[a-z]-[0-9]+)(?:['"\s;]|$)`, []string{"xox"}, true, 0, false},
		{"keyword across parts", `xox[pe](?:-[0-9]{10,13}){3}`, []string{"xoxp-", "xoxe-"}, true, 0, false},
		{"keyword of one branch only", `xox[pe](?:-[0-9]{10,13}){3}`, []string{"xoxp"}, false, 0, false},
		{"template rule", `(?i)[\w.-]{0,50}?(?:adafruit)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([a-z0-9_-]{32})(?:[\x60'"\s;]|\\[nr]|$)`, []string{"adafruit"}, true, 9, true},
		{"no keywords", `\bAKIA[A-Z2-7]{16}\b`, nil, false, 0, false},
		{"keyword not in every match", `\b(pat[[:alnum:]]{14})\b`, []string{"airtable"}, false, 0, false},
		{"any number of lines", `(?i)-----BEGIN[ A-Z]{0,100}PRIVATE KEY-----[\s\S-]{64,}?KEY-----`, []string{"-----begin"}, false, 0, false},
		{"start of text", `(?:^|\s)(x~[a-z]{10})`, []string{"x~"}, false, 0, false},
		{"empty match", `(?:key)?`, []string{"key"}, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shapeOf(tt.expr, tt.keywords)
			if s.local != tt.local || s.maxNL != tt.maxNL || (s.cuts != nil) != tt.cuts {
				t.Fatalf("shape = local %v, maxNL %d, cuts %v (%s); want %v, %d, %v", s.local, s.maxNL, s.cuts != nil, s.why, tt.local, tt.maxNL, tt.cuts)
			}
			if !s.local && s.why == "" {
				t.Error("a whole-file rule must say why")
			}
		})
	}
}

// Most of the catalog must run on windows: a change of gitleaks' rules
// or of the analysis that sends many rules over whole files would undo
// the matcher's speed without failing the differential tests.
func TestCatalogShapes(t *testing.T) {
	m := newTestMatcher(t)
	whole := 0
	for _, r := range m.rules {
		if r.Regex != nil && !r.shape.local {
			whole++
			t.Logf("whole file: %s (%s)", r.RuleID, r.shape.why)
		}
	}
	if whole > 20 {
		t.Fatalf("%d rules run over whole files", whole)
	}
	for _, r := range m.rules {
		if r.RuleID == genericRule && (r.gate == nil || r.shape.cuts == nil) {
			t.Fatalf("generic-api-key lost its gate or its line cuts: %+v", r.shape)
		}
	}
}

// TestLineCutsAreSound: whenever a rule's expression matches across a line
// start in generated text, lineCuts must call that line start crossable.
func TestLineCutsAreSound(t *testing.T) {
	m := newTestMatcher(t)
	g := newSampleGen(t)
	r := rand.New(rand.NewPCG(5, 6))
	crossings := 0
	for _, mr := range m.rules {
		if mr.shape.cuts == nil {
			continue
		}
		for range 300 {
			text := []byte(g.sample(r, mr))
			// line breaks among the spaces, as a multi-line match has them
			for i := range text {
				if (text[i] == ' ' || text[i] == '\t') && r.IntN(2) == 0 {
					text[i] = '\n'
				}
			}
			for _, mi := range mr.Regex.FindAllIndex(text, -1) {
				for c := mi[0] + 1; c < mi[1]; c++ {
					if text[c-1] != '\n' {
						continue
					}
					crossings++
					if !mr.shape.cuts.crossable(text, c) {
						t.Fatalf("%s: match %q crosses the line start at %d, which lineCuts calls safe", mr.RuleID, text[mi[0]:mi[1]], c-mi[0])
					}
				}
			}
		}
	}
	if crossings < 100 {
		t.Fatalf("only %d crossings tried", crossings)
	}
}

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{`\b(ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9]{17,})`, "ey .ey"},
		{`(?i)(?:kind:\s*secret.*data:|data:.*kind:\s*secret)`, "kind: secret data:"},
		{`(?:hvs\.[\w-]{90}|s\.[a-z]{24})`, ""},
		{`AKIA[A-Z2-7]{16}`, "akia"},
	}
	for _, tt := range tests {
		var got []string
		for _, l := range requiredLiterals(tt.expr) {
			got = append(got, string(l))
		}
		for _, w := range strings.Fields(tt.want) {
			found := false
			for _, g := range got {
				found = found || g == w
			}
			if !found {
				t.Errorf("%s: required %q, want %q among them", tt.expr, got, w)
			}
		}
		if tt.want == "" && len(got) > 0 {
			t.Errorf("%s: required %q, want none", tt.expr, got)
		}
		// every required literal is in every match of a sample
		re := regexp.MustCompile(tt.expr)
		parsed, _ := syntax.Parse(tt.expr, syntax.Perl)
		r := rand.New(rand.NewPCG(1, 1))
		for range 50 {
			var b strings.Builder
			genRegexp(r, parsed, &b)
			s := b.String()
			if !re.MatchString(s) {
				continue
			}
			for _, g := range got {
				if !strings.Contains(strings.ToLower(re.FindString(s)), g) {
					t.Errorf("%s: match %q lacks %q", tt.expr, re.FindString(s), g)
				}
			}
		}
	}
}

// TestCaseFoldExotics checks caseFoldExotics against all of Unicode: the
// runes outside ASCII that lower-case to ASCII or share a case-folding
// orbit with an ASCII letter.
func TestCaseFoldExotics(t *testing.T) {
	var want []string
	for r := rune(unicode.MaxASCII + 1); r <= unicode.MaxRune; r++ {
		ascii := unicode.ToLower(r) <= unicode.MaxASCII
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			ascii = ascii || f <= unicode.MaxASCII
		}
		if ascii {
			want = append(want, string(r))
		}
	}
	var got []string
	for _, e := range caseFoldExotics {
		got = append(got, string(e))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("caseFoldExotics = %q, want %q", got, want)
	}
}

func TestLocationMatchesGitleaks(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = "ab\n\r "[r.IntN(5)]
		}
		if len(b) == 0 {
			continue
		}
		start := r.IntN(len(b))
		end := start + r.IntN(len(b)-start+1)
		var nl []int
		li := &lineIndex{content: b, nl: &nl}
		got := li.location(start, end)
		breaks := li.breaks()
		if len(breaks) == 0 {
			breaks = []int{len(b)}
		}
		want := locationWalk(breaks, b, start, end)
		if got != want {
			t.Fatalf("location(%q, %d, %d) = %+v, want %+v", b, start, end, got, want)
		}
	}
}

func TestLineGate(t *testing.T) {
	g := lineGateOf(`(?i)(?:\bkind:[ \t]*["']?\bsecret\b["']?(?s:.){0,200}?\bdata:(?s:.){0,100}?\s+([\w.-]+:[ \t]*["']?[a-z0-9+/]{10,}={0,3}["']?)|\bdata:(?s:.){0,100}?\s+([\w.-]+:[ \t]*["']?[a-z0-9+/]{10,}={0,3}["']?)(?s:.){0,200}?\bkind:[ \t]*["']?\bsecret\b["']?)`)
	if g == nil {
		t.Fatal("no gate")
	}
	tests := []struct {
		text string
		may  bool
	}{
		{"apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  password: cGFzc3dvcmQxMjM=\n", true},
		{"kind: Deployment\nmetadata:\n  name: x\nenv:\n  secretKeyRef: {name: x, key: token}\n", false},
		{"kind: Secret\nmetadata:\n  name: x\n", false}, // no data: at a word start
	}
	for _, tt := range tests {
		content := []byte(tt.text)
		if got := g.mayMatch(content, lowerASCII(nil, content)); got != tt.may {
			t.Errorf("mayMatch(%q) = %v, want %v", tt.text, got, tt.may)
		}
	}
}
