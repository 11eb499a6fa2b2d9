package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/finding"
)

// decodeJSON reads a JSON report strictly: a field the types (and so
// docs/json-report.md) do not know is an error.
func decodeJSON(t *testing.T, out []byte) jsonReport {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var got jsonReport
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decode JSON report: %v\n%s", err, out)
	}
	return got
}

func TestJSONRoundTrip(t *testing.T) {
	rep := fixture()
	got := decodeJSON(t, render(t, "json", rep, testOptions()))

	if got.APIVersion != finding.SchemaVersion {
		t.Errorf("apiVersion %q, want %q", got.APIVersion, finding.SchemaVersion)
	}
	if got.Tool != (jsonTool{Name: "rampart", Version: "v0.3.0"}) {
		t.Errorf("tool %+v", got.Tool)
	}
	wantSummary := jsonSummary{Findings: 6, BySeverity: jsonBySeverity{Critical: 2, High: 1, Medium: 1, Low: 1, Info: 1},
		Exempted: 1, InputErrors: 2, Skipped: 3, Files: 6, Objects: 3}
	if got.Summary != wantSummary {
		t.Errorf("summary %+v, want %+v", got.Summary, wantSummary)
	}
	if len(got.Findings) != len(rep.Findings) || len(got.Notes) != len(rep.Notes) ||
		len(got.PodSecurity) != len(rep.PodSecurity) || len(got.Rules) != len(rep.Rules) {
		t.Fatalf("lengths: %d findings, %d notes, %d podSecurity, %d rules", len(got.Findings), len(got.Notes), len(got.PodSecurity), len(got.Rules))
	}
	for i, f := range got.Findings {
		if strings.HasPrefix(f.Place.File, testBase) {
			t.Errorf("finding %d: file %q not relative to BaseDir", i, f.Place.File)
		}
		if f.Fingerprint == "" || f.Title == "" {
			t.Errorf("finding %d: fingerprint %q title %q", i, f.Fingerprint, f.Title)
		}
	}
	if !slices.IsSortedFunc(got.PodSecurity, func(a, b jsonPodSecurity) int {
		return strings.Compare(refOf(a.Object).String(), refOf(b.Object).String())
	}) {
		t.Errorf("podSecurity not sorted: %+v", got.PodSecurity)
	}
	if !slices.IsSortedFunc(got.Rules, func(a, b jsonRule) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("rules not sorted by id")
	}
	// Every finding reads back as the one it was written from.
	for i, f := range got.Findings {
		j := indexOf(rep.Findings, f)
		if j < 0 {
			t.Errorf("finding %d (%s on %v) matches no input finding", i, f.Check, f.Object)
			continue
		}
		w := rep.Findings[j]
		if f.Severity != w.Severity || f.Message != w.Message || f.Exempted != w.Exempted || f.ExemptReason != w.ExemptReason ||
			f.Place.Line != w.Place.Line || f.Place.Column != w.Place.Column || f.Place.File != relPath(testBase, w.Place.File) ||
			f.Container != w.Container || f.Object != toJSONObject(w.Object) || f.Title != w.Title {
			t.Errorf("finding %d did not round-trip:\n got %+v\nfrom %+v", i, f, w)
		}
	}
}

func refOf(o jsonObject) finding.ObjectRef {
	return finding.ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

func indexOf(fs []finding.Finding, f jsonFinding) int {
	for i, x := range fs {
		if x.Check == f.Check && x.Object == refOf(f.Object) && x.Container == f.Container && x.Place.Path == f.Place.Path {
			return i
		}
	}
	return -1
}

// Empty lists are [] rather than null, so consumers need no null checks.
func TestJSONEmptyListsAreArrays(t *testing.T) {
	out := string(render(t, "json", &finding.Report{}, Options{}))
	for _, key := range []string{"findings", "notes", "podSecurity", "rules"} {
		if !strings.Contains(out, `"`+key+`": []`) {
			t.Errorf("empty %s is not []:\n%s", key, out)
		}
	}
	if strings.Contains(out, "null") {
		t.Errorf("empty report has a null:\n%s", out)
	}
}

// Every key the JSON report can hold is documented in docs/json-report.md.
func TestJSONFieldsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "json-report.md"))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				keys[k] = true
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, rep := range []*finding.Report{fixture(), auditFixture()} {
		var v any
		if err := json.Unmarshal(render(t, "json", rep, testOptions()), &v); err != nil {
			t.Fatal(err)
		}
		walk(v)
	}
	for k := range keys {
		if !bytes.Contains(doc, []byte("`"+k+"`")) {
			t.Errorf("JSON field %q is not documented in docs/json-report.md", k)
		}
	}
	if !bytes.Contains(doc, []byte(finding.SchemaVersion)) {
		t.Errorf("docs/json-report.md does not name the schema version %s", finding.SchemaVersion)
	}
}

