package audit

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// clusterFixture is a small cluster with one problem per section.
const clusterFixture = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy}
webhooks:
- name: lax.example.com
  failurePolicy: Ignore
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {url: "https://policy.example.com"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: oops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: User, name: alice}
- {kind: User, name: "system:anonymous"}
---
apiVersion: v1
kind: Namespace
metadata:
  name: app
  labels: {pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: app}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app}
spec:
  containers: [{name: web, image: nginx}]
---
apiVersion: v1
kind: Node
metadata: {name: n1}
spec: {unschedulable: true}
status:
  conditions: [{type: Ready, status: "True"}]
  nodeInfo: {kubeletVersion: v1.36.0}
`

func TestRun(t *testing.T) {
	inv := testInventory(t, clusterFixture, nil)
	res := Run(inv, nil)
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s %s %s:%d", f.Check, f.Severity, f.Place.File, f.Place.Line))
		c := Lookup(Checks(), f.Check)
		if f.Title != c.Title || f.Remediation != c.Remediation || !slices.Equal(f.Controls, c.Controls) {
			t.Errorf("%s: metadata not filled in: %+v", f.Check, f)
		}
	}
	want := []string{
		"admission-webhook-fail-open low test.yaml:6",
		"namespace-no-networkpolicy high test.yaml:19",
		"namespace-pod-security-privileged high test.yaml:23",
		"node-unschedulable info test.yaml:39",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n got  %q\n want %q", got, want)
	}
	if len(res.NotAssessed) != 0 {
		t.Errorf("not assessed: %+v", res.NotAssessed)
	}
	status := map[string]string{}
	for _, s := range res.Sections {
		status[s.Section] = fmt.Sprintf("%s %d/%d %d", s.Status, s.Failed, s.Checks, s.Findings)
	}
	wantStatus := map[string]string{
		"4.3.1": "fail 1/2 1",
		"4.3.2": "pass 0/3 0", // the RBAC checks of the fixture's bindings live in internal/rbac
		"4.3.3": "fail 1/3 1",
		"4.3.4": "fail 1/3 1",
		"4.3.5": "pass 0/4 1", // a cordoned node is info only
	}
	for s, w := range wantStatus {
		if status[s] != w {
			t.Errorf("section %s = %q, want %q", s, status[s], w)
		}
	}
}

func TestRunEmptyCluster(t *testing.T) {
	res := Run(testInventory(t, "", nil), nil)
	if len(res.Findings) != 0 || len(res.NotAssessed) != 0 {
		t.Fatalf("empty cluster: %+v", res)
	}
	if len(res.Sections) != 5 {
		t.Fatalf("%d sections, want 5", len(res.Sections))
	}
	for i, s := range res.Sections {
		if s.Section != sectionOrder[i] || s.Status != StatusPass || s.Title != sectionTitles[s.Section] {
			t.Errorf("section %d = %+v", i, s)
		}
	}
	if res.Sections[4].Title != "Orchestrator node trust" || res.Sections[0].Title != "Unbounded administrative access" {
		t.Errorf("titles: %q, %q", res.Sections[0].Title, res.Sections[4].Title)
	}
}

func TestRunNotAssessed(t *testing.T) {
	// A token Secret that legacy-token-secret would report: it may not run.
	manifest := clusterFixture + `
