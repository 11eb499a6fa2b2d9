// Package placement checks that workloads of different sensitivity levels
// are pinned to their own node pools and do not mix on one node.
package placement

import "github.com/rampart-dev/rampart/internal/audit"

var registry audit.Registry

// Checks returns the placement checks, sorted by ID.
func Checks() []*audit.Check { return registry.Checks() }
