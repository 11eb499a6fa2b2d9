// Package rbac analyses Kubernetes RBAC exactly as the API server's RBAC
// authorizer decides it: who can do what, what a subject can do, risky
// grants and privilege-escalation paths.
package rbac

import (
	"fmt"
	"sync"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

var registry audit.Registry

// Checks returns the RBAC checks, sorted by ID.
func Checks() []*audit.Check { return registry.Checks() }

// rbacNeeds are the resources every RBAC check reads.
var rbacNeeds = []string{
	"roles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io",
	"clusterroles.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io",
}

// withNeeds returns rbacNeeds followed by more resources.
func withNeeds(more ...string) []string {
	return append(append([]string(nil), rbacNeeds...), more...)
}

// analysis is what the RBAC checks of one inventory share: the index and
// each analysis computed at most once, however many checks ask for it.
// The audit engine runs checks in parallel, so each part is guarded by
// its own sync.Once and parts that do not depend on each other run side
// by side.
type analysis struct {
	inv *inventory.Inventory

	ixOnce sync.Once
	ix     *Index

	riskOnce sync.Once
	risks    map[string][]finding.Finding

	escOnce sync.Once
	esc     []finding.Finding

	hygOnce sync.Once
	hygiene map[string][]finding.Finding
}

// analysisKey is the key of the analysis in the audit run's shared values.
type analysisKey struct{}

// analysisOf returns the analysis of inv that every RBAC check of one
// audit run shares.
func analysisOf(inv *inventory.Inventory, cfg *audit.Config) *analysis {
	return cfg.Shared(analysisKey{}, func() any { return &analysis{inv: inv} }).(*analysis)
}

// index returns the RBAC index of the inventory.
func (a *analysis) index() *Index {
	a.ixOnce.Do(func() { a.ix = Build(a.inv) })
	return a.ix
}

// reportAt makes a finding about o at path; the engine fills in the
// check's metadata.
func reportAt(o *inventory.Object, path inventory.FieldPath, sev finding.Severity, format string, args ...any) finding.Finding {
	f := finding.Finding{Severity: sev, Message: fmt.Sprintf(format, args...)}
	if o != nil {
		f.Object, f.Place = o.Ref(), o.Place(path)
	}
	return f
}

// subjectPath is the field path of a binding's i-th subject.
func subjectPath(i int) inventory.FieldPath { return inventory.FieldPath("subjects").Index(i) }
