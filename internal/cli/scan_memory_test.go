package cli

import (
	"runtime"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
)

// TestScanKeepsNoInventory: once Scan returns, nothing holds the
// inventory or its objects, so a report is written with the objects'
// memory free. The examples run every analyzer (RBAC, NetworkPolicy,
// placement, secrets); an analyzer that caches the last inventory in a
// package variable fails this.
func TestScanKeepsNoInventory(t *testing.T) {
	pol, err := policy.Load("../../examples/rampart.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	freed := make(chan string, 2)
	func() {
		inv := inventory.LoadFiles([]string{"../../examples"}, inventory.LoadOptions{})
		if len(inv.Objects) < 20 {
			t.Fatalf("loaded %d objects from the examples", len(inv.Objects))
		}
		runtime.AddCleanup(inv, func(s string) { freed <- s }, "inventory")
		runtime.AddCleanup(inv.Objects[len(inv.Objects)/2], func(s string) { freed <- s }, "an object")
		if rep := Scan(inv, pol); len(rep.Findings) == 0 {
			t.Fatal("the examples found nothing")
		}
	}()
	got := map[string]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		runtime.GC()
		select {
		case s := <-freed:
			got[s] = true
		case <-time.After(20 * time.Millisecond):
		}
	}
	for _, s := range []string{"inventory", "an object"} {
		if !got[s] {
			t.Errorf("%s is still held after Scan returned", s)
		}
	}
}
