package secrets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

type tarFile struct {
	name string
	body []byte
}

// makeTar writes a tar of files, gzipped when zip is set.
func makeTar(t testing.TB, files []tarFile, zip bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w = &buf
	var zw *gzip.Writer
	tw := tar.NewWriter(w)
	if zip {
		zw = gzip.NewWriter(w)
		tw = tar.NewWriter(zw)
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// byRule indexes findings by rule ID.
func byRule(fs []Finding) map[string][]Finding {
	m := map[string][]Finding{}
	for _, f := range fs {
		m[f.RuleID] = append(m[f.RuleID], f)
	}
	return m
}

func TestScanPathsTree(t *testing.T) {
	s := newTestScanner(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app", "main.go"), []byte("package main\nvar k = \""+fakeAWS()+"\"\n"))
	writeFile(t, filepath.Join(dir, ".git", "config"), []byte("token = "+fakeGitHub()+"\n"))
	writeFile(t, filepath.Join(dir, "node_modules", "x", "index.js"), []byte("k='"+fakeGitHub()+"'\n"))
	writeFile(t, filepath.Join(dir, "bin", "tool"), append([]byte{0x7f, 'E', 'L', 'F', 0}, []byte(fakeGitHub())...))
	writeFile(t, filepath.Join(dir, "big.txt"), []byte("k = "+fakeGitHub()+"\n"+strings.Repeat("x", 2048)))
	writeFile(t, filepath.Join(dir, "certs", "client.p12"), []byte{0x30, 0x82, 0, 1, 2})

	lim := DefaultLimits
	lim.MaxFileBytes = 1024
	res := s.ScanPaths(context.Background(), []string{dir}, TreeOptions{Limits: lim, BaseDir: dir})
	got := byRule(res.Findings)
	if len(got["aws-access-token"]) != 1 || got["aws-access-token"][0].Line != 2 {
		t.Errorf("aws key in app/main.go not found at line 2: %+v", res.Findings)
	}
	if len(got["github-pat"]) != 0 {
		t.Errorf("scanned .git, node_modules, a binary or a file over the size limit: %+v", got["github-pat"])
	}
	if len(got["pkcs12-file"]) != 1 {
		t.Errorf("key store found by name: got %+v", got["pkcs12-file"])
	}
	if !hasNote(res, "big.txt", "larger than 1024 bytes") {
		t.Errorf("no note for the skipped large file: %+v", res.Notes)
	}
	// Fingerprints are relative to the base directory, whatever the
	// path the scan was given.
	res2 := s.ScanPaths(context.Background(), []string{filepath.Join(dir, "app")}, TreeOptions{Limits: lim, BaseDir: dir})
	if len(res2.Findings) != 1 || res2.Findings[0].Fingerprint != got["aws-access-token"][0].Fingerprint {
		t.Errorf("fingerprint depends on the scanned root")
	}
}

func hasNote(res *Result, file, msg string) bool {
	for _, n := range res.Notes {
		if strings.HasSuffix(n.File, file) && strings.Contains(n.Message, msg) {
			return true
		}
	}
	return false
}

// A packaged Helm chart (.tgz) is scanned file by file, nested charts too.
func TestScanPackagedChart(t *testing.T) {
	s := newTestScanner(t)
	sub := makeTar(t, []tarFile{
		{"redis/Chart.yaml", []byte("apiVersion: v2\nname: redis\nversion: 1.0.0\n")},
		{"redis/values.yaml", []byte("auth:\n  password: R3d1sPassw0rd\n")},
	}, true)
	chart := makeTar(t, []tarFile{
		{"app/Chart.yaml", []byte("apiVersion: v2\nname: app\nversion: 0.1.0\n")},
		{"app/values.yaml", []byte("image: nginx\napi:\n  token: " + fakeGitLab() + "\n")},
		{"app/templates/secret.yaml", []byte("apiVersion: v1\nkind: Secret\nstringData:\n  key: |\n" + indent(fakePEM(), "    "))},
		{"app/charts/redis-1.0.0.tgz", sub},
	}, true)
	dir := t.TempDir()
	p := filepath.Join(dir, "app-0.1.0.tgz")
	writeFile(t, p, chart)
	res := s.ScanPaths(context.Background(), []string{p}, TreeOptions{Limits: DefaultLimits, BaseDir: dir})
	want := map[string]string{
		"gitlab-pat":             p + "!/app/values.yaml",
		"private-key":            p + "!/app/templates/secret.yaml",
		"helm-values-credential": p + "!/app/charts/redis-1.0.0.tgz!/redis/values.yaml",
	}
	got := byRule(res.Findings)
	for rule, file := range want {
		if len(got[rule]) != 1 || got[rule][0].File != file {
			t.Errorf("%s: got %+v, want one in %s", rule, got[rule], file)
		}
	}
	if len(res.Findings) != len(want) {
		t.Errorf("got %d findings, want %d: %+v", len(res.Findings), len(want), res.Findings)
	}
	if res.Files != 5 {
		t.Errorf("files = %d, want 5 (members of both charts)", res.Files)
	}
}

func indent(s, pad string) string {
	return pad + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+pad) + "\n"
}