---
apiVersion: v1
kind: Secret
metadata: {name: tok, namespace: app, creationTimestamp: "2020-01-01T00:00:00Z"}
type: kubernetes.io/service-account-token
`
	cluster := &inventory.ClusterInfo{
		Version:     "v1.37.2",
		CollectedAt: testNow,
		NotAssessed: []inventory.NotAssessed{
			{Resource: "secrets", Reason: "forbidden: cannot list secrets"},
			{Resource: "clusterrolebindings.rbac.authorization.k8s.io", Reason: "forbidden"},
			{Resource: "rolebindings.rbac.authorization.k8s.io", Namespace: "team", Reason: "forbidden"},
		},
	}
	res := Run(testInventory(t, manifest, cluster), nil)
	var na []string
	for _, n := range res.NotAssessed {
		na = append(na, n.CheckID+": "+n.Resource+": "+n.Reason)
	}
	wantNA := []string{
		"legacy-token-secret: secrets: forbidden: cannot list secrets",
		"secret-age: secrets: forbidden: cannot list secrets",
	}
	if strings.Join(na, "\n") != strings.Join(wantNA, "\n") {
		t.Errorf("not assessed:\n got  %q\n want %q", na, wantNA)
	}
	for _, f := range res.Findings {
		switch f.Check {
		case "legacy-token-secret", "secret-age":
			t.Errorf("not-assessed check %s ran: %s", f.Check, f.Message)
		}
	}
	for _, s := range res.Sections {
		if s.Section == "4.3.2" && (s.Status != StatusNotAssessed || s.Checks != 3 || s.Failed != 0) {
			t.Errorf("4.3.2 = %+v, want not-assessed with 3 checks", s)
		}
	}
}

func TestRunServerVersionUnknown(t *testing.T) {
	for name, cluster := range map[string]*inventory.ClusterInfo{
		"no version":           {CollectedAt: testNow},
		"unparsable":           {Version: "dev", CollectedAt: testNow},
		"listed as not read":   {Version: "v1.37.2", CollectedAt: testNow, NotAssessed: []inventory.NotAssessed{{Resource: "/version", Reason: "timeout"}}},
		"nodes not readable":   {Version: "v1.37.2", CollectedAt: testNow, NotAssessed: []inventory.NotAssessed{{Resource: "nodes", Reason: "forbidden"}}},
		"not a cluster at all": nil,
	} {
		t.Run(name, func(t *testing.T) {
			inv := testInventory(t, nodeWithKubelet("old", "v1.20.0"), nil)
			inv.Cluster = cluster
			res := Run(inv, &Config{Now: testNow})
			i := slices.IndexFunc(res.NotAssessed, func(n NotAssessedCheck) bool { return n.CheckID == "node-version-skew" })
			if i < 0 {
				t.Fatalf("node-version-skew was assessed: %+v", res)
			}
			if res.NotAssessed[i].Reason == "" || res.NotAssessed[i].Resource == "" {
				t.Errorf("not assessed without a reason: %+v", res.NotAssessed[i])
			}
			for _, f := range res.Findings {
				if f.Check == "node-version-skew" {
					t.Errorf("node-version-skew ran: %s", f.Message)
				}
			}
			if s := res.Sections[4]; s.Status != StatusNotAssessed {
				t.Errorf("4.3.5 = %+v, want not-assessed", s)
			}
		})
	}
}

func TestSectionOf(t *testing.T) {
	tests := []struct {
		controls []string
		want     string
	}{
		{[]string{"NIST-800-190:4.4.3", "NIST-800-190:4.3.1", "CIS-K8S:5.2.2"}, "4.3.1"},
		{[]string{"NIST-800-190:4.3.3.2"}, "4.3.3"},
		{[]string{"NIST-800-190:4.3.2", "NIST-800-190:4.3.1"}, "4.3.2"},
		{[]string{"NIST-800-190:4.3.12"}, ""},
		{[]string{"NIST-800-190:4.3.6"}, ""},
		{[]string{"NIST-800-190:4.3"}, ""},
		{[]string{"CIS-K8S:4.3.1", "NIST-800-190:4.5.5"}, ""},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := SectionOf(tc.controls); got != tc.want {
			t.Errorf("SectionOf(%v) = %q, want %q", tc.controls, got, tc.want)
		}
	}
}

// auditChecksIn counts the registered checks of a section.
func auditChecksIn(section string) int {
	n := 0
	for _, c := range Checks() {
		if c.Section == section {
			n++
		}
	}
	return n
}

func TestSummarize(t *testing.T) {
	f := func(check string, sev finding.Severity, controls ...string) finding.Finding {
		return finding.Finding{Check: check, Severity: sev, Controls: controls}
	}
	exempt := f("cluster-admin-binding", finding.High, "NIST-800-190:4.3.2")
	exempt.Exempted = true
	tests := []struct {
		name        string
		findings    []finding.Finding
		notAssessed []NotAssessedCheck
		extra       []CheckSection
		// want is "status failed/checks findings" for 4.3.1 .. 4.3.5.
		want []string
	}{
		{name: "nothing found", want: []string{
			fmt.Sprintf("pass 0/%d 0", auditChecksIn("4.3.1")),
			fmt.Sprintf("pass 0/%d 0", auditChecksIn("4.3.2")),
			fmt.Sprintf("pass 0/%d 0", auditChecksIn("4.3.3")),
			fmt.Sprintf("pass 0/%d 0", auditChecksIn("4.3.4")),
			fmt.Sprintf("pass 0/%d 0", auditChecksIn("4.3.5")),
		}},
		{name: "info and exempted findings do not fail", findings: []finding.Finding{
			f("node-unschedulable", finding.Info, "NIST-800-190:4.3.5"),
			exempt,
		}, want: []string{"pass 0/2 0", "pass 0/4 0", "pass 0/3 0", "pass 0/3 0", "pass 0/4 1"}},
		{name: "audit and workload findings", findings: []finding.Finding{
			f("secret-age", finding.Low, "NIST-800-190:4.3.2"),
			f("legacy-token-secret", finding.Medium, "NIST-800-190:4.3.2"),
			f("legacy-token-secret", finding.High, "NIST-800-190:4.3.2"),
			f("automount-service-account-token", finding.Medium, "NIST-800-190:4.3.2", "NIST-800-190:4.3.1", "CIS-K8S:5.1.6"),
			f("host-network", finding.High, "NIST-800-190:4.4.3", "NIST-800-190:4.3.3"),
			f("privileged-container", finding.Critical, "NIST-800-190:4.4.3", "CIS-K8S:5.2.2"),
		}, want: []string{"pass 0/2 0", "fail 3/4 4", "fail 1/4 1", "pass 0/3 0", "pass 0/4 0"}},
		{name: "declared workload checks count when they find nothing", extra: []CheckSection{
			{ID: "default-namespace", Section: "4.3.4"},
			{ID: "run-as-non-root", Section: ""},
			{ID: "secret-age", Section: "4.3.5"}, // an audit check keeps its own section
		}, want: []string{"pass 0/2 0", "pass 0/3 0", "pass 0/3 0", "pass 0/4 0", "pass 0/4 0"}},
		{name: "not assessed unless something failed", notAssessed: []NotAssessedCheck{
			{CheckID: "node-version-skew", Resource: "/version", Reason: "unknown"},
			{CheckID: "secret-age", Resource: "secrets", Reason: "forbidden"},
		}, findings: []finding.Finding{
			f("cluster-admin-binding", finding.High, "NIST-800-190:4.3.2"),
		}, want: []string{"pass 0/2 0", "fail 1/4 1", "pass 0/3 0", "pass 0/3 0", "not-assessed 0/4 0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secs := Summarize(tc.findings, tc.notAssessed, tc.extra...)
			var got []string
			for i, s := range secs {
				if s.Section != sectionOrder[i] || s.Title == "" {
					t.Errorf("section %d = %+v", i, s)
				}
				got = append(got, fmt.Sprintf("%s %d/%d %d", s.Status, s.Failed, s.Checks, s.Findings))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Summarize:\n got  %q\n want %q", got, tc.want)
			}
		})
	}
}

// A check with Assess reports what it could not decide, per object or as a
// whole; the engine carries the entries with the check's ID, and the
// section counts the check as not assessed unless it also failed.
func TestAssessNotAssessed(t *testing.T) {
	node := func(name string) finding.ObjectRef {
		return finding.ObjectRef{APIVersion: "v1", Kind: "Node", Name: name}
	}
	partial := &Check{ID: "x-partial", Section: "4.3.5", Severity: finding.High, Needs: []string{"nodes"},
		Assess: func(*inventory.Inventory, *Config) Assessment {
			return Assessment{NotAssessed: []Unassessed{
				{Object: node("n2"), Resource: "nodes/proxy", Reason: "no answer within 5s"},
				{Object: node("n1"), Reason: "forbidden"},
			}}
		}}
	failing := &Check{ID: "x-failing", Section: "4.3.5", Severity: finding.High, Needs: []string{"nodes"},
		Assess: func(*inventory.Inventory, *Config) Assessment {
			return Assessment{
				Findings:    []finding.Finding{{Severity: finding.High, Object: node("n1"), Message: "bad"}},
				NotAssessed: []Unassessed{{Object: node("n2"), Reason: "forbidden"}},
			}
		}}
	whole := &Check{ID: "x-whole", Section: "4.3.5", Severity: finding.High, Needs: []string{"nodes"},
		Assess: func(*inventory.Inventory, *Config) Assessment {
			return Assessment{NotAssessed: []Unassessed{{Reason: "not read"}}}
		}}
	passing := &Check{ID: "x-passing", Section: "4.3.5", Severity: finding.High, Needs: []string{"nodes"},
		Run: func(*inventory.Inventory, *Config) []finding.Finding { return nil }}
	inv := testInventory(t, "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n", nil)
	res := RunChecks(inv, nil, []*Check{whole, passing, partial, failing})
	var got []string
	for _, n := range res.NotAssessed {
		got = append(got, fmt.Sprintf("%s %s %s %s", n.CheckID, n.Object, n.Resource, n.Reason))
	}
	want := []string{
		"x-failing Node/n2  forbidden",
		"x-partial Node/n1  forbidden",
		"x-partial Node/n2 nodes/proxy no answer within 5s",
		"x-whole /  not read",
	}
	if !slices.Equal(got, want) {
		t.Errorf("not assessed:\n got  %q\n want %q", got, want)
	}
	if len(res.Findings) != 1 || res.Findings[0].Check != "x-failing" || res.Findings[0].Object.Name != "n1" {
		t.Errorf("findings: %+v", res.Findings)
	}
	s := res.Sections[4]
	if s.Status != StatusFail || s.Failed != 1 || s.NotAssessed != 2 || s.Passed != s.Checks-3 {
		t.Errorf("4.3.5 = %+v, want fail with 1 failed, 2 not assessed and the rest passed", s)
	}
	// Without the failure the section is not assessed, never passed.
	res = RunChecks(inv, nil, []*Check{passing, partial})
	if s := res.Sections[4]; s.Status != StatusNotAssessed || s.NotAssessed != 1 {
		t.Errorf("4.3.5 = %+v, want not-assessed", s)
	}
}
