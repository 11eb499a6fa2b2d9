package inventory

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/corpus"
)

// sameValue is reflect.DeepEqual for decoded values, except that NaN equals
// NaN.
// plainCopy returns a copy of v with the fast decoder's mappings as maps,
// leaving v alone.
func plainCopy(v any) any {
	switch v := v.(type) {
	case *fastMap:
		m := make(map[string]any, len(v.kv))
		for _, e := range v.kv {
			m[e.k] = plainCopy(e.v)
		}
		return m
	case map[string]any:
		if v == nil {
			return v
		}
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = plainCopy(x)
		}
		return m
	case []any:
		if v == nil {
			return v
		}
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = plainCopy(x)
		}
		return s
	}
	return v
}

func sameValue(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) || (a == nil) != (b == nil) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) || (a == nil) != (b == nil) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	case float64:
		b, ok := b.(float64)
		return ok && (a == b || math.IsNaN(a) && math.IsNaN(b))
	}
	return reflect.DeepEqual(a, b)
}

// diffPositions describes how two position tables differ, or returns "".
func diffPositions(fast, ref *Positions) string {
	if (fast == nil) != (ref == nil) {
		return fmt.Sprintf("positions: fast %v, yaml %v", fast, ref)
	}
	if fast == nil {
		return ""
	}
	var diffs []string
	fm, rm := fast.asMap(), ref.asMap()
	for h, p := range rm {
		if q, ok := fm[h]; !ok || q != p {
			diffs = append(diffs, fmt.Sprintf("hash %x: fast %v (present %v), yaml %v", h, q, ok, p))
		}
	}
	for h, q := range fm {
		if _, ok := rm[h]; !ok {
			diffs = append(diffs, fmt.Sprintf("hash %x: fast %v, yaml has none", h, q))
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, "\n")
}

// compareDecoders decodes doc with both decoders and fails t when the fast
// decoder, not falling back, disagrees with yaml.v3. It reports whether the
// fast decoder handled doc.
func compareDecoders(t *testing.T, doc []byte, lineOffset int, lim Limits) bool {
	t.Helper()
	fm, fp, ferr := newFastDecoder().decode(doc, lineOffset, lim)
	if errors.Is(ferr, errFallback) {
		return false
	}
	ym, yp, yerr := yamlDecoder{}.decode(doc, lineOffset, lim)
	if ferr != nil || yerr != nil {
		t.Fatalf("input %q:\nfast error: %v\nyaml error: %v", doc, ferr, yerr)
	}
	if (fm == nil) != (ym == nil) || !sameValue(plainCopy(fm), ym) {
		t.Fatalf("input %q:\nfast: %#v\nyaml: %#v", doc, fm, ym)
	}
	if d := diffPositions(fp, yp); d != "" {
		t.Fatalf("input %q: positions differ:\n%s", doc, d)
	}
	return true
}

// compareFiles parses data as a file with both decoders and fails t when
// objects or notes differ.
func compareFiles(t *testing.T, name string, data []byte, lim Limits) {
	t.Helper()
	fast := parseFile(name, data, lim, newFastDecoder())
	ref := parseFile(name, data, lim, yamlDecoder{})
	if !reflect.DeepEqual(fast.notes, ref.notes) {
		t.Fatalf("%s: notes differ:\nfast: %+v\nyaml: %+v", name, fast.notes, ref.notes)
	}
	if len(fast.objects) != len(ref.objects) {
		t.Fatalf("%s: %d objects with the fast decoder, %d with yaml.v3", name, len(fast.objects), len(ref.objects))
	}
	for i, o := range fast.objects {
		r := ref.objects[i]
		if !sameValue(o.Raw, r.Raw) || !reflect.DeepEqual(o.Typed, r.Typed) || o.Source.Line != r.Source.Line ||
			o.Name != r.Name || o.Kind != r.Kind || diffPositions(o.Source.pos, r.Source.pos) != "" {
			t.Fatalf("%s: object %d differs:\nfast: %+v\nyaml: %+v", name, i, o, r)
		}
	}
}

var fuzzLimits = Limits{MaxFileBytes: 1 << 20, MaxNodes: 10_000, MaxDepth: 64}

// FuzzFastDecoderMatchesYAML checks that whenever the fast decoder does not
// fall back, it returns exactly what yamlDecoder returns: values and every
// position; and that whole files load the same either way.
func FuzzFastDecoderMatchesYAML(f *testing.F) {
	for _, tc := range fastCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if raw, _, err := newFastDecoder().decode(data, 0, fuzzLimits); err == nil && raw != nil {
			compareConverters(t, raw)
		}
		compareDecoders(t, data, 0, fuzzLimits)
		compareDecoders(t, data, 7, Limits{MaxFileBytes: 1 << 20, MaxNodes: 12, MaxDepth: 3})
		compareFiles(t, "f.yaml", data, fuzzLimits)
		// The same bytes steering a generator of manifest-shaped YAML.
		doc := genYAML(data)
		if raw, _, err := newFastDecoder().decode(doc, 0, fuzzLimits); err == nil && raw != nil {
			compareConverters(t, raw)
		}
		compareDecoders(t, doc, 3, fuzzLimits)
		compareFiles(t, "g.yaml", doc, fuzzLimits)
	})
}

