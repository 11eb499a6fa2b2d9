package workload

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseImage(t *testing.T) {
	const dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		in   string
		want imageRef
	}{
		{"nginx", imageRef{Domain: "docker.io", Path: "library/nginx"}},
		{"nginx:1.25", imageRef{Domain: "docker.io", Path: "library/nginx", Tag: "1.25"}},
		{"nginx:latest", imageRef{Domain: "docker.io", Path: "library/nginx", Tag: "latest"}},
		{"bitnami/redis:7", imageRef{Domain: "docker.io", Path: "bitnami/redis", Tag: "7"}},
		{"docker.io/nginx", imageRef{Domain: "docker.io", Path: "library/nginx"}},
		{"index.docker.io/library/nginx", imageRef{Domain: "docker.io", Path: "library/nginx"}},
		{"nginx@" + dg, imageRef{Domain: "docker.io", Path: "library/nginx", Digest: dg}},
		{"nginx:1.25@" + dg, imageRef{Domain: "docker.io", Path: "library/nginx", Tag: "1.25", Digest: dg}},
		{"registry.example.com:5000/team/app", imageRef{Domain: "registry.example.com:5000", Path: "team/app"}},
		{"registry.example.com:5000/team/app:v1@" + dg, imageRef{Domain: "registry.example.com:5000", Path: "team/app", Tag: "v1", Digest: dg}},
		{"localhost/app:dev", imageRef{Domain: "localhost", Path: "app", Tag: "dev"}},
		{"localhost:5000/app", imageRef{Domain: "localhost:5000", Path: "app"}},
		{"Registry.Example.COM/app", imageRef{Domain: "Registry.Example.COM", Path: "app"}},
		{"REG/app", imageRef{Domain: "REG", Path: "app"}},
		{"[::1]:5000/app:1", imageRef{Domain: "[::1]:5000", Path: "app", Tag: "1"}},
		{"ghcr.io/acme/tools/cli:2.0.0-rc.1", imageRef{Domain: "ghcr.io", Path: "acme/tools/cli", Tag: "2.0.0-rc.1"}},
		{"quay.io/a__b/c-d.e", imageRef{Domain: "quay.io", Path: "a__b/c-d.e"}},
	}
	for _, tc := range tests {
		got, err := parseImage(tc.in)
		if err != nil {
			t.Errorf("parseImage(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("parseImage(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{
		"", "Nginx", "nginx:", "nginx:-x", "nginx@sha256:short", "nginx@" + dg[7:],
		"nginx::1", "-bad/app", "app/", "/app", "reg.io/", "a b", "nginx:1 ", "bad_host.io/app",
		"registry.example.com:port/app", "nginx:" + string(make([]byte, 200)),
	} {
		if r, err := parseImage(bad); !errors.Is(err, errBadImage) {
			t.Errorf("parseImage(%q) = %+v, %v; want errBadImage", bad, r, err)
		}
	}
}

func FuzzParseImage(f *testing.F) {
	for _, s := range []string{"nginx", "nginx:latest", "a/b/c:1@sha256:0123456789abcdef0123456789abcdef", "reg:5000/x", "[::1]/y", "@", ":", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseImage(s)
		if err != nil {
			return
		}
		// A parsed reference prints in a form that parses to itself.
		again, err := parseImage(r.String())
		if err != nil {
			t.Fatalf("parseImage(%q) = %+v, whose String %q does not parse: %v", s, r, r.String(), err)
		}
		if again != r {
			t.Fatalf("round trip of %q: %+v then %+v", s, r, again)
		}
	})
}

func TestNormalizeRegistryPrefix(t *testing.T) {
	tests := map[string]string{
		"registry.example.com":   "registry.example.com",
		"registry.example.com/":  "registry.example.com",
		"Registry.Example.com/x": "registry.example.com/x",
		"ghcr.io/acme/":          "ghcr.io/acme",
		"localhost:5000":         "localhost:5000",
		"index.docker.io/":       "docker.io",
		"docker.io":              "docker.io",
		"nginx":                  "docker.io/library/nginx",
		"bitnami/":               "docker.io/bitnami",
		"bitnami/redis":          "docker.io/bitnami/redis",
		"library/":               "docker.io/library",
		"  ":                     "",
		"/":                      "",
	}
	for in, want := range tests {
		if got := normalizeRegistryPrefix(in); got != want {
			t.Errorf("normalizeRegistryPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

const imagesPod = `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: i, image: "busybox"}
  containers:
  - {name: a, image: "nginx:latest"}
  - {name: b, image: "nginx:1.25"}
  - {name: c, image: "nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
  - {name: d, image: "registry.example.com:5000/team/app"}
  - {name: e, image: "NotValid:"}
  - {name: f, image: ""}
  ephemeralContainers:
  - {name: x, image: "ghcr.io/acme/debug:latest"}
`

func TestImageLatestTag(t *testing.T) {
	runCheckCases(t, "image-latest-tag", []checkCase{
		{name: "pod with every kind of container", manifest: imagesPod, want: []string{
			"spec.containers[0].image@a",
			"spec.ephemeralContainers[0].image@x",
		}},
		{name: "statefulset init container", manifest: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec:
  template:
    spec:
      initContainers:
      - {name: i, image: "localhost:5000/tool:latest"}
      containers:
      - {name: a, image: "localhost:5000/app:v2"}
`, want: []string{"spec.template.spec.initContainers[0].image@i"}},
		{name: "not a workload", manifest: `
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {image: "nginx:latest"}
`},
	})
}

func TestImageNoTag(t *testing.T) {
	runCheckCases(t, "image-no-tag", []checkCase{
		{name: "pod with every kind of container", manifest: imagesPod, want: []string{
			"spec.initContainers[0].image@i",
			"spec.containers[3].image@d",
		}},
		{name: "digest only is pinned", manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - {name: a, image: "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
      - {name: b, image: "localhost:5000/app"}
`, want: []string{"spec.template.spec.containers[1].image@b"}},
	})
}

func TestImageNotPinned(t *testing.T) {
	runCheckCases(t, "image-not-pinned", []checkCase{
		{name: "pod with every kind of container", manifest: imagesPod, want: []string{
			"spec.initContainers[0].image@i",
			"spec.containers[0].image@a",
			"spec.containers[1].image@b",
			"spec.containers[3].image@d",
			"spec.ephemeralContainers[0].image@x",
		}},
		{name: "cronjob pinned", manifest: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - {name: a, image: "ghcr.io/acme/job:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
`},
	})
}

func TestImagePullPolicy(t *testing.T) {
	runCheckCases(t, "image-pull-policy", []checkCase{
		{name: "defaulted policies never fire", manifest: imagesPod},
		{name: "explicit policies", manifest: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec:
  template:
    spec:
      initContainers:
      - {name: i, image: "busybox", imagePullPolicy: IfNotPresent}
      containers:
      - {name: a, image: "nginx:latest", imagePullPolicy: Never}
      - {name: b, image: "nginx:latest", imagePullPolicy: Always}
      - {name: c, image: "nginx:1.25", imagePullPolicy: IfNotPresent}
      - {name: d, image: "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", imagePullPolicy: IfNotPresent}
      ephemeralContainers:
      - {name: x, image: "ghcr.io/acme/debug", imagePullPolicy: IfNotPresent}
`, want: []string{
			"spec.template.spec.initContainers[0].imagePullPolicy@i",
			"spec.template.spec.containers[0].imagePullPolicy@a",
			"spec.template.spec.ephemeralContainers[0].imagePullPolicy@x",
		}},
	})
}

func TestUntrustedRegistry(t *testing.T) {
	trusted := &Config{TrustedRegistries: []string{"registry.example.com:5000/", "ghcr.io/acme", "nginx"}}
	runCheckCases(t, "untrusted-registry", []checkCase{
		{name: "no trusted registries configured", manifest: imagesPod},
		{name: "pod with every kind of container", manifest: imagesPod, config: trusted, want: []string{
			"spec.initContainers[0].image@i",
			"spec.containers[4].image@e",
		}},
		{name: "prefix boundaries", config: &Config{TrustedRegistries: []string{"ghcr.io/acme/", "localhost", "bitnami/", "docker.io/library/redis:7"}}, manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - {name: a, image: "ghcr.io/acme/app:1"}
      - {name: b, image: "ghcr.io/acmecorp/app:1"}
      - {name: c, image: "localhost/app"}
      - {name: d, image: "localhost:5000/app"}
      - {name: e, image: "bitnami/redis:7"}
      - {name: f, image: "redis:7"}
      - {name: g, image: "redis:7.2"}
      - {name: h, image: "docker.io/bitnamievil/redis"}
      - {name: i, image: "index.docker.io/bitnami/redis"}
      - {name: j, image: "ghcr.io/acme"}
      - {name: k, image: "GHCR.io/acme/app"}
`, want: []string{
			"spec.template.spec.containers[1].image@b",
			"spec.template.spec.containers[3].image@d",
			"spec.template.spec.containers[6].image@g",
			"spec.template.spec.containers[7].image@h",
		}},
	})
}

// TestParseImageCached: the cache gives parseImage's answer, good or bad,
// the first time and every time after; it keeps no bad or long name, and
// starts over rather than grow past its bound.
func TestParseImageCached(t *testing.T) {
	long := "reg.example.com/" + strings.Repeat("a", imageCacheNameMax) + ":1"
	names := []string{"nginx", "nginx:1.25", "ghcr.io/acme/api:2.3.1", "Nginx", "nginx:", "reg.io/", long}
	for i := range imageCacheMax + 100 {
		names = append(names, fmt.Sprintf("reg.example.com/team/app-%d:v%d", i, i%7))
	}
	for round := range 2 {
		for _, n := range names {
			want, wantErr := parseImage(n)
			got, err := parseImageCached(n)
			if got != want || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Fatalf("round %d: parseImageCached(%q) = %+v, %v; parseImage gives %+v, %v", round, n, got, err, want, wantErr)
			}
		}
	}
	kept := 0
	imageCache.Range(func(k, _ any) bool {
		kept++
		if name := k.(string); len(name) > imageCacheNameMax || name == "Nginx" || name == "nginx:" {
			t.Errorf("the cache kept %.40q", name)
		}
		return true
	})
	if kept == 0 || kept > imageCacheMax {
		t.Errorf("the cache holds %d names, bound %d", kept, imageCacheMax)
	}
}
