package measure

import (
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// PeakHeap runs fn and returns the largest heap it saw in bytes (objects,
// live or not yet swept), sampled every millisecond through
// runtime/metrics, which does not stop the world. Collect first
// (runtime.GC) to measure from an empty heap.
func PeakHeap(fn func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	return peak.Load()
}
