//go:build unix

package measure

import (
	"testing"
	"time"
)

// CPU grows by about the time a busy loop runs, and not while sleeping.
func TestCPU(t *testing.T) {
	start := CPU()
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
	}
	busy := CPU() - start
	if busy < 20*time.Millisecond {
		t.Errorf("CPU grew by %v over a 50 ms busy loop", busy)
	}
	start = CPU()
	time.Sleep(50 * time.Millisecond)
	if idle := CPU() - start; idle > 20*time.Millisecond {
		t.Errorf("CPU grew by %v over a 50 ms sleep", idle)
	}
}
