// Package cli holds Rampart's commands: flags, wiring and exit codes. The
// analysis itself lives in the packages the commands call.
package cli

import (
	"errors"
	"fmt"
	"github.com/rampart-dev/rampart/internal/finding"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command.
const (
	ExitOK       = 0 // nothing at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitError    = 2 // usage or input error
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = "dev"

// analyzerCommands holds the constructors of the analyzers' commands
// (who-can, netpol, placement, nodes ...). Each command's file adds its
// own from init, so that those files stand side by side without one list
// every change has to touch.
var analyzerCommands []func(streams) *cobra.Command

// exitError carries an exit code up to Execute.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// streams are the command's input and outputs, so tests can run commands
// in-process.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// Execute runs the command line and returns the process exit code.
func Execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(streams{in: stdin, out: stdout, err: stderr})
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "rampart: %v\n", ee.err)
		}
		return ee.code
	}
	// Anything else is a usage error from cobra or flag parsing.
	fmt.Fprintf(stderr, "rampart: %v\n", err)
	if strings.Contains(err.Error(), "unknown command") || strings.Contains(err.Error(), "flag") {
		fmt.Fprintln(stderr, "Run 'rampart --help' for usage.")
	}
	return ExitError
}

func newRoot(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "rampart",
		Short: "Secure Kubernetes orchestration against NIST SP 800-190",
		Long: `Rampart checks Kubernetes manifests and clusters against the orchestrator risks of
NIST SP 800-190 (sections 3.3 and 4.3), the CIS Kubernetes Benchmark and the
Pod Security Standards, with one policy file (rampart.yaml).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.AddCommand(newScanCmd(s), newAuditCmd(s), newSnapshotCmd(s), newChecksCmd(s), newVersionCmd(s))
	for _, newCmd := range analyzerCommands {
		root.AddCommand(newCmd(s))
	}
	return root
}

func newVersionCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the rampart version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(s.out, "rampart %s\n", Version)
			return err
		},
	}
}

// isTerminal reports whether w is a terminal, for colour.
// useColor says whether output in format may be coloured: text, not
// refused with --no-color or NO_COLOR, and going to a terminal.
func useColor(s streams, format string, noColor bool) bool {
	return !noColor && format == "text" && isTerminal(s.out) && os.Getenv("NO_COLOR") == ""
}

// findingsExit is the exit of a run that wrote its report: ExitError when
// an input could not be read, ExitFindings when a finding reaches failOn.
func findingsExit(hasErrors bool, fs []finding.Finding, failOn finding.Severity) error {
	switch {
	case hasErrors:
		return &exitError{code: ExitError}
	case finding.AtOrAbove(fs, failOn):
		return &exitError{code: ExitFindings}
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func usageError(format string, a ...any) error {
	return &exitError{code: ExitError, err: fmt.Errorf(format, a...)}
}
