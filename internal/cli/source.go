package cli

import (
	"fmt"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/spf13/cobra"
)

// sourceFlags choose where an analyzer command (who-can, netpol reach,
// placement ...) reads objects from: manifest files given as PATH
// arguments, a snapshot (--snapshot), or else the live cluster of the
// kubeconfig. It reads the whole cluster: -n and -A are left to the
// command, which gives them the meaning its question needs.
type sourceFlags struct {
	cluster  clusterFlags
	snapshot string
}

func (f *sourceFlags) add(cmd *cobra.Command) {
	f.cluster.addConnection(cmd)
	cmd.Flags().StringVar(&f.snapshot, "snapshot", "", "read this snapshot file (from rampart snapshot) instead of a live cluster")
}

// load reads the inventory. Input errors in files are printed on stderr,
// one per line, and the objects of every other file are kept; the caller
// decides (with inv.Notes) whether they make the run fail.
func (f *sourceFlags) load(cmd *cobra.Command, s streams, paths []string) (*inventory.Inventory, error) {
	live := cmd.Flags().Changed("kubeconfig") || cmd.Flags().Changed("context")
	switch {
	case len(paths) > 0 && (f.snapshot != "" || live):
		return nil, usageError("read either PATH arguments, --snapshot or a cluster (--kubeconfig, --context), not several")
	case f.snapshot != "" && live:
		return nil, usageError("--snapshot reads no cluster: drop --kubeconfig and --context")
	case len(paths) > 0:
		inv := inventory.LoadFiles(paths, inventory.LoadOptions{Stdin: s.in})
		for _, n := range inv.Notes {
			if n.Level == finding.NoteError {
				fmt.Fprintf(s.err, "rampart: %s\n", noteText(n))
			}
		}
		return inv, nil
	case f.snapshot != "":
		inv, err := inventory.LoadSnapshot(f.snapshot, inventory.DefaultLimits)
		if err != nil {
			return nil, &exitError{code: ExitError, err: err}
		}
		return inv, nil
	default:
		return f.cluster.load(s)
	}
}

// inputErrors reports whether inv holds input errors (which make a command
// exit 2 once it has printed what it could).
func inputErrors(inv *inventory.Inventory) bool {
	for _, n := range inv.Notes {
		if n.Level == finding.NoteError {
			return true
		}
	}
	return false
}

func noteText(n finding.Note) string {
	switch {
	case n.File != "" && n.Line > 0:
		return fmt.Sprintf("%s:%d: %s", n.File, n.Line, n.Message)
	case n.File != "":
		return fmt.Sprintf("%s: %s", n.File, n.Message)
	}
	return n.Message
}
