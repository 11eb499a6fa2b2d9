package netpol

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/rampart-dev/rampart/internal/measure"
)

// BenchmarkReach computes the full answer for 200 namespaces of 25
// workloads (5,000 workloads) with about 2,000 policies, and for smaller
// and larger corpora of the same shape, to show how it grows: "open" has
// one namespace in ten without any policy (its 500 workloads reach and are
// reached from most others, so the answer itself grows with the square of
// the size), "isolated" has a default deny everywhere.
func BenchmarkReach(b *testing.B) {
	type size struct {
		name            string
		ns, wl, pol, op int
	}
	sizes := []size{
		{"open", 50, 25, 11, 10}, {"open", 100, 25, 11, 10}, {"open", 200, 25, 11, 10}, {"open", 400, 25, 11, 10},
		{"isolated", 50, 25, 10, 0}, {"isolated", 100, 25, 10, 0}, {"isolated", 200, 25, 10, 0}, {"isolated", 400, 25, 10, 0},
	}
	for _, size := range sizes {
		inv := realisticCorpus(size.ns, size.wl, size.pol, size.op)
		b.Run(fmt.Sprintf("%s/workloads=%d/policies=%d", size.name, size.ns*size.wl, len(inv.ByKind("NetworkPolicy"))), func(b *testing.B) {
			b.ReportAllocs()
			var edges, conns int
			var peak uint64
			cpu0 := measure.CPU()
			for b.Loop() {
				runtime.GC()
				peak = max(peak, measure.PeakHeap(func() {
					a := Reach(inv, Options{})
					edges = len(a.Edges)
					conns = 0
					for _, e := range a.Edges {
						conns += len(a.Classes[e.From].Members) * len(a.Classes[e.To].Members)
					}
				}))
			}
			b.ReportMetric(float64(edges), "edges")
			b.ReportMetric(float64(conns), "pairs")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric((measure.CPU()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