// A bad archive gives an error note naming it, and the other files are
// still scanned.
func TestScanBadArchive(t *testing.T) {
	s := newTestScanner(t)
	dir := t.TempDir()
	good := makeTar(t, []tarFile{{"a.env", []byte("X=" + fakeStripe() + "\n")}}, true)
	writeFile(t, filepath.Join(dir, "broken.tgz"), good[:len(good)/2])
	writeFile(t, filepath.Join(dir, "garbage.tar"), []byte("not a tar at all"))
	writeFile(t, filepath.Join(dir, "ok.env"), []byte("Y="+fakeStripe()+"\n"))
	res := s.ScanPaths(context.Background(), []string{dir}, TreeOptions{Limits: DefaultLimits, BaseDir: dir})
	if !hasNote(res, "broken.tgz", "bad archive") || !hasNote(res, "garbage.tar", "bad archive") {
		t.Errorf("bad archives not reported: %+v", res.Notes)
	}
	found := false
	for _, f := range res.Findings {
		found = found || strings.HasSuffix(f.File, "ok.env")
	}
	if !found {
		t.Errorf("the good file was not scanned: %+v", res.Findings)
	}
}

func TestReadTarLimits(t *testing.T) {
	files := []tarFile{{"a", bytes.Repeat([]byte("a"), 600)}, {"b", []byte("b")}, {"c", []byte("c")}}
	data := makeTar(t, files, true)
	lim := Limits{MaxFileBytes: 1 << 20, MaxArchiveBytes: 1 << 20, MaxArchiveEntries: 2, MaxArchiveDepth: 1}
	var seen []string
	err := ReadTar(bytes.NewReader(data), lim, func(m Member) error { seen = append(seen, m.Name); return nil })
	if !errors.Is(err, ErrArchiveLimit) || len(seen) != 2 {
		t.Errorf("entries limit: err %v, seen %v", err, seen)
	}
	lim = Limits{MaxFileBytes: 1 << 20, MaxArchiveBytes: 1024, MaxArchiveEntries: 10, MaxArchiveDepth: 1}
	err = ReadTar(bytes.NewReader(data), lim, func(m Member) error { _, err := bytes.NewBuffer(nil).ReadFrom(m.Body); return err })
	if !errors.Is(err, ErrArchiveLimit) {
		t.Errorf("bytes limit: err %v", err)
	}
	err = ReadTar(strings.NewReader("\x1f\x8bnot gzip"), DefaultLimits, func(Member) error { return nil })
	if !errors.Is(err, ErrBadArchive) {
		t.Errorf("bad gzip: err %v", err)
	}
}

// layerTar is one image layer's tar.
func layerTar(t *testing.T, files ...tarFile) []byte { return makeTar(t, files, false) }

