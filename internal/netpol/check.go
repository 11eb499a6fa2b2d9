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