// The hand-written string encoder agrees with encoding/json on every input.
func FuzzWriteString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\ nl\n tab\t cr\r", "\x00\x1f\x7f", "caf\u00e9 \u2028 \u2029", "\xff\xfe bad utf8", "<html>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		writeString(&b, s)
		var back string
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, b.Bytes(), err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("%q: decoded %q, encoding/json gives %q", s, back, wantBack)
		}
	})
}

// A report larger than one round of the parallel encoder comes out whole,
// in order, with the same fingerprints SARIF uses, duplicates numbered.
func TestJSONManyFindings(t *testing.T) {
	base := fixture().Findings
	rep := &finding.Report{}
	for i := range 10_007 {
		f := base[i%len(base)]
		f.Place.File = fmt.Sprintf("f%05d.yaml", i/3)
		rep.Findings = append(rep.Findings, f)
	}
	finding.Sort(rep.Findings)
	got := decodeJSON(t, render(t, "json", rep, Options{}))
	if len(got.Findings) != len(rep.Findings) {
		t.Fatalf("%d findings written, want %d", len(got.Findings), len(rep.Findings))
	}
	fps := fingerprints(rep.Findings)
	for i, f := range got.Findings {
		want := rep.Findings[i]
		if f.Place.File != want.Place.File || f.Check != want.Check || f.Message != want.Message || f.Fingerprint != fps[i] {
			t.Fatalf("finding %d: got %s %s %q fingerprint %s, want %s %s %q fingerprint %s",
				i, f.Place.File, f.Check, f.Message, f.Fingerprint, want.Place.File, want.Check, want.Message, fps[i])
		}
	}
	if !strings.Contains(fps[len(fps)-1], ":") {
		t.Errorf("the same finding in 3,000 files is not numbered: last fingerprint %s", fps[len(fps)-1])
	}
}

// The podSecurity array is written by hand; it must be what
// json.MarshalIndent makes of it, for plain names and for every kind of
// character encoding/json escapes, and past the size of its buffer.
func TestWritePodSecurity(t *testing.T) {
	odd := []string{"", "web", `quo"te`, `back\slash`, "<b>&amp;", "tab\tnew\nline\x01\x7f", "é ü", "line\u2028sep", "bad\xffutf8"}
	var pss []finding.PodSecurity
	for i, s := range odd {
		pss = append(pss, finding.PodSecurity{
			Object:  finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: odd[(i+1)%len(odd)], Name: s},
			Version: "latest", Level: s,
		})
	}
	pss = append(pss, finding.PodSecurity{Object: finding.ObjectRef{APIVersion: strings.Join(odd, "|"), Kind: "Pod", Name: "p"}, Version: "v1.30", Level: "restricted"})
	for i := range 1000 {
		pss = append(pss, finding.PodSecurity{Object: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Name: fmt.Sprint("pod-", i)}, Version: "latest", Level: "baseline"})
	}
	for _, n := range []int{0, 1, 2, len(odd) + 1, len(pss)} {
		in := pss[:n]
		want := make([]jsonPodSecurity, len(in))
		for i, p := range in {
			want[i] = jsonPodSecurity{Object: toJSONObject(p.Object), Version: p.Version, Level: p.Level}
		}
		wantJSON, err := json.MarshalIndent(want, "  ", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := writePodSecurity(&got, in); err != nil {
			t.Fatal(err)
		}
		if got.String() != string(wantJSON) {
			t.Errorf("%d entries:\ngot  %.2000s\nwant %.2000s", n, got.String(), wantJSON)
		}
	}
}