func digestOf(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// testLayers are three layers: the first adds a secret, the second deletes
// it with a whiteout and adds another in /app, the third makes /app opaque.
func testLayers(t *testing.T) [][]byte {
	return [][]byte{
		layerTar(t, tarFile{"etc/app/creds.env", []byte("AWS_KEY=" + fakeAWS() + "\n")}, tarFile{"etc/os-release", []byte("ID=test\n")}),
		layerTar(t, tarFile{"etc/app/.wh.creds.env", nil}, tarFile{"app/config.json", []byte(`{"token": "` + fakeGitHub() + `"}`)}),
		layerTar(t, tarFile{"app/.wh..wh..opq", nil}, tarFile{"app/README", []byte("clean\n")}),
	}
}

// dockerSaveTarball writes the legacy docker save layout.
func dockerSaveTarball(t testing.TB, layers [][]byte) ([]byte, []v1.Hash) {
	cfg := v1.ConfigFile{Architecture: "amd64", OS: "linux", RootFS: v1.RootFS{Type: "layers"}}
	files := []tarFile{}
	var names []string
	for i, l := range layers {
		d := digestOf(l)
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, d)
		name := "layer" + string(rune('0'+i)) + "/layer.tar"
		names = append(names, name)
		files = append(files, tarFile{name, l})
	}
	rawCfg, _ := json.Marshal(cfg)
	manifest, _ := json.Marshal([]dockerDescriptor{{Config: "config.json", RepoTags: []string{"test/app:1"}, Layers: names}})
	files = append(files, tarFile{"config.json", rawCfg}, tarFile{"manifest.json", manifest})
	return makeTar(t, files, false), cfg.RootFS.DiffIDs
}

// ociTarball writes an OCI image layout with gzipped layers.
func ociTarball(t testing.TB, layers [][]byte) ([]byte, []v1.Hash) {
	var files []tarFile
	var m v1.Manifest
	m.SchemaVersion = 2
	m.MediaType = types.OCIManifestSchema1
	var digests []v1.Hash
	cfg := v1.ConfigFile{Architecture: "amd64", OS: "linux", RootFS: v1.RootFS{Type: "layers"}}
	for _, l := range layers {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(l)
		zw.Close()
		d := digestOf(zb.Bytes())
		digests = append(digests, d)
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, digestOf(l))
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.OCILayer, Size: int64(zb.Len()), Digest: d})
		files = append(files, tarFile{"blobs/sha256/" + d.Hex, zb.Bytes()})
	}
	rawCfg, _ := json.Marshal(cfg)
	m.Config = v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(rawCfg)), Digest: digestOf(rawCfg)}
	rawM, _ := json.Marshal(m)
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{{MediaType: types.OCIManifestSchema1, Size: int64(len(rawM)), Digest: digestOf(rawM)}}}
	rawIdx, _ := json.Marshal(idx)
	files = append(files,
		tarFile{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		tarFile{"index.json", rawIdx},
		tarFile{"blobs/sha256/" + digestOf(rawCfg).Hex, rawCfg},
		tarFile{"blobs/sha256/" + digestOf(rawM).Hex, rawM})
	return makeTar(t, files, false), digests
}

func TestScanImageTarballs(t *testing.T) {
	s := newTestScanner(t)
	layers := testLayers(t)
	docker, dockerDigests := dockerSaveTarball(t, layers)
	oci, ociDigests := ociTarball(t, layers)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(docker)
	zw.Close()
	for _, tt := range []struct {
		name    string
		data    []byte
		digests []v1.Hash
	}{
		{"docker save", docker, dockerDigests},
		{"docker save gzipped", zipped.Bytes(), dockerDigests},
		{"oci layout", oci, ociDigests},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "image.tar")
			writeFile(t, p, tt.data)
			res := s.ScanPaths(context.Background(), []string{p}, TreeOptions{Limits: DefaultLimits, BaseDir: dir})
			if len(res.Notes) != 0 {
				t.Fatalf("notes: %+v", res.Notes)
			}
			got := byRule(res.Findings)
			aws, gh := got["aws-access-token"], got["github-pat"]
			if len(aws) != 1 || len(gh) != 1 || len(res.Findings) != 2 {
				t.Fatalf("got %+v, want the aws key and the github token", res.Findings)
			}
			d := tt.digests
			if aws[0].File != p+"!/etc/app/creds.env" || aws[0].Layer != d[0].String() || aws[0].Removed != d[1].String() {
				t.Errorf("deleted file: got %s in %s removed by %s; want layer %s removed by %s", aws[0].File, aws[0].Layer, aws[0].Removed, d[0], d[1])
			}
			if gh[0].File != p+"!/app/config.json" || gh[0].Layer != d[1].String() || gh[0].Removed != d[2].String() {
				t.Errorf("file under an opaque dir: got %s in %s removed by %s; want layer %s removed by %s", gh[0].File, gh[0].Layer, gh[0].Removed, d[1], d[2])
			}
			msg := aws[0].Finding().Message
			if !strings.Contains(msg, "still shipped in the image") || strings.Contains(msg, fakeAWS()) {
				t.Errorf("message %q", msg)
			}
		})
	}
}

