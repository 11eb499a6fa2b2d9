package rbac

import (
	"fmt"
	"github.com/rampart-dev/rampart/internal/checktest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
)

func TestRBACRegistryIsValid(t *testing.T) {
	if err := audit.Validate(Checks()); err != nil {
		t.Fatal(err)
	}
	for _, c := range Checks() {
		if !c.Scan {
			t.Errorf("%s: RBAC checks decide from manifests and must run in scan", c.ID)
		}
	}
}

// TestRiskCatalogSize: the issue asks for at least 25 risky-grant checks.
func TestRiskCatalogSize(t *testing.T) {
	n := len(riskCatalog)
	for _, id := range []string{"anonymous-access", "authenticated-group-access", "cluster-admin-binding", "rbac-default-service-account-rights"} {
		if audit.Lookup(Checks(), id) == nil {
			t.Errorf("check %s is missing", id)
		}
		n++
	}
	if n < 25 {
		t.Errorf("%d risky-grant checks, want at least 25", n)
	}
}

// TestEveryRBACCheckHasATest: every check must have a table test that
// names it.
func TestEveryRBACCheckHasATest(t *testing.T) {
	ids := make([]string, 0, len(Checks()))
	for _, c := range Checks() {
		ids = append(ids, c.ID)
	}
	checktest.RequireTests(t, ids, `runRBACCases(t, %q`)
}

// rbacCase is one row of a check's table test.
type rbacCase struct {
	name     string
	manifest string
	// cluster, when set, makes the inventory a live read of a cluster;
	// nil means manifests.
	cluster *inventory.ClusterInfo
	// want lists "ref path severity" for every expected finding, in
	// finding.Sort order, where ref is finding.ObjectRef.String().
	want []string
	// contains are substrings the findings' messages must hold.
	contains []string
}

// liveCluster is the ClusterInfo of a test inventory read from a cluster.
var liveCluster = &inventory.ClusterInfo{Server: "https://127.0.0.1:6443", Version: "v1.37.2", CollectedAt: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}

// rbacInventory parses a manifest into an inventory.
func rbacInventory(t testing.TB, manifest string, cluster *inventory.ClusterInfo) *inventory.Inventory {
	t.Helper()
	objs, notes := inventory.ParseBytes("test.yaml", []byte(strings.TrimLeft(manifest, "\n")), inventory.Limits{})
	for _, n := range notes {
		t.Fatalf("fixture does not parse: %+v", n)
	}
	return &inventory.Inventory{Objects: objs, Cluster: cluster}
}

// runRBACCases runs one check, alone, through the audit engine over a
// table of manifests.
func runRBACCases(t *testing.T, id string, cases []rbacCase) {
	t.Helper()
	c := audit.Lookup(Checks(), id)
	if c == nil {
		t.Fatalf("no check %q", id)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := rbacInventory(t, tc.manifest, tc.cluster)
			res := audit.RunChecks(inv, nil, []*audit.Check{c})
			if len(res.NotAssessed) > 0 {
				t.Fatalf("not assessed: %+v", res.NotAssessed)
			}
			var got, msgs []string
			for _, f := range res.Findings {
				if f.Message == "" || f.Object.Name == "" || f.Object.Kind == "" {
					t.Errorf("finding without message or object: %+v", f)
				}
				if f.Severity > c.Severity {
					t.Errorf("finding on %s is %s, above the check's %s", f.Object, f.Severity, c.Severity)
				}
				got = append(got, fmt.Sprintf("%s %s %s", f.Object, f.Place.Path, f.Severity))
				msgs = append(msgs, f.Message)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("%s findings:\n got  %q\n want %q\nmessages: %q", id, got, tc.want, msgs)
			}
			all := strings.Join(msgs, "\n")
			for _, s := range tc.contains {
				if !strings.Contains(all, s) {
					t.Errorf("messages do not contain %q:\n%s", s, all)
				}
			}
		})
	}
}

// crb and rb write a ClusterRoleBinding or RoleBinding of one role to
// subjects given as YAML flow mappings.
func crb(name, roleKind, role string, subjects ...string) string {
	return fmt.Sprintf(`---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: %s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: %s, name: %s}
subjects: [%s]
`, name, roleKind, role, strings.Join(subjects, ", "))
}

func rb(ns, name, roleKind, role string, subjects ...string) string {
	return fmt.Sprintf(`---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: %s, namespace: %s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: %s, name: %s}
subjects: [%s]
`, name, ns, roleKind, role, strings.Join(subjects, ", "))
}

// clusterRole and role write a role with rules given as YAML flow mappings.
func clusterRole(name string, rules ...string) string {
	return fmt.Sprintf(`---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: %s}
rules: [%s]
`, name, strings.Join(rules, ", "))
}

func nsRole(ns, name string, rules ...string) string {
	return fmt.Sprintf(`---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: %s, namespace: %s}
rules: [%s]
`, name, ns, strings.Join(rules, ", "))
}

const (
	alice   = "{kind: User, name: alice}"
	devs    = "{kind: Group, name: devs}"
	masters = "{kind: Group, name: \"system:masters\"}"
)

// saSubject is a ServiceAccount subject.
func saSubject(ns, name string) string {
	return fmt.Sprintf("{kind: ServiceAccount, name: %s, namespace: %s}", name, ns)
}

// TestChecksOnManifests runs every RBAC check, through the audit engine,
// on the manifests the CLI tests and the README use: what rampart scan
// reports on them, with file and line.
func TestChecksOnManifests(t *testing.T) {
	inv := inventory.LoadFiles([]string{"../cli/testdata/rbac-risk/cluster.yaml"}, inventory.LoadOptions{})
	if len(inv.Notes) > 0 {
		t.Fatalf("notes: %+v", inv.Notes)
	}
	var got []string
	for _, f := range audit.RunChecks(inv, nil, Checks()).Findings {
		got = append(got, fmt.Sprintf("%s %s %s:%d", f.Check, f.Severity, filepath.Base(f.Place.File), f.Place.Line))
	}
	want := []string{
		"cluster-admin-binding high cluster.yaml:41",
		"rbac-create-pods high cluster.yaml:55",
		"rbac-escalation-path critical cluster.yaml:55",
		"rbac-read-secrets critical cluster.yaml:68",
		"rbac-read-secrets high cluster.yaml:75",
		"rbac-binding-missing-service-account medium cluster.yaml:76",
		"rbac-read-secrets high cluster.yaml:76",
		"rbac-unused-role info cluster.yaml:91",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n got  %q\n want %q", got, want)
	}
}
