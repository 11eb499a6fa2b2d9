package cli

import (
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/corpus"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/measure"
	"github.com/rampart-dev/rampart/internal/policy"
	"github.com/rampart-dev/rampart/internal/report"
)

// BenchmarkScan measures the whole scan as the scan command runs it — load,
// every check, JSON output —
// on generated corpora of 1k, 10k and 100k workload objects (10 per file).
// Record figures in docs/benchmarks.md. peak-heap-MiB is the most heap
// memory (objects, live or not yet swept) seen during one scan, which
// starts from a collected heap. cpu-s/op is the CPU time of a scan on all
// cores, which a shared machine disturbs less than the wall time.
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
			runtime.GC()
			b.ResetTimer()
			var peak uint64
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				// Start each scan from an empty heap, as a process does.
				b.StopTimer()
				runtime.GC()
				b.StartTimer()
				start := measure.CPU()
				peak = max(peak, measure.PeakHeap(func() {
					rep := scanFiles([]string{dir}, inventory.LoadOptions{}, policy.Default())
					if rep.Objects != objects {
						b.Fatalf("loaded %d objects, want %d (notes %v)", rep.Objects, objects, rep.Notes)
					}
					if err := report.Render(io.Discard, "json", rep, report.Options{}); err != nil {
						b.Fatal(err)
					}
				}))
				cpu += measure.CPU() - start
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
