package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rampart-dev/rampart/internal/finding"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func parse(t *testing.T, src string) ([]*Object, []finding.Note) {
	t.Helper()
	return ParseBytes("m.yaml", []byte(strings.TrimLeft(src, "\n")), Limits{})
}

func TestFieldLines(t *testing.T) {
	objs, notes := parse(t, `
# leading comment
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    rampart.dev/ignore: "x"
spec:
  containers:
  - name: c
    image: nginx
    securityContext:
      privileged: true
  - name: d
    image: busybox
---
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: d, namespace: prod}
  spec:
    template:
      spec:
        containers:
        - name: a
          image: x
`)
	if len(notes) != 0 || len(objs) != 2 {
		t.Fatalf("objs=%d notes=%v", len(objs), notes)
	}
	pod, dep := objs[0], objs[1]
	if _, ok := pod.Typed.(*corev1.Pod); !ok {
		t.Fatalf("pod typed as %T", pod.Typed)
	}
	if d, ok := dep.Typed.(*appsv1.Deployment); !ok || d.Namespace != "prod" {
		t.Fatalf("deployment typed as %T", dep.Typed)
	}
	tests := []struct {
		obj  *Object
		path FieldPath
		line int
	}{
		{pod, "", 2},
		{pod, "spec.containers[0].securityContext.privileged", 13},
		{pod, "spec.containers[1].image", 15},
		{pod, "spec.containers[1]", 14},
		// Missing fields point at the nearest ancestor.
		{pod, "spec.containers[1].securityContext.runAsNonRoot", 14},
		{pod, FieldPath("metadata.annotations").Key("rampart.dev/ignore"), 7},
		{pod, "spec.volumes[3].hostPath", 8},
		{dep, "", 20},
		{dep, "metadata.namespace", 22},
		{dep, "spec.template.spec.containers[0].image", 28},
		{dep, "spec.template.spec.containers[0].securityContext", 27},
	}
	for _, tc := range tests {
		got := tc.obj.Place(tc.path)
		if got.Line != tc.line || got.File != "m.yaml" || got.Path != string(tc.path) {
			t.Errorf("%s %q: got %+v, want line %d", tc.obj.Kind, tc.path, got, tc.line)
		}
	}
}

func TestJSONAndLists(t *testing.T) {
	objs, notes := ParseBytes("x.json", []byte(`{
  "apiVersion": "v1",
  "kind": "PodList",
  "items": [
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"},
     "spec": {"containers": [{"name": "c", "image": "x"}]}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"},
	 "spec": {"containers": [{"name": "c", "image": "y"}]}}
  ]
}`), Limits{})
	if len(notes) != 0 || len(objs) != 2 {
		t.Fatalf("objs=%d notes=%v", len(objs), notes)
	}
	if objs[1].Name != "b" || objs[1].Place("spec.containers[0].image").Line != 8 {
		t.Fatalf("second item: %s at %+v", objs[1].Name, objs[1].Place("spec.containers[0].image"))
	}
}

func TestBadDocumentsKeepTheRest(t *testing.T) {
	objs, notes := parse(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: one}
---
foo: bar
---
bad: [unclosed
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: typo}
spec:
  replicas: "three"
---
apiVersion: v1
kind: ConfigMap
metadata: {name: two}
`)
	var names []string
	for _, o := range objs {
		names = append(names, o.Name)
	}
	if strings.Join(names, ",") != "one,two" {
		t.Fatalf("objects: %v", names)
	}
	want := []finding.Note{
		{Level: finding.NoteInfo, File: "m.yaml", Line: 5, Message: "skipped: not a Kubernetes object (no apiVersion and kind)"},
		{Level: finding.NoteError, File: "m.yaml", Line: 7},
		{Level: finding.NoteError, File: "m.yaml", Line: 13, Message: `Deployment "typo": spec.replicas: cannot use a string as int32`},
	}
	if len(notes) != len(want) {
		t.Fatalf("notes: %+v", notes)
	}
	for i, w := range want {
		n := notes[i]
		if n.Level != w.Level || n.Line != w.Line || (w.Message != "" && n.Message != w.Message) {
			t.Errorf("note %d: got %+v, want %+v", i, n, w)
		}
	}
}

func TestLimits(t *testing.T) {
	bomb := `apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
`
	tests := []struct {
		name string
		data string
		lim  Limits
		want error
	}{
		{"alias bomb", bomb, DefaultLimits, ErrAliasBomb},
		{"binary", "apiVersion: v1\x00\x01\x02", DefaultLimits, ErrBinary},
		{"too large", strings.Repeat("a: b\n", 100), Limits{MaxFileBytes: 100, MaxNodes: 10, MaxDepth: 10}, ErrTooLarge},
		{"too deep", "apiVersion: v1\nkind: X\nx: " + strings.Repeat("[", 300) + strings.Repeat("]", 300), DefaultLimits, ErrTooDeep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, notes := ParseBytes("f.yaml", []byte(tc.data), tc.lim)
			if len(objs) != 0 || len(notes) != 1 || notes[0].Level != finding.NoteError {
				t.Fatalf("objs=%d notes=%+v", len(objs), notes)
			}
			if !strings.Contains(notes[0].Message, tc.want.Error()) {
				t.Fatalf("note %q does not say %q", notes[0].Message, tc.want)
			}
		})
	}
}

func TestLoadFilesWalksAndReportsMissing(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\n"
	write("a.yaml", strings.Replace(cm, "%s", "a", 1))
	write("sub/b.yml", strings.Replace(cm, "%s", "b", 1))
	write("sub/c.json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}`)
	write("sub/readme.md", "not yaml")
	write(".git/d.yaml", strings.Replace(cm, "%s", "d", 1))
	inv := LoadFiles([]string{dir, filepath.Join(dir, "missing.yaml"), "-"}, LoadOptions{Stdin: strings.NewReader(strings.Replace(cm, "%s", "stdin", 1))})
	var names []string
	for _, o := range inv.Objects {
		names = append(names, o.Name)
	}
	if strings.Join(names, ",") != "a,b,c,stdin" {
		t.Fatalf("objects: %v", names)
	}
	if inv.Files != 4 || len(inv.Notes) != 1 || !strings.Contains(inv.Notes[0].Message, "no such file") {
		t.Fatalf("files=%d notes=%+v", inv.Files, inv.Notes)
	}
	if inv.Objects[3].Source.File != "<stdin>" {
		t.Fatalf("stdin file name %q", inv.Objects[3].Source.File)
	}
}

