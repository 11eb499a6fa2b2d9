package audit

import (
	"fmt"
	"github.com/rampart-dev/rampart/internal/checktest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// testNow is the collection time of every test inventory.
var testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func TestRegistryIsValid(t *testing.T) {
	if err := Validate(Checks()); err != nil {
		t.Fatal(err)
	}
}

func TestEverySectionHasChecks(t *testing.T) {
	count := map[string]int{}
	for _, c := range Checks() {
		count[c.Section]++
	}
	for _, s := range sectionOrder {
		if count[s] == 0 {
			t.Errorf("section %s has no audit check", s)
		}
	}
}

func TestValidateRejectsBadMetadata(t *testing.T) {
	good := *Lookup(Checks(), "secret-age")
	tests := map[string]func(c *Check){
		"bad id":              func(c *Check) { c.ID = "Bad_ID" },
		"no title":            func(c *Check) { c.Title = "" },
		"no description":      func(c *Check) { c.Description = "" },
		"no full stop":        func(c *Check) { c.Remediation = "fix it" },
		"description stop":    func(c *Check) { c.Description = "no stop" },
		"no controls":         func(c *Check) { c.Controls = nil },
		"only CIS":            func(c *Check) { c.Controls = []string{"CIS-K8S:5.1.1"} },
		"malformed control":   func(c *Check) { c.Controls = append([]string{"NIST:1"}, c.Controls...) },
		"no section":          func(c *Check) { c.Section = "" },
		"unknown section":     func(c *Check) { c.Section = "4.4" },
		"section disagrees":   func(c *Check) { c.Section = "4.3.5" },
		"no needs":            func(c *Check) { c.Needs = nil },
		"malformed resource":  func(c *Check) { c.Needs = []string{"Secrets"} },
		"bad severity":        func(c *Check) { c.Severity = finding.Critical + 1 },
		"no run":              func(c *Check) { c.Run = nil },
		"run and assess":      func(c *Check) { c.Assess = func(*inventory.Inventory, *Config) Assessment { return Assessment{} } },
		"section from 4.3.2x": func(c *Check) { c.Controls = []string{"NIST-800-190:4.3.25"} },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			c := good
			mutate(&c)
			if err := Validate([]*Check{&c}); err == nil {
				t.Fatal("Validate accepted a bad check")
			}
		})
	}
	dup := good
	if err := Validate([]*Check{&good, &dup}); err == nil {
		t.Fatal("Validate accepted a duplicate ID")
	}
}

func TestLookup(t *testing.T) {
	if c := Lookup(Checks(), "secret-age"); c == nil || c.ID != "secret-age" {
		t.Fatalf("Lookup(secret-age) = %v", c)
	}
	if c := Lookup(Checks(), "no-such-check"); c != nil {
		t.Fatalf("Lookup(no-such-check) = %v, want nil", c)
	}
	cs := Checks()
	if !sort.SliceIsSorted(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID }) {
		t.Error("Checks() is not sorted by ID")
	}
}

// TestEveryCheckHasATest: every check must have a table test that names it.
func TestEveryCheckHasATest(t *testing.T) {
	ids := make([]string, 0, len(Checks()))
	for _, c := range Checks() {
		ids = append(ids, c.ID)
	}
	checktest.RequireTests(t, ids, `runCases(t, %q`)
}

// auditCase is one row of a check's table test.
type auditCase struct {
	name     string
	manifest string
	// cluster defaults to a v1.37.2 cluster collected at testNow.
	cluster *inventory.ClusterInfo
	config  *Config
	// want lists "ref path severity" for every expected finding, in
	// finding.Sort order, where ref is finding.ObjectRef.String().
	want []string
	// contains are substrings the findings' messages must hold.
	contains []string
}

// testInventory parses a manifest into an inventory of a cluster.
func testInventory(t *testing.T, manifest string, cluster *inventory.ClusterInfo) *inventory.Inventory {
	t.Helper()
	objs, notes := inventory.ParseBytes("test.yaml", []byte(strings.TrimLeft(manifest, "\n")), inventory.Limits{})
	for _, n := range notes {
		t.Fatalf("fixture does not parse: %+v", n)
	}
	if cluster == nil {
		cluster = &inventory.ClusterInfo{Server: "https://127.0.0.1:6443", Version: "v1.37.2", CollectedAt: testNow}
	}
	return &inventory.Inventory{Objects: objs, Cluster: cluster}
}

// runCases runs one check, alone, over a table of manifests.
func runCases(t *testing.T, id string, cases []auditCase) {
	t.Helper()
	c := Lookup(Checks(), id)
	if c == nil {
		t.Fatalf("no check %q", id)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := testInventory(t, tc.manifest, tc.cluster)
			fs, _ := runCheck(c, inv, tc.config.withDefaults(inv))
			finding.Sort(fs)
			var got, msgs []string
			for _, f := range fs {
				if f.Message == "" {
					t.Errorf("finding on %s has no message", f.Object)
				}
				if f.Severity > c.Severity {
					t.Errorf("finding on %s is %s, above the check's %s", f.Object, f.Severity, c.Severity)
				}
				if f.Object.Name == "" || f.Object.Kind == "" {
					t.Errorf("finding names no object: %+v", f.Object)
				}
				if f.Check != id || f.Title == "" || f.Remediation == "" || len(f.Controls) == 0 {
					t.Errorf("finding lacks check metadata: %+v", f)
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

func TestConfigDefaults(t *testing.T) {
	inv := &inventory.Inventory{Cluster: &inventory.ClusterInfo{CollectedAt: testNow}}
	c := (*Config)(nil).withDefaults(inv)
	if !c.Now.Equal(testNow) || c.MaxSecretAge != 365*24*time.Hour || c.MaxTokenAge != 90*24*time.Hour {
		t.Errorf("defaults = %+v", c)
	}
	if strings.Join(c.SystemNamespaces, ",") != "kube-system,kube-public,kube-node-lease" {
		t.Errorf("system namespaces = %v", c.SystemNamespaces)
	}
	set := &Config{Now: testNow.Add(time.Hour), MaxSecretAge: time.Hour, MaxTokenAge: 2 * time.Hour, SystemNamespaces: []string{}}
	c = set.withDefaults(inv)
	if !c.Now.Equal(testNow.Add(time.Hour)) || c.MaxSecretAge != time.Hour || c.MaxTokenAge != 2*time.Hour || len(c.SystemNamespaces) != 0 {
		t.Errorf("explicit config was changed: %+v", c)
	}
	if c := (*Config)(nil).withDefaults(&inventory.Inventory{}); time.Since(c.Now) > time.Minute {
		t.Errorf("Now without a collection time = %v, want the current time", c.Now)
	}
}
