// Package workload holds the hardening checks run on Kubernetes objects,
// chiefly on pod specs, and the engine that runs them.
package workload

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// Check is one rule: metadata plus one function. Everything about a check
// is declared here, once; docs/checks.md is generated from these values.
type Check struct {
	// ID is stable and kebab-case; users write it in policies and annotations.
	ID          string
	Title       string
	Description string
	Severity    finding.Severity
	Remediation string
	// Controls map the check to NIST-800-190, CIS-K8S and PSS references.
	Controls []string
	// OptIn checks run only when the policy enables them.
	OptIn bool
	Run   func(t *Target) []Result
}

// Config is what checks read from the policy.
type Config struct {
	TrustedRegistries []string
}

// Target is what a check looks at: one object, its pod when it has one,
// and the policy's settings.
type Target struct {
	Object *inventory.Object
	// Pod is nil for objects that run no pod.
	Pod    *inventory.Pod
	Config *Config
}

// Result is one problem a check found. Path is relative to the object and
// says where to point; it may name a field that is absent, in which case
// the nearest present ancestor is shown.
type Result struct {
	Path      inventory.FieldPath
	Container string
	Message   string
}

var registry []*Check

// register adds checks to the registry; called from init in each theme file.
func register(cs ...*Check) { registry = append(registry, cs...) }

// Checks returns every registered check, sorted by ID.
func Checks() []*Check {
	out := append([]*Check(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup returns the check with this ID, or nil.
func Lookup(id string) *Check {
	for _, c := range registry {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// KnownIDs returns the set of check IDs, for policy validation.
func KnownIDs() map[string]bool {
	m := make(map[string]bool, len(registry))
	for _, c := range registry {
		m[c.ID] = true
	}
	return m
}

// Validate reports every metadata problem in a set of checks; the registry
// test calls it so that a bad check fails a test, never a user.
func Validate(cs []*Check) error {
	rules := make([]finding.Rule, len(cs))
	for i, c := range cs {
		rules[i] = c.Rule()
	}
	errs := finding.RulesProblems(rules)
	for _, c := range cs {
		if c.Run == nil {
			errs = append(errs, fmt.Sprintf("%q: no Run function", c.ID))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("check registry: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Rule returns the check's metadata for outputs.
func (c *Check) Rule() finding.Rule {
	return finding.Rule{ID: c.ID, Title: c.Title, Description: c.Description, Severity: c.Severity, Remediation: c.Remediation, Controls: c.Controls}
}
