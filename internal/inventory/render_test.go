package inventory

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func byName(inv *Inventory) map[string]*Object {
	m := map[string]*Object{}
	for _, o := range inv.Objects {
		m[o.Kind+"/"+o.Name] = o
	}
	return m
}

func TestHelmChartDirectory(t *testing.T) {
	inv := LoadFiles([]string{"testdata/render/web"}, LoadOptions{})
	if len(inv.Notes) > 0 {
		t.Fatalf("notes: %v", inv.Notes)
	}
	objs := byName(inv)
	if len(objs) != 3 {
		t.Fatalf("got %d objects %v, want the Deployment, the Service and the subchart's StatefulSet", len(objs), objs)
	}
	d := objs["Deployment/release-name-web"]
	if d == nil {
		t.Fatalf("no Deployment/release-name-web in %v", objs)
	}
	if d.Namespace != "default" {
		t.Errorf("namespace %q, want the release namespace default", d.Namespace)
	}
	want := filepath.Join("testdata/render/web", "templates", "deployment.yaml")
	p := d.Place(FieldPath("spec.template.spec.containers[0].securityContext.privileged"))
	if p.File != want || p.Via != "helm template testdata/render/web" {
		t.Errorf("place %+v, want file %s via helm template", p, want)
	}
	// The line is the field's line in the template's rendered output.
	if p.Line != 18 {
		t.Errorf("privileged at line %d, want 18", p.Line)
	}
	sts := objs["StatefulSet/release-name-cache"]
	if sts == nil {
		t.Fatal("the subchart's StatefulSet was not rendered")
	}
	if got := sts.Source.File; got != filepath.Join("testdata/render/web", "charts", "cache", "templates", "statefulset.yaml") {
		t.Errorf("subchart file %s", got)
	}
	if !sts.Typed.(*appsv1.StatefulSet).Spec.Template.Spec.HostNetwork {
		t.Error("subchart values not applied")
	}
}

func TestHelmValuesAndOptions(t *testing.T) {
	opts := LoadOptions{Helm: HelmOptions{
		ValueFiles:  []string{"testdata/render/prod-values.yaml"},
		Set:         []string{"image=registry.example.com/web:2.0"},
		ReleaseName: "shop",
		Namespace:   "prod",
		KubeVersion: "v1.31.0",
	}}
	inv := LoadFiles([]string{"testdata/render/web"}, opts)
	if len(inv.Notes) > 0 {
		t.Fatalf("notes: %v", inv.Notes)
	}
	objs := byName(inv)
	if objs["StatefulSet/shop-cache"] != nil {
		t.Error("cache.enabled=false in the values file did not disable the dependency")
	}
	d := objs["Deployment/shop-web"]
	if d == nil || d.Namespace != "prod" {
		t.Fatalf("release name and namespace not applied: %v", objs)
	}
	c := d.Typed.(*appsv1.Deployment).Spec.Template.Spec.Containers[0]
	if c.Image != "registry.example.com/web:2.0" || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Errorf("values not applied: image %q, securityContext %+v", c.Image, c.SecurityContext)
	}
}

func TestHelmRenderErrorIsHelms(t *testing.T) {
	inv := LoadFiles([]string{"testdata/render/broken", "testdata/render/web"}, LoadOptions{})
	if len(inv.Objects) != 3 {
		t.Errorf("the good chart lost objects: %d", len(inv.Objects))
	}
	if len(inv.Notes) != 1 || inv.Notes[0].File != "testdata/render/broken" ||
		!strings.Contains(inv.Notes[0].Message, "bad.yaml") || !strings.Contains(inv.Notes[0].Message, "nil pointer") {
		t.Fatalf("notes %v, want Helm's error naming the template", inv.Notes)
	}
}

func TestHelmPackagedChart(t *testing.T) {
	tgz := filepath.Join(t.TempDir(), "web-0.1.0.tgz")
	writeChartArchive(t, "testdata/render/web", tgz)
	inv := LoadFiles([]string{tgz}, LoadOptions{})
	if len(inv.Notes) > 0 {
		t.Fatalf("notes: %v", inv.Notes)
	}
	d := byName(inv)["Deployment/release-name-web"]
	if d == nil {
		t.Fatal("no Deployment from the packaged chart")
	}
	if want := tgz + "/templates/deployment.yaml"; d.Source.File != want {
		t.Errorf("file %s, want %s", d.Source.File, want)
	}
}

