package report

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testBase is the BaseDir of the fixture; it need not exist.
const testBase = "/work/repo"

const skippedMsg = "skipped: not a Kubernetes object (no apiVersion and kind)"

// fixture is one report that exercises every part of every format: two
// files (one absolute under BaseDir, one already relative), three objects,
// every severity, containers, an exempted finding, a finding with no line,
// input errors with and without a line, skipped documents, Pod Security
// levels and a rule that found nothing.
func fixture() *finding.Report {
	api := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "api"}
	cleanup := finding.ObjectRef{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "prod", Name: "cleanup"}
	web := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "web", Name: "web"}
	const apiFile = testBase + "/deploy/api.yaml"
	const webFile = "charts/web/templates/deployment.yaml"

	rules := []finding.Rule{
		{ID: "host-network", Title: "Host network", Severity: finding.High,
			Description: "Sharing the node's network namespace lets a pod reach services bound to the node's loopback.",
			Remediation: "Remove spec.hostNetwork or set it to false.",
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.4", "PSS:baseline/host-namespaces"}},
		{ID: "host-path-volume", Title: "hostPath volume", Severity: finding.Medium,
			Description: "A hostPath volume exposes the node's filesystem to the pod.",
			Remediation: "Use a persistentVolumeClaim, configMap or emptyDir volume instead of hostPath.",
			Controls:    []string{"NIST-800-190:4.4.3", "PSS:baseline/host-path-volumes"}},
		{ID: "latest-image-tag", Title: "Mutable image tag", Severity: finding.Low,
			Description: "An image referenced by a mutable tag can change under a running workload.",
			Remediation: "Pin the image by digest or by an immutable version tag.",
			Controls:    []string{"NIST-800-190:4.1.5"}},
		{ID: "missing-resource-limits", Title: "No resource limits", Severity: finding.Info,
			Description: "A container without limits can starve its neighbours on the node.",
			Remediation: "Set resources.limits.cpu and resources.limits.memory.",
			Controls:    []string{"NIST-800-190:4.4.2"}},
		{ID: "privileged-container", Title: "Privileged container", Severity: finding.Critical,
			Description: "A privileged container has every capability and all host devices; escaping to the node is trivial.",
			Remediation: "Remove securityContext.privileged or set it to false; grant only the capabilities the process needs.",
			Controls:    []string{"NIST-800-190:4.4.3", "NIST-800-190:4.5.5", "CIS-K8S:5.2.2", "PSS:baseline/privileged"}},
		{ID: "run-as-non-root", Title: "Container may run as root", Severity: finding.High,
			Description: "A process running as UID 0 in the container is root on the node if it escapes.",
			Remediation: "Set securityContext.runAsNonRoot to true and runAsUser to a non-zero UID.",
			Controls:    []string{"NIST-800-190:4.4.3", "PSS:restricted/run-as-non-root"}},
	}
	ruleOf := map[string]finding.Rule{}
	for _, r := range rules {
		ruleOf[r.ID] = r
	}
	mk := func(check string, obj finding.ObjectRef, container string, place finding.Place, msg string) finding.Finding {
		r := ruleOf[check]
		return finding.Finding{Check: check, Title: r.Title, Severity: r.Severity, Object: obj, Container: container,
			Place: place, Message: msg, Remediation: r.Remediation, Controls: r.Controls}
	}
	exempted := mk("latest-image-tag", api, "sidecar",
		finding.Place{File: apiFile, Line: 38, Column: 16, Path: "spec.template.spec.containers[1].image"},
		`image "envoyproxy/envoy:latest" uses a mutable tag`)
	exempted.Exempted, exempted.ExemptReason = true, "pinned by digest at deploy time (SEC-42)"

	fs := []finding.Finding{
		mk("privileged-container", api, "app",
			finding.Place{File: apiFile, Line: 31, Column: 13, Path: "spec.template.spec.containers[0].securityContext.privileged"},
			"container runs privileged"),
		mk("run-as-non-root", api, "app",
			finding.Place{File: apiFile, Line: 27, Column: 9, Path: "spec.template.spec.containers[0].securityContext"},
			"runAsNonRoot is not true and runAsUser is not set"),
		exempted,
		mk("missing-resource-limits", cleanup, "cleanup",
			finding.Place{File: apiFile, Line: 64, Column: 15, Path: "spec.jobTemplate.spec.template.spec.containers[0]"},
			"no resources.limits"),
		mk("host-path-volume", web, "",
			finding.Place{File: webFile, Line: 22, Column: 11, Path: "spec.template.spec.volumes[0].hostPath"},
			`hostPath volume "docker-sock" mounts /var/run/docker.sock`),
		mk("latest-image-tag", web, "nginx",
			finding.Place{File: webFile, Line: 18, Column: 18, Path: "spec.template.spec.containers[0].image"},
			`image "nginx:latest" uses a mutable tag`),
		// Line unknown: the file is known but the position was not.
		mk("privileged-container", web, "init-perms",
			finding.Place{File: webFile, Path: "spec.template.spec.initContainers[0].securityContext.privileged"},
			"container runs privileged"),
	}
	finding.Sort(fs)
	return &finding.Report{
		Tool:     "rampart",
		Version:  "v0.3.0",
		Rules:    rules,
		Findings: fs,
		Notes: []finding.Note{
			{Level: finding.NoteError, File: testBase + "/deploy/broken.yaml", Line: 7, Message: "yaml: line 7: did not find expected key"},
			{Level: finding.NoteError, File: "missing.yaml", Message: "open missing.yaml: no such file or directory"},
			{Level: finding.NoteInfo, File: testBase + "/deploy/kustomization.yaml", Line: 1, Message: skippedMsg},
			{Level: finding.NoteInfo, File: "charts/web/Chart.yaml", Line: 1, Message: skippedMsg},
			{Level: finding.NoteInfo, File: "charts/web/values.yaml", Line: 1, Message: skippedMsg},
		},
		Files:   6,
		Objects: 3,
		PodSecurity: map[string]finding.PodSecurity{
			web.String():     {Object: web, Version: "latest", Level: "privileged"},
			api.String():     {Object: api, Version: "latest", Level: "privileged"},
			cleanup.String(): {Object: cleanup, Version: "latest", Level: "baseline"},
		},
	}
}