func TestParentPath(t *testing.T) {
	tests := map[string]string{
		"a.b.c":                  "a.b",
		"a[0]":                   "a",
		"a[0].b":                 "a[0]",
		`a["x.y"]`:               "a",
		`a["x.y"].b`:             `a["x.y"]`,
		`metadata.labels["a]b"]`: "metadata.labels",
		"a":                      "",
	}
	for in, want := range tests {
		got, ok := parentPath(in)
		if !ok || got != want {
			t.Errorf("parentPath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := parentPath(""); ok {
		t.Error("parentPath(\"\") should have no parent")
	}
}

func TestErrorsAreSentinels(t *testing.T) {
	_, _, err := yamlDecoder{}.decode([]byte("- a\n- b\n"), 0, DefaultLimits)
	if !errors.Is(err, ErrNotMapping) {
		t.Fatalf("got %v", err)
	}
}

func TestFieldPathKeysIsRepeatedKey(t *testing.T) {
	for _, tc := range []struct {
		base FieldPath
		keys []string
	}{
		{"", nil},
		{"", []string{"spec"}},
		{"", []string{"spec", "template"}},
		{"spec.containers[0]", []string{"securityContext", "privileged"}},
		{"metadata", []string{"annotations", "a.b/c"}},
		{"x", []string{"", "y"}},
		{"x", []string{`q"uote`}},
	} {
		want := tc.base
		for _, k := range tc.keys {
			want = want.Key(k)
		}
		if got := tc.base.Keys(tc.keys...); got != want {
			t.Errorf("%q.Keys(%q) = %q, want %q", tc.base, tc.keys, got, want)
		}
	}
}

// TestLoadFilesEach: Each sees every input once, numbered in the order the
// inventory lists their objects, and the inventory keeps what it returns.
func TestLoadFilesEach(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"a.yaml", "b.yaml", "c.yaml", "d.yaml"} {
		doc := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "-1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "-2\n"
		if i == 2 {
			doc = "kind: [broken\n"
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all := LoadFiles([]string{dir}, LoadOptions{})
	var mu sync.Mutex
	seen := map[int][]string{}
	kept := LoadFiles([]string{dir}, LoadOptions{Workers: 3, Each: func(input int, objs []*Object) []*Object {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := seen[input]; dup {
			t.Errorf("input %d seen twice", input)
		}
		seen[input] = nil
		for _, o := range objs {
			seen[input] = append(seen[input], o.Name)
		}
		if len(objs) == 0 {
			return nil
		}
		return objs[:1]
	}})
	if len(seen) != 4 || kept.Files != 4 || len(kept.Notes) != len(all.Notes) {
		t.Fatalf("saw inputs %v, files %d, notes %v", seen, kept.Files, kept.Notes)
	}
	var order, want []string
	for i := range 4 {
		order = append(order, seen[i]...)
	}
	for _, o := range all.Objects {
		want = append(want, o.Name)
	}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("inputs in order give %v, the inventory lists %v", order, want)
	}
	var names []string
	for _, o := range kept.Objects {
		names = append(names, o.Name)
	}
	if strings.Join(names, ",") != "a.yaml-1,b.yaml-1,d.yaml-1" {
		t.Errorf("kept %v, want the first object of each file", names)
	}
}
