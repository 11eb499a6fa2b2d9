package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/report"
	"github.com/rampart-dev/rampart/internal/secrets"
	"github.com/spf13/cobra"
)

func init() { analyzerCommands = append(analyzerCommands, newSecretsCmd) }

// saltEnv names the environment variable holding the fingerprint salt.
const saltEnv = "RAMPART_SECRETS_SALT"

type secretsOptions struct {
	git           bool
	baseline      string
	writeBaseline string
	output        string
	failOn        string
	noColor       bool
	baseDir       string
	maxFile       int64
	noManifests   bool
}

func newSecretsCmd(s streams) *cobra.Command {
	o := secretsOptions{}
	cmd := &cobra.Command{
		Use:   "secrets PATH...",
		Short: "Find hard-coded secrets in files, git history, Helm charts and container images",
		Long: `Secrets finds API keys, tokens, private keys and passwords committed where they
should not be, with the gitleaks rule catalog (some 220 vendor token formats
plus an entropy rule for generic secrets) and Rampart's own rules.

PATH may be a directory (walked recursively; .git and node_modules are
skipped), a file, a packaged Helm chart (.tgz: every file inside), any tar or
gzipped tar, or a container image saved with 'docker save' or as an OCI layout
tarball: every layer is scanned, so a secret deleted in a later layer is
still reported, with the layer that holds it and the layer that hides it.
Binary files and files over --max-file-size are skipped.

With --git, each PATH must be a git repository: every commit reachable from
HEAD is scanned instead of the working tree (the lines each commit added), so
a secret added and later removed is found, with its commit and author date.

Kubernetes manifests among the files are also checked as rampart scan checks
them: Secrets committed with data, credentials in ConfigMaps and annotations
(--no-manifests turns this off). Helm values files (values*.yaml) are checked
for literal passwords under credential-named keys.

Output never contains a secret: each finding shows a redacted preview (a few
leading characters and the length) and a fingerprint, an HMAC-SHA256 of the
rule, the file path and the secret, keyed with $RAMPART_SECRETS_SALT when set
(keep it as a CI secret so nobody can test guesses against a fingerprint) or
with a built-in salt.

Less noise: lock files are not scanned; generic (entropy) findings are dropped
in test fixtures and minified bundles; findings in test fixtures (testdata/,
fixtures/, test/, *_test.go, *.spec.ts …) are low severity; base64-encoded
images are ignored; examples and placeholders (EXAMPLE, changeme, ${VAR},
{{ .Values.x }}) are not secrets. A comment rampart:allow-secret (or
gitleaks:allow) on the line or the line above accepts a finding; it is
reported as exempted.

A baseline accepts known findings so CI fails only on new ones: write it with
--write-baseline FILE, commit it, and pass --baseline FILE; findings in it are
reported as exempted.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it;
2 usage or input error (an unreadable file or bad archive is reported and
everything else is still scanned).`,
		Example: `  # Scan the working tree
  rampart secrets .

  # Scan every commit of the repository's history
  rampart secrets --git .

  # Scan a packaged chart and a saved image
  rampart secrets mychart-1.2.0.tgz
  docker save myapp:1.0 -o myapp.tar && rampart secrets myapp.tar

  # Accept today's findings, then fail CI only on new ones (SARIF for code scanning)
  rampart secrets --write-baseline .rampart-secrets.json .
  rampart secrets --baseline .rampart-secrets.json -o sarif . > secrets.sarif`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecrets(cmd.Context(), s, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.git, "git", false, "scan the git history of each PATH (every commit reachable from HEAD) instead of its files")
	f.StringVar(&o.baseline, "baseline", "", "accept the findings whose fingerprints are in this baseline file")
	f.StringVar(&o.writeBaseline, "write-baseline", "", "write every current finding to this baseline file (then they are accepted)")
	f.StringVarP(&o.output, "output", "o", "text", "output format: "+strings.Join(report.Formats, ", "))
	f.StringVar(&o.failOn, "fail-on", "low", "exit 1 when a finding has at least this severity: info, low, medium, high, critical")
	f.BoolVar(&o.noColor, "no-color", false, "never colour the text output")
	f.StringVar(&o.baseDir, "base-dir", "", "make file paths in the output and fingerprints relative to this directory (default: the working directory)")
	f.Int64Var(&o.maxFile, "max-file-size", secrets.DefaultLimits.MaxFileBytes, "skip files (and archive members) larger than this many bytes")
	f.BoolVar(&o.noManifests, "no-manifests", false, "do not run the Kubernetes manifest checks on the files")
	return cmd
}

func runSecrets(ctx context.Context, s streams, o secretsOptions, paths []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	failOn, err := finding.ParseSeverity(o.failOn)
	if err != nil {
		return usageError("--fail-on: %w", err)
	}
	if !validFormat(o.output) {
		return usageError("--output: %w %q (want one of %s)", report.ErrUnknownFormat, o.output, strings.Join(report.Formats, ", "))
	}
	if o.maxFile <= 0 {
		return usageError("--max-file-size must be positive")
	}
	var base *secrets.Baseline
	if o.baseline != "" {
		if base, err = secrets.LoadBaseline(o.baseline); err != nil {
			return &exitError{code: ExitError, err: err}
		}
	}
	baseDir := o.baseDir
	if baseDir == "" {
		baseDir, _ = os.Getwd()
	}
	if abs, err := filepath.Abs(baseDir); err == nil {
		baseDir = abs
	}
	var salt []byte
	if v := os.Getenv(saltEnv); v != "" {
		salt = []byte(v)
	}
	sc, err := secrets.NewScanner(secrets.Options{Salt: salt})
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	lim := secrets.DefaultLimits
	lim.MaxFileBytes = o.maxFile
	opts := secrets.TreeOptions{Limits: lim, BaseDir: baseDir, Skip: []string{o.baseline, o.writeBaseline}}

	var res *secrets.Result
	if o.git {
		res, err = scanGitPaths(ctx, sc, paths, opts)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
	} else {
		res = sc.ScanPaths(ctx, paths, opts)
	}
	if base != nil {
		base.Apply(res.Findings)
	}
	if o.writeBaseline != "" {
		nb := secrets.NewBaseline(res.Findings)
		if err := writeBaselineFile(o.writeBaseline, nb); err != nil {
			return &exitError{code: ExitError, err: err}
		}
		nb.Apply(res.Findings)
	}
	rep := secrets.Report(res)
	rep.Version = Version
	if !o.git && !o.noManifests {
		addManifestFindings(rep, paths, lim)
	}
	opts2 := report.Options{BaseDir: baseDir, Color: useColor(s, o.output, o.noColor), ToolVersion: Version}
	if err := report.Render(s.out, o.output, rep, opts2); err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("write report: %w", err)}
	}
	return findingsExit(rep.HasErrors(), rep.Findings, failOn)
}

