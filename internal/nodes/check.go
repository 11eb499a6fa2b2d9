// Package nodes checks the configuration of control-plane components and
// kubelets against the CIS Kubernetes Benchmark.
package nodes

import "github.com/rampart-dev/rampart/internal/audit"

var registry audit.Registry

// Checks returns the node configuration checks that run on an inventory,
// sorted by ID.
func Checks() []*audit.Check { return registry.Checks() }
