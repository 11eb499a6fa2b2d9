//go:build unix

// Package measure holds what the benchmarks measure besides wall time.
package measure

import (
	"syscall"
	"time"
)

// CPU returns the CPU time (user and system) the process has used so far.
// Benchmarks report it besides the wall time, which on a shared machine
// measures the neighbours as much as the code.
func CPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
