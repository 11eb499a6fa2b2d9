package catalog

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/checks.md")

const docFile = "../../docs/checks.md"

// TestCatalogIsCurrent fails when docs/checks.md differs from the registry.
func TestCatalogIsCurrent(t *testing.T) {
	got := Markdown(Entries())
	if *update {
		if err := os.WriteFile(docFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(docFile)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/catalog -update)", err)
	}
	if string(want) != got {
		t.Fatal("docs/checks.md is stale: run go test ./internal/catalog -update")
	}
}

// TestIDsAreUniqueAcrossRegistries: policies and annotations name checks
// by ID alone, so scan and audit checks must not share one.
func TestIDsAreUniqueAcrossRegistries(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Entries() {
		if seen[e.ID] {
			t.Errorf("check ID %q is registered twice", e.ID)
		}
		seen[e.ID] = true
	}
}