// auditFixture is the fixture as a cluster audit: live findings with no
// file, the countermeasure table, nodes and a check not assessed.
func auditFixture() *finding.Report {
	rep := fixture()
	crb := finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "anon-view"}
	rep.Findings = append(rep.Findings, finding.Finding{Check: "anonymous-access", Title: "Anonymous access granted",
		Severity: finding.Critical, Object: crb, Message: `ClusterRoleBinding "anon-view" grants ClusterRole "view" to system:anonymous`,
		Remediation: "Delete the binding or bind the role to named subjects.", Controls: []string{"NIST-800-190:4.3.2", "CIS-K8S:5.1.1"}})
	finding.Sort(rep.Findings)
	rep.Audit = &finding.Audit{
		Server: "https://127.0.0.1:6443", Version: "v1.37.2",
		CollectedAt: time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC),
		Sections: []finding.Section{
			{ID: "4.3.1", Title: "Unbounded administrative access", Status: "pass", Checks: 3, Passed: 3},
			{ID: "4.3.2", Title: "Unauthorized access", Status: "fail", Checks: 6, Failed: 1, Findings: 1, Passed: 5},
			{ID: "4.3.3", Title: "Poorly separated inter-container network traffic", Status: "not-assessed", Checks: 3, NotAssessed: 1, Passed: 2},
		},
		Nodes: []finding.Node{
			{Name: "node-a", Ready: "True", KubeletVersion: "v1.37.1", Skew: "0", ContainerRuntime: "containerd://2.1.0", OSArch: "linux/amd64", Roles: []string{"worker"}, Age: "41d"},
			{Name: "node-b", Ready: "False", Conditions: []string{"MemoryPressure=True"}, KubeletVersion: "v1.33.0", Skew: "-4 minor", Unschedulable: true, Taints: []string{"dedicated=db:NoSchedule"}, Age: "300d"},
		},
		NotAssessed: []finding.NotAssessed{
			{Check: "namespace-no-networkpolicy", Resource: "networkpolicies.networking.k8s.io", Reason: "forbidden"},
			{Check: "kubelet-anonymous-auth", Object: &finding.ObjectRef{APIVersion: "v1", Kind: "Node", Name: "node-b"}, Resource: "nodes/proxy", Reason: "unreachable: connection refused"},
		},
		KubeletConfig: &finding.KubeletConfigRead{Nodes: 2, Read: 1, Warning: "reading /configz needs nodes/proxy, which allows exec into any Pod of the node: grant it to auditors only"},
	}
	return rep
}

