// Package netpol implements NetworkPolicy semantics: which workloads can
// reach which, why, segmentation checks, and policies learned from flows.
package netpol

import "github.com/rampart-dev/rampart/internal/audit"

var registry audit.Registry

// Checks returns the network segmentation checks, sorted by ID.
func Checks() []*audit.Check { return registry.Checks() }
