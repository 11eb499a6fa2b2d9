package measure

import (
	"runtime"
	"testing"
	"time"
)

// PeakHeap sees memory that fn holds for longer than its sampling period.
func TestPeakHeap(t *testing.T) {
	runtime.GC()
	var keep [][]byte
	peak := PeakHeap(func() {
		for range 64 {
			keep = append(keep, make([]byte, 1<<20))
		}
		time.Sleep(20 * time.Millisecond)
	})
	runtime.KeepAlive(keep)
	if peak < 64<<20 {
		t.Errorf("peak %d MiB while 64 MiB were held for 20 ms", peak>>20)
	}
}
