// Package netpol implements NetworkPolicy semantics: which workloads can
// reach which, why, segmentation checks, and policies learned from flows.
package netpol

import (
	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
	networkingv1 "k8s.io/api/networking/v1"
)

var registry audit.Registry

// Checks returns the network segmentation checks, sorted by ID.
func Checks() []*audit.Check { return registry.Checks() }

// hasNetworkPolicy reports whether inv holds a NetworkPolicy. The checks
// that judge what policies do have nothing to say without one, and skip
// compiling the whole inventory (a manifest repository often has none).
func hasNetworkPolicy(inv *inventory.Inventory) bool {
	for _, o := range inv.Objects {
		if _, ok := o.Typed.(*networkingv1.NetworkPolicy); ok {
			return true
		}
	}
	return false
}

// modelKey is the key of the model in the audit run's shared values.
type modelKey struct{}

// sharedModel returns the model of inv, built once for all the checks of
// one audit run: the engine runs them in parallel, and each compiling it
// again cost more than all of them together. The model is indexed before
// it is shared, and nothing changes it after that, so the checks may read
// it at once.
func sharedModel(inv *inventory.Inventory, cfg *audit.Config) *model {
	return cfg.Shared(modelKey{}, func() any {
		m := newModel(inv)
		m.indexRules()
		return m
	}).(*model)
}