func TestLayerChangesHides(t *testing.T) {
	lc := &layerChanges{deleted: []string{"etc/app", "x/file"}, opaque: []string{"var/lib/"}, files: map[string]bool{"usr/bin/tool": true}}
	for p, want := range map[string]bool{
		"etc/app": true, "etc/app/creds": true, "etc/apple": false, "x/file": true, "x/file2": false,
		"var/lib/db/key": true, "var/libx": false, "usr/bin/tool": true, "usr/bin/other": false,
	} {
		if got := lc.hides(p); got != want {
			t.Errorf("hides(%q) = %v, want %v", p, got, want)
		}
	}
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestScanGitHistory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	s := newTestScanner(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	writeFile(t, filepath.Join(dir, "README.md"), []byte("# app\n"))
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "first", "--date=2024-01-02T03:04:05Z")
	writeFile(t, filepath.Join(dir, "config", "app.env"), []byte("DEBUG=1\nLOG=info\nSTRIPE_KEY="+fakeStripe()+"\n"))
	git(t, dir, "add", ".")
	git(t, dir, "-c", "user.name=Test", "commit", "-q", "-m", "add config", "--date=2024-03-04T05:06:07Z")
	writeFile(t, filepath.Join(dir, "config", "app.env"), []byte("DEBUG=1\nLOG=info\nSTRIPE_KEY=${STRIPE_KEY}\n"))
	git(t, dir, "commit", "-q", "-am", "remove the key", "--date=2024-05-06T07:08:09Z")

	// The working tree is clean...
	if res := s.ScanPaths(context.Background(), []string{dir}, TreeOptions{Limits: DefaultLimits, BaseDir: dir}); len(res.Findings) != 0 {
		t.Fatalf("working tree: %+v", res.Findings)
	}
	// ...but the history still holds the key.
	res, err := s.ScanGit(context.Background(), dir, TreeOptions{Limits: DefaultLimits, BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("got %+v, want the removed key", res.Findings)
	}
	f := res.Findings[0]
	if f.RuleID != "stripe-access-token" || f.File != filepath.Join(dir, "config", "app.env") || f.Line != 3 ||
		len(f.Commit) != 40 || f.Date != "2024-03-04T05:06:07Z" {
		t.Errorf("got %+v, want stripe key at config/app.env:3 in the second commit, authored 2024-03-04T05:06:07Z", f)
	}
	// From a subdirectory, paths still name the right file.
	sub, err := s.ScanGit(context.Background(), filepath.Join(dir, "config"), TreeOptions{Limits: DefaultLimits, BaseDir: dir})
	if err != nil || len(sub.Findings) != 1 || sub.Findings[0].File != f.File || sub.Findings[0].Fingerprint != f.Fingerprint {
		t.Errorf("from a subdirectory: %v %+v", err, sub)
	}
	if res.Commits != 3 {
		t.Errorf("commits = %d, want 3", res.Commits)
	}
	if _, err := s.ScanGit(context.Background(), t.TempDir(), TreeOptions{Limits: DefaultLimits}); err == nil || !strings.Contains(err.Error(), "git log") {
		t.Errorf("not a repository: err = %v", err)
	}
}
