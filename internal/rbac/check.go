// Package rbac analyses Kubernetes RBAC exactly as the API server's RBAC
// authorizer decides it: who can do what, what a subject can do, risky
// grants and privilege-escalation paths.
package rbac

import "github.com/rampart-dev/rampart/internal/audit"

var registry audit.Registry

// Checks returns the RBAC checks, sorted by ID.
func Checks() []*audit.Check { return registry.Checks() }