// fastCases are tricky inputs, with whether the fast decoder should handle
// them (rather than hand them to yaml.v3).
var fastCases = []struct {
	in      string
	handled bool
}{
	{"", true},
	{"# only a comment\n", true},
	{"# one\n\n   # two\n", true},
	{"a: 1\n", true},
	{"a: b\nc: d", true},
	{"\"quoted key\": 1\n'single': 2\n\"a.b\": x\n\"\": empty\n", true},
	{"a: \"on\"\nb: yes\nc: no\nd: y\ne: n\nf: on\ng: off\nh: Yes\ni: NO\n", true},
	{"t: true\nT: True\nU: TRUE\nf: false\nF: False\nx: tRUE\n", true},
	{"a: null\nb: ~\nc: Null\nd: NULL\ne:\nf: nULL\n", true},
	{"mode: 0755\noct: 0o755\nhex: 0x1F\nbin: 0b101\nneg: -0b11\nnego: -0o17\nund: 1_000\nbig: 18446744073709551615\nhuge: 99999999999999999999\n", true},
	{"a: 1e3\nb: .5\nc: -.5\nd: 1.\ne: +1\nf: 1E+3\ng: 1_0.5\nh: 0x1p3\ni: 1e\n", true},
	{"a: .inf\nb: -.Inf\nc: +.INF\nd: .nan\ne: .NaN\nf: .Nan\ng: inf\nh: nan\n", true},
	{"a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43.10\nd: 1999-99-99\n", true},
	{"a: -\n", false},
	{"a: -x\nb: --x\nc: -1\n", true},
	{"a: \"x: y\"\nb: 'c: d'\nc: \"# not a comment\"\n", true},
	{"a: b#c\nd: e #f\ng: h  # i\n", true},
	{"a: b   \nc: 'd'   \ne: \"f\"  \n", true},
	{"a: 1\r\nb:\r\n  - x\r\n  - y\r\nc: |\r\n  l1\r\n  l2\r\n", true},
	{"a:\nb: 2\n", true},
	{"key:\n- a\n- b\nnext: 1\n", true},
	{"key:\n  - a\n  - b\n", true},
	{"list:\n- name: a\n  v: 1\n- name: b\n  sub:\n  - x\n", true},
	{"a:\n  b:\n    c: d\n  e: f\ng: h\n", true},
	{"- a\n- b\n", false},
	{"just a scalar\n", false},
	{"a: &x 1\nb: *x\n", false},
	{"a: !!str 1\n", false},
	{"<<: {a: 1}\n", false},
	{"? a\n: b\n", false},
	{"a:\tb\n", false},
	{"%YAML 1.2\n---\na: 1\n", false},
	{"a: b\n  c\n", false},
	{"a: b\n\n  c\n", false},
	{"a: b\n  # comment\nc: d\n", true},
	{"a: 'it''s'\nb: \"tab\\tnl\\n\\u00e9\\x41\\\\ \\\"q\\\"\"\n", true},
	{"a: \"\\/\"\n", false},
	{"a: \"\\q\"\n", false},
	{"a: \"multi\n  line\"\n", false},
	{"a: [a, \"b\", 'c', 1, true, null, {d: e}]\nb: {x: 1, \"y\": [2]}\nc: []\nd: {}\n", true},
	{"caps: [\"ALL\"]\n", true},
	{"a: [a,\n  b]\n", false},
	{"a: [a, ]\n", false},
	{"a: [a: 1]\n", false},
	{"a: {\"k\":\"v\",\"n\":1}\n", true},
	{"{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"x\"}}\n", true},
	{"a: |\n  line one\n  line two\n\n", true},
	{"a: |-\n  x\n\n\nb: |+\n  y\n\n\nc: >\n  folded\n  text\n\n  para\n   more\n  end\nd: >-\n  z\n", true},
	{"a: |\n\n  leading blank\n", true},
	{"a: |\n  x\n     \n  y\n", true},
	{"a: |\n      \n  x\n", false},
	{"a: |2\n   x\n", false},
	{"- |\n  x\n", false},
	{"a:\n- |\n  text\n- >\n  folded\nb: 1\n", true},
	{"a: | # comment\n  x\n", true},
	{"a: |x\n", false},
	{"a: |", true},
	{"a: |\n  x", true},
	{"a: b: c\n", false},
	{"a: b:\n", false},
	{"a:b: c\n", true},
	{"url: http://example.com:8080/x\n", true},
	{"  a: 1\n  b: 2\n", true},
	{"  a: 1\nb: 2\n", false},
	{"a: 1\na: 2\n", true},
	{"a: {b: 1}\na: {c: 2}\n", true},
	{"é: ü\nx: [é, b]\ny: \"ñ\" # ç\n", true},
	{"a: \u2028\n", false},
	{"a: b\n...\n", false},
	{"a: 1\n---\nb: 2\n", false},
	{"spec:\n  containers:\n  - - nested\n    - seq\n", true},
	{"- \n", false},
	{"a:\n-\n  b: 1\n", false},
	{"a:\n  b\n", false},
	{"a: {b: }\n", false},
	{"a: \"x\"y\n", false},
	{"a: \"x\" # c\n", true},
	{"a: [x] y\n", false},
	{"true: 1\n1: 2\nnull: 3\n~: 4\n", true},
	{"a: <<\n", true},
	{"a:\n  - x\n  b: 1\n", false},
	{"a: x\n - y\n", false},
}

