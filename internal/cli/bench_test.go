package cli

import (
	"fmt"
	"io"
	"testing"

	"github.com/rampart-dev/rampart/internal/corpus"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
	"github.com/rampart-dev/rampart/internal/report"
)

// BenchmarkScan measures the whole scan — load, every check, JSON output —
// on generated corpora of 1k, 10k and 100k workload objects (10 per file).
// Record figures in docs/benchmarks.md.
func BenchmarkScan(b *testing.B) {
	for _, objects := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("objects=%d", objects), func(b *testing.B) {
			dir := b.TempDir()
			size, err := corpus.Write(dir, objects/10, objects)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				inv := inventory.LoadFiles([]string{dir}, inventory.LoadOptions{})
				if len(inv.Objects) != objects {
					b.Fatalf("loaded %d objects, want %d (notes %v)", len(inv.Objects), objects, inv.Notes)
				}
				rep := Scan(inv, policy.Default())
				if err := report.Render(io.Discard, "json", rep, report.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
