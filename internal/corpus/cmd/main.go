// Command cmd writes a benchmark corpus to a directory, so that a real
// `rampart scan` can be measured on it:
//
//	go run ./internal/corpus/cmd -objects 10000 /tmp/corpus-10k
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rampart-dev/rampart/internal/corpus"
)

func main() {
	objects := flag.Int("objects", 10_000, "workload objects to write")
	perFile := flag.Int("per-file", 10, "objects per file")
	flag.Parse()
	if flag.NArg() != 1 || *objects < 1 || *perFile < 1 {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/corpus/cmd [-objects N] [-per-file N] DIR")
		os.Exit(2)
	}
	files := max(*objects / *perFile, 1)
	size, err := corpus.Write(flag.Arg(0), files, *objects)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d objects in %d files, %d bytes, to %s\n", *objects, files, size, flag.Arg(0))
}
