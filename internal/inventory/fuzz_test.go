package inventory

import (
	"bytes"
	"testing"
)

// FuzzParseBytes checks that no input makes the loader panic, and that what
// it returns is well formed: every object has a kind and points inside the
// file, every error names the file and a line.
func FuzzParseBytes(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x}\n",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n",
		"---\n--- |\n  text\n---\n",
		"a: &a [1,2]\nb: *a\n<<: {c: 1}\n",
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":"x"}}`,
		"apiVersion: v1\nkind: Pod\nspec: [\n",
	} {
		f.Add([]byte(seed))
	}
	lim := Limits{MaxFileBytes: 1 << 20, MaxNodes: 10_000, MaxDepth: 64}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, notes := ParseBytes("f.yaml", data, lim)
		lines := bytes.Count(normalizeLineBreaks(data), []byte("\n")) + 1 // as YAML counts them
		for _, o := range objs {
			if o.Kind == "" || o.APIVersion == "" {
				t.Fatalf("object without kind: %+v", o)
			}
			if p := o.Place(""); p.Line < 1 || p.Line > lines {
				t.Fatalf("object line %d outside 1..%d", p.Line, lines)
			}
		}
		for _, n := range notes {
			if n.File != "f.yaml" || n.Message == "" {
				t.Fatalf("note without file or message: %+v", n)
			}
			if n.Line < 0 || n.Line > lines+1 {
				t.Fatalf("note line %d outside the file (%d lines): %+v", n.Line, lines, n)
			}
		}
	})
}
