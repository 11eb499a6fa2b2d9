package secrets

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// fuzzLimits keep each fuzz input cheap.
var fuzzLimits = Limits{MaxFileBytes: 1 << 16, MaxArchiveBytes: 1 << 20, MaxArchiveEntries: 100, MaxArchiveDepth: 2}

// FuzzReadTar: any bytes give members or an error, never a panic, and
// never more than the limits allow.
func FuzzReadTar(f *testing.F) {
	f.Add(makeTar(f, []tarFile{{"a.txt", []byte("hello")}}, false))
	f.Add(makeTar(f, []tarFile{{"chart/values.yaml", []byte("password: x")}, {"../../etc/passwd", []byte("root")}}, true))
	f.Add([]byte("\x1f\x8b\x08\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		var total int64
		_ = ReadTar(bytes.NewReader(data), fuzzLimits, func(m Member) error {
			n++
			var buf bytes.Buffer
			k, err := buf.ReadFrom(m.Body)
			total += k
			if len(m.Name) > 0 && (m.Name[0] == '/' || bytes.Contains([]byte(m.Name), []byte("../"))) {
				t.Fatalf("member name %q not cleaned", m.Name)
			}
			return err
		})
		if n > fuzzLimits.MaxArchiveEntries || total > fuzzLimits.MaxArchiveBytes {
			t.Fatalf("read %d members, %d bytes: past the limits", n, total)
		}
	})
}

// FuzzImageTarball: a broken image tarball gives an error note, never a
// panic, and a file next to it is still scanned.
func FuzzImageTarball(f *testing.F) {
	s, err := NewScanner(Options{})
	if err != nil {
		f.Fatal(err)
	}
	docker, _ := dockerSaveTarball(f, [][]byte{makeTar(f, []tarFile{{"etc/x", []byte("k")}}, false)})
	oci, _ := ociTarball(f, [][]byte{makeTar(f, []tarFile{{"etc/x", []byte("k")}}, false)})
	f.Add(docker)
	f.Add(oci)
	f.Add(makeTar(f, []tarFile{{"manifest.json", []byte(`[{"Config":"c.json","Layers":["l.tar"]}]`)}, {"c.json", []byte(`{}`)}, {"l.tar", []byte("junk")}}, false))
	f.Add(makeTar(f, []tarFile{{"oci-layout", []byte(`{}`)}, {"index.json", []byte(`{"manifests":[{"digest":"sha256:00"}]}`)}}, false))
	dir := f.TempDir()
	good := filepath.Join(dir, "good.env")
	if err := os.WriteFile(good, []byte("STRIPE="+fakeStripe()+"\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "image.tar")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		res := s.ScanPaths(context.Background(), []string{p, good}, TreeOptions{Limits: fuzzLimits})
		found := false
		for _, f := range res.Findings {
			found = found || f.File == good
		}
		if !found {
			t.Fatalf("the good file was not scanned next to a bad image: %+v", res)
		}
	})
}

// FuzzMatcherAgreesWithGitleaks: on any content and path, the matcher
// reports what gitleaks' own Detector reports.
func FuzzMatcherAgreesWithGitleaks(f *testing.F) {
	m, ref := newTestMatcher(f), gitleaksReference(f)
	g := newSampleGen(f)
	r := rand.New(rand.NewPCG(11, 12))
	for range 40 {
		// one line of a rule's own shape, with some context
		mr := g.rules[r.IntN(len(g.rules))]
		f.Add([]byte(codeLines[r.IntN(len(codeLines))]+"\n"+fillers[r.IntN(len(fillers))]+g.sample(r, mr)+"\n"), "x.go")
	}
	f.Add([]byte("password = \"\u017fecret-value-1234567890\"\nkey: x\n"), "a.go")
	f.Fuzz(func(t *testing.T, content []byte, path string) {
		if len(content) > 4096 {
			return // gitleaks' cost grows fast with size; short inputs explore more
		}
		if diff := differ(m, ref, path, content); diff != "" {
			t.Fatalf("path %q:%s", path, diff)
		}
	})
}