// scanGitPaths scans the history of each repository.
func scanGitPaths(ctx context.Context, sc *secrets.Scanner, paths []string, opts secrets.TreeOptions) (*secrets.Result, error) {
	all := &secrets.Result{}
	for _, p := range paths {
		r, err := sc.ScanGit(ctx, p, opts)
		if errors.Is(err, secrets.ErrNoGit) {
			return nil, err
		}
		if err != nil {
			all.Notes = append(all.Notes, finding.Note{Level: finding.NoteError, File: p, Message: err.Error()})
			continue
		}
		all.Findings = append(all.Findings, r.Findings...)
		all.Notes = append(all.Notes, r.Notes...)
		all.Files += r.Files
		all.Bytes += r.Bytes
		all.Commits += r.Commits
	}
	return all, nil
}

// addManifestFindings runs the Kubernetes secret checks on the manifests
// among paths. Files that are not manifests are no error here: the secret
// scan has read every file already, so the loader's notes are dropped.
func addManifestFindings(rep *finding.Report, paths []string, lim secrets.Limits) {
	il := inventory.DefaultLimits
	il.MaxFileBytes = lim.MaxFileBytes
	var files []string
	for _, p := range paths {
		if p != "-" {
			files = append(files, p)
		}
	}
	inv := inventory.LoadFiles(files, inventory.LoadOptions{Limits: il})
	if len(inv.Objects) == 0 {
		return
	}
	checks := secrets.Checks()
	for _, c := range checks {
		rep.Rules = append(rep.Rules, c.Rule())
	}
	res := audit.RunChecks(inv, &audit.Config{}, checks)
	// A value the manifest checks report is not reported again by the
	// generic file rules, which only see "key: value" text.
	at := map[string]bool{}
	for _, f := range res.Findings {
		at[filepath.Clean(f.Place.File)+":"+strconv.Itoa(f.Place.Line)] = true
	}
	kept := rep.Findings[:0]
	for _, f := range rep.Findings {
		generic := f.Check == secrets.CheckID("generic-api-key") || f.Check == secrets.CheckID("helm-values-credential")
		if !generic || !at[filepath.Clean(f.Place.File)+":"+strconv.Itoa(f.Place.Line)] {
			kept = append(kept, f)
		}
	}
	rep.Findings = append(kept, res.Findings...)
	rep.Objects = len(inv.Objects)
	finding.Sort(rep.Findings)
}

// writeBaselineFile writes the baseline atomically: a crash leaves the old
// file, never half a new one.
func writeBaselineFile(file string, b *secrets.Baseline) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".rampart-baseline-*")
	if err != nil {
		return fmt.Errorf("write baseline: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := b.Write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write baseline %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write baseline %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("write baseline: %w", err)
	}
	return nil
}