func testOptions() Options {
	return Options{BaseDir: testBase, ToolVersion: "v0.3.0"}
}

func render(t *testing.T, format string, rep *finding.Report, opts Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, format, rep, opts); err != nil {
		t.Fatalf("Render(%s): %v", format, err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	color := testOptions()
	color.Color = true
	cases := []struct {
		file, format string
		opts         Options
	}{
		{"report.txt", "text", testOptions()},
		{"report-color.txt", "text", color},
		{"report.json", "json", testOptions()},
		{"report.sarif", "sarif", testOptions()},
		{"report.xml", "junit", testOptions()},
		{"report.html", "html", testOptions()},
		{"audit.txt", "text", testOptions()},
		{"audit.json", "json", testOptions()},
		{"audit.html", "html", testOptions()},
		{"audit.sarif", "sarif", testOptions()},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			rep := fixture()
			if strings.HasPrefix(c.file, "audit") {
				rep = auditFixture()
			}
			got := render(t, c.format, rep, c.opts)
			golden := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (run go test -update and review the diff)\ngot:\n%s", golden, got)
			}
		})
	}
}

func TestUnknownFormat(t *testing.T) {
	var b bytes.Buffer
	err := Render(&b, "pdf", fixture(), testOptions())
	if !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("Render(pdf) = %v, want an error wrapping ErrUnknownFormat", err)
	}
	if b.Len() != 0 {
		t.Errorf("an unknown format wrote %d bytes", b.Len())
	}
}

func TestEveryFormatRenders(t *testing.T) {
	empty := &finding.Report{}
	for _, format := range Formats {
		for _, rep := range []*finding.Report{fixture(), empty, nil} {
			if out := render(t, format, rep, Options{}); len(out) == 0 {
				t.Errorf("%s: empty output", format)
			}
		}
	}
}

// Rendering must not change the caller's report (paths, order, slices).
func TestRenderLeavesReportAlone(t *testing.T) {
	rep := fixture()
	want := fixture()
	for _, format := range Formats {
		render(t, format, rep, testOptions())
	}
	if !reflect.DeepEqual(rep, want) {
		t.Error("Render modified the report")
	}
}

// Colour codes belong to text output with Color set, and nowhere else.
func TestColorOnlyWhenAsked(t *testing.T) {
	on := testOptions()
	on.Color = true
	for _, format := range Formats {
		if out := render(t, format, fixture(), testOptions()); bytes.Contains(out, []byte("\x1b[")) {
			t.Errorf("%s without Color has ANSI escapes", format)
		}
		out := render(t, format, fixture(), on)
		if has := bytes.Contains(out, []byte("\x1b[")); has != (format == "text") {
			t.Errorf("%s with Color: ANSI escapes = %v", format, has)
		}
	}
}

func TestRelPath(t *testing.T) {
	cases := []struct{ base, in, want string }{
		{"/work/repo", "/work/repo/deploy/api.yaml", "deploy/api.yaml"},
		{"/work/repo/", "/work/repo/api.yaml", "api.yaml"},
		{"/work/repo", "charts/web.yaml", "charts/web.yaml"},
		{"/work/repo", "/work/other/x.yaml", "/work/other/x.yaml"},
		{"/work/repo", "/work/repository/x.yaml", "/work/repository/x.yaml"},
		{"", "/work/repo/x.yaml", "/work/repo/x.yaml"},
		{"/work/repo", "", ""},
		{"/work/repo", "<stdin>", "<stdin>"},
	}
	for _, c := range cases {
		if got := relPath(c.base, filepath.FromSlash(c.in)); got != filepath.FromSlash(c.want) {
			t.Errorf("relPath(%q, %q) = %q, want %q", c.base, c.in, got, c.want)
		}
	}
}

func TestFingerprintIgnoresPosition(t *testing.T) {
	f := fixture().Findings[0]
	moved := f
	moved.Place.Line += 40
	moved.Place.Column = 1
	moved.Place.File = "elsewhere.yaml"
	if fingerprint(f) != fingerprint(moved) {
		t.Error("moving a finding changed its fingerprint")
	}
	other := f
	other.Container = "other"
	if fingerprint(f) == fingerprint(other) {
		t.Error("a different container has the same fingerprint")
	}
	fps := fingerprints([]finding.Finding{f, f, other})
	if fps[0] == fps[1] || !strings.HasSuffix(fps[1], ":2") {
		t.Errorf("identical findings got fingerprints %q", fps)
	}
}
