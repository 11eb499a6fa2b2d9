package audit

import (
	"sync"
	"testing"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// TestSharedIsPerRun: the checks of one run, running in parallel, get one
// value built once; the next run builds its own; outside a run nothing is
// shared.
func TestSharedIsPerRun(t *testing.T) {
	type key struct{}
	var mu sync.Mutex
	builds := 0
	var seen []*int
	probe := func(id string) *Check {
		return &Check{ID: id, Run: func(_ *inventory.Inventory, cfg *Config) []finding.Finding {
			v := cfg.Shared(key{}, func() any {
				mu.Lock()
				builds++
				mu.Unlock()
				return new(int)
			}).(*int)
			mu.Lock()
			seen = append(seen, v)
			mu.Unlock()
			return nil
		}}
	}
	checks := []*Check{probe("a"), probe("b"), probe("c"), probe("d")}
	inv := &inventory.Inventory{}
	RunChecks(inv, nil, checks)
	first := seen
	seen = nil
	RunChecks(inv, &Config{}, checks)
	if builds != 2 {
		t.Fatalf("built %d times in two runs, want 2", builds)
	}
	for _, run := range [][]*int{first, seen} {
		if len(run) != len(checks) {
			t.Fatalf("%d checks asked, want %d", len(run), len(checks))
		}
		for _, v := range run {
			if v != run[0] {
				t.Error("the checks of one run got different values")
			}
		}
	}
	if first[0] == seen[0] {
		t.Error("the second run got the first run's value")
	}
	var direct *Config
	if a, b := direct.Shared(key{}, func() any { return new(int) }), direct.Shared(key{}, func() any { return new(int) }); a == b {
		t.Error("a nil config shared a value")
	}
}