func TestFastDecoderCases(t *testing.T) {
	for _, tc := range fastCases {
		handled := compareDecoders(t, []byte(tc.in), 0, DefaultLimits)
		if handled != tc.handled {
			t.Errorf("input %q: handled %v, want %v", tc.in, handled, tc.handled)
		}
		compareFiles(t, "m.yaml", []byte(tc.in), DefaultLimits)
	}
}

func TestFastDecoderLimits(t *testing.T) {
	deep := "a:\n" + strings.Repeat("  ", 0)
	for i := 1; i < 10; i++ {
		deep += strings.Repeat("  ", i) + "a:\n"
	}
	deep += strings.Repeat("  ", 10) + "b: 1\n"
	for _, lim := range []Limits{
		{MaxFileBytes: 1 << 20, MaxNodes: 5, MaxDepth: 64},
		{MaxFileBytes: 1 << 20, MaxNodes: 1000, MaxDepth: 4},
	} {
		if _, _, err := newFastDecoder().decode([]byte(deep), 0, lim); !errors.Is(err, errFallback) {
			t.Errorf("limits %+v: got %v, want a fallback", lim, err)
		}
		compareFiles(t, "deep.yaml", []byte(deep), lim)
	}
}

// TestFastDecoderExamples checks that the shipped examples and the
// benchmark corpus decode the same with both decoders, and that the corpus
// never needs the fallback.
func TestFastDecoderExamples(t *testing.T) {
	var files []string
	err := filepath.WalkDir("../../examples", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && manifestExts[filepath.Ext(path)] {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := corpus.Write(dir, 20, 200); err != nil {
		t.Fatal(err)
	}
	found, err := expand(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 || len(found) != 20 {
		t.Fatalf("%d examples, %d corpus files", len(files), len(found))
	}
	for _, in := range found {
		files = append(files, in.path)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		compareFiles(t, path, data, DefaultLimits)
		docs, offsets := splitDocs(normalizeLineBreaks(data))
		for i, doc := range docs {
			handled := compareDecoders(t, doc, offsets[i], DefaultLimits)
			if !handled && strings.HasPrefix(path, dir) {
				t.Errorf("%s document %d: the fast decoder fell back", path, i)
			}
		}
	}
}

// asMap returns the table as a map from path hash to position.
func (p *Positions) asMap() map[uint64]Pos {
	m := make(map[uint64]Pos, len(p.e))
	for _, e := range p.e {
		m[e.h] = e.pos
	}
	return m
}
