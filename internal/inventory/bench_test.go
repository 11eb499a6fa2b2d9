package inventory

import (
	"fmt"
	"testing"

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
