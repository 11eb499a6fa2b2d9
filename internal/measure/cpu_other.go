//go:build !unix

// Package measure holds what the benchmarks measure besides wall time.
package measure

import "time"

// CPU is not measured on this platform: it returns 0.
func CPU() time.Duration { return 0 }
