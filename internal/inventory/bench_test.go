package inventory

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/corpus"
)

// BenchmarkLoad measures LoadFiles — read, decode, typed conversion — on
// generated corpora of 1k, 10k and 100k workload objects (10 per file),
// with the fast decoder (and yaml.v3 for what it does not handle), and with
// yaml.v3 alone as the reference. Record figures in docs/benchmarks.md.
func BenchmarkLoad(b *testing.B) {
	for _, objects := range []int{1_000, 10_000, 100_000} {
		dir := b.TempDir()
		size, err := corpus.Write(dir, objects/10, objects)
		if err != nil {
			b.Fatal(err)
		}
		for _, dec := range []string{"fast", "yaml"} {
			b.Run(fmt.Sprintf("objects=%d/decoder=%s", objects, dec), func(b *testing.B) {
				defer setDecoder(dec)()
				b.SetBytes(size)
				b.ReportAllocs()
				for b.Loop() {
					inv := LoadFiles([]string{dir}, LoadOptions{})
					if len(inv.Objects) != objects || len(inv.Notes) != 0 {
						b.Fatalf("loaded %d objects, want %d (notes %v)", len(inv.Objects), objects, inv.Notes)
					}
				}
			})
		}
	}
}

// setDecoder makes LoadFiles use the named decoder and returns a function
// that restores the previous one.
func setDecoder(name string) func() {
	prev := newFileDecoder
	if name == "yaml" {
		newFileDecoder = func() decoder { return yamlDecoder{} }
	}
	return func() { newFileDecoder = prev }
}

// TestLoadDir loads the directory named by RAMPART_LOAD_DIR once, with the
// decoder named by RAMPART_LOAD_DECODER (fast, the default, or yaml), and
// logs the time and the heap, so that the peak RSS of loading alone can be
// measured:
//
//	go test -c -o /tmp/inventory.test ./internal/inventory
//	RAMPART_LOAD_DIR=/tmp/c10k /usr/bin/time -v /tmp/inventory.test -test.run TestLoadDir -test.v
func TestLoadDir(t *testing.T) {
	dir := os.Getenv("RAMPART_LOAD_DIR")
	if dir == "" {
		t.Skip("set RAMPART_LOAD_DIR to a corpus directory")
	}
	if name := os.Getenv("RAMPART_LOAD_DECODER"); name != "" {
		defer setDecoder(name)()
	}
	start := time.Now()
	inv := LoadFiles([]string{dir}, LoadOptions{})
	elapsed := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapPeak := ms.HeapSys
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("%d objects, %d notes in %v; live heap after load %d MB, heap obtained from the OS %d MB",
		len(inv.Objects), len(inv.Notes), elapsed.Round(time.Millisecond), ms.HeapAlloc>>20, heapPeak>>20)
	runtime.KeepAlive(inv)
}