func TestBadChartArchive(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.tgz")
	if err := os.WriteFile(bad, []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := LoadFiles([]string{bad, "testdata/render/web"}, LoadOptions{})
	if len(inv.Objects) != 3 || len(inv.Notes) != 1 || inv.Notes[0].File != bad {
		t.Fatalf("objects %d, notes %v", len(inv.Objects), inv.Notes)
	}
}

func TestKustomizeOverlay(t *testing.T) {
	inv := LoadFiles([]string{"testdata/render/kustomize/overlays/prod"}, LoadOptions{})
	if len(inv.Notes) > 0 {
		t.Fatalf("notes: %v", inv.Notes)
	}
	objs := byName(inv)
	d := objs["Deployment/prod-api"]
	if d == nil || d.Namespace != "prod" {
		t.Fatalf("overlay not applied: %v", objs)
	}
	spec := d.Typed.(*appsv1.Deployment).Spec.Template.Spec
	if !spec.HostPID || spec.Containers[0].SecurityContext.Privileged == nil || !*spec.Containers[0].SecurityContext.Privileged {
		t.Errorf("patch not applied: %+v", spec)
	}
	if spec.Containers[0].SecurityContext.AllowPrivilegeEscalation == nil {
		t.Error("the base's setting was lost by the patch")
	}
	if _, ok := d.Annotations["config.kubernetes.io/origin"]; ok {
		t.Error("the origin annotation Rampart asked for is left on the object")
	}
	// The Deployment points into the base file, at the base's lines.
	wantFile := filepath.Join("testdata/render/kustomize/overlays/prod", "../../base/deployment.yaml")
	p := d.Place(FieldPath("spec.template.spec.containers[0].image"))
	if p.File != filepath.Clean(wantFile) || p.Line != 14 || p.Via != "kustomize build testdata/render/kustomize/overlays/prod" {
		t.Errorf("place %+v, want %s:14 via kustomize build", p, filepath.Clean(wantFile))
	}
	cm := objs[findPrefixed(objs, "ConfigMap/prod-settings-")]
	if cm == nil || cm.Typed.(*corev1.ConfigMap).Data["mode"] != "prod" {
		t.Errorf("generated ConfigMap missing: %v", objs)
	}
}

func TestKustomizeTreeRendersEachKustomization(t *testing.T) {
	inv := LoadFiles([]string{"testdata/render/kustomize"}, LoadOptions{})
	if len(inv.Notes) > 0 {
		t.Fatalf("notes: %v", inv.Notes)
	}
	objs := byName(inv)
	if objs["Deployment/api"] == nil || objs["Deployment/prod-api"] == nil {
		t.Fatalf("want the base and the overlay built, each on its own: %v", objs)
	}
	if len(inv.Objects) != 3 {
		t.Errorf("%d objects; the patch file must not be read as a manifest of its own", len(inv.Objects))
	}
}

func TestKustomizeError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources:\n- missing.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := LoadFiles([]string{dir}, LoadOptions{})
	if len(inv.Notes) != 1 || inv.Notes[0].File != dir || !strings.Contains(inv.Notes[0].Message, "missing.yaml") {
		t.Fatalf("notes %v", inv.Notes)
	}
}

func findPrefixed(objs map[string]*Object, prefix string) string {
	for k := range objs {
		if strings.HasPrefix(k, prefix) {
			return k
		}
	}
	return ""
}

// writeChartArchive packs a chart directory as helm package does: every
// file under a top directory named for the chart.
func writeChartArchive(t testing.TB, dir, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: "web/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data))}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzChartArchive feeds arbitrary bytes to the chart reader as a packaged
// chart: a bad archive is one error note for that file, never a panic, and
// a good chart read beside it keeps its objects.
func FuzzChartArchive(f *testing.F) {
	good := filepath.Join(f.TempDir(), "web.tgz")
	writeChartArchive(f, "testdata/render/web", good)
	data, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte("\x1f\x8b\x08\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "fuzz.tgz")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		inv := LoadFiles([]string{p, "testdata/render/web"}, LoadOptions{})
		n := 0
		for _, o := range inv.Objects {
			if strings.HasPrefix(o.Source.File, "testdata/") {
				n++
			}
		}
		if n != 3 {
			t.Fatalf("the good chart beside a bad archive lost objects: %d", n)
		}
		for _, note := range inv.Notes {
			if note.File == "" || note.Message == "" {
				t.Fatalf("note without file or message: %+v", note)
			}
		}
	})
}

// BenchmarkHelmChart renders and loads a chart of 50 templates.
func BenchmarkHelmChart(b *testing.B) {
	dir := b.TempDir()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: big\nversion: 1.0.0\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "values.yaml"), []byte("image: nginx:1.27\nreplicas: 2\n"), 0o644))
	tmpl, err := os.ReadFile("testdata/render/web/templates/deployment.yaml")
	must(err)
	for i := 0; i < 50; i++ {
		t := strings.ReplaceAll(string(tmpl), `{{ include "web.name" . }}`, "{{ .Release.Name }}-d"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+"-"+itoa(i))
		must(os.WriteFile(filepath.Join(dir, "templates", "d"+itoa(i)+".yaml"), []byte(t), 0o644))
	}
	b.ReportAllocs()
	for b.Loop() {
		inv := LoadFiles([]string{dir}, LoadOptions{})
		if len(inv.Objects) != 50 || len(inv.Notes) > 0 {
			b.Fatalf("%d objects, notes %v", len(inv.Objects), inv.Notes)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
