// Package netpol implements NetworkPolicy semantics: which workloads can
// reach which, why, segmentation checks, and policies learned from flows.
package netpol

import (
	"sync"
	"weak"

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

// checkModel holds the model of the inventory the checks last ran on: the
// engine runs the checks in parallel on one inventory, and each compiling
// it again cost more than all of them together. The model is indexed
// before it is shared, and nothing changes it after that, so the checks
// may read it at once.
var checkModel struct {
	sync.Mutex
	inv weak.Pointer[inventory.Inventory]
	n   int
	m   *model
}

// sharedModel returns the model of inv, building it once for all checks.
func sharedModel(inv *inventory.Inventory) *model {
	checkModel.Lock()
	defer checkModel.Unlock()
	key := weak.Make(inv)
	if checkModel.m != nil && checkModel.inv == key && checkModel.n == len(inv.Objects) {
		return checkModel.m
	}
	m := newModel(inv)
	m.indexRules()
	checkModel.inv, checkModel.n, checkModel.m = key, len(inv.Objects), m
	return m
}
