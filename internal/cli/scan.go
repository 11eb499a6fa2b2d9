package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/catalog"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/nodes"
	"github.com/rampart-dev/rampart/internal/policy"
	"github.com/rampart-dev/rampart/internal/report"
	"github.com/rampart-dev/rampart/internal/workload"
	"github.com/spf13/cobra"
)

type scanOptions struct {
	output     string
	failOn     string
	policyFile string
	noColor    bool
	baseDir    string
	maxFile    int64
	helm       inventory.HelmOptions
}

// defaultPolicyFiles are looked for in the working directory when
// --policy is not given.
var defaultPolicyFiles = []string{"rampart.yaml", ".rampart.yaml"}

func newScanCmd(s streams) *cobra.Command {
	o := scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan PATH...",
		Short: "Check Kubernetes manifests for insecure workload settings",
		Long: `Scan checks Kubernetes manifests before they reach a cluster and reports every
insecure workload setting with the file and line to fix, the remediation, and
the NIST SP 800-190, CIS Kubernetes Benchmark and Pod Security Standards
controls it maps to.

PATH may be a file, a directory (searched recursively for .yaml, .yml and
.json files; hidden directories are skipped) or - for standard input.
Multi-document YAML, JSON and List kinds are read.

Helm charts (a directory with Chart.yaml, or a packaged .tgz) are rendered in
process as helm template would, with --values, --set, --release-name,
--namespace and --kube-version, and findings point at the template file.
Kustomizations (a directory with kustomization.yaml) are built in process as
kustomize build would, and findings point at the file each object came from,
with the overlay named. Neither needs the helm or kustomize binary.

The policy file (--policy, or rampart.yaml in the working directory) turns
checks on and off, overrides severities, sets trusted registries and the Pod
Security Standards level, and exempts objects. An object can also exempt
itself with the annotation rampart.dev/ignore: "check-id,check-id/container"
(and rampart.dev/ignore-reason). Exempted findings are still reported, marked
as exempted, and never fail the run.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it;
2 usage or input error (a file that cannot be read is reported and every other
file is still scanned).`,
		Example: `  # Scan a directory of manifests
  rampart scan deploy/

  # Fail CI only on high and critical findings, and upload SARIF
  rampart scan --fail-on high -o sarif deploy/ > rampart.sarif

  # Scan rendered manifests from standard input
  kustomize build overlays/prod | rampart scan -

  # Use a policy file
  rampart scan --policy rampart.yaml k8s/

  # Render a chart with production values, and a Kustomize overlay
  rampart scan -f values-prod.yaml --set image.tag=1.4.2 charts/web
  rampart scan overlays/prod`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(s, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "output format: "+strings.Join(report.Formats, ", "))
	f.StringVar(&o.failOn, "fail-on", "low", "exit 1 when a finding has at least this severity: info, low, medium, high, critical")
	f.StringVar(&o.policyFile, "policy", "", "policy file (default: rampart.yaml in the working directory, if present)")
	f.BoolVar(&o.noColor, "no-color", false, "never colour the text output")
	f.StringVar(&o.baseDir, "base-dir", "", "make file paths in the output relative to this directory (default: the working directory)")
	f.Int64Var(&o.maxFile, "max-file-size", inventory.DefaultLimits.MaxFileBytes, "refuse files larger than this many bytes")
	f.StringArrayVarP(&o.helm.ValueFiles, "values", "f", nil, "Helm values file for the charts scanned (repeatable; later files win)")
	f.StringArrayVar(&o.helm.Set, "set", nil, "Helm value key=value for the charts scanned (repeatable; wins over --values)")
	f.StringVar(&o.helm.ReleaseName, "release-name", "release-name", "Helm release name the charts are rendered with")
	f.StringVar(&o.helm.Namespace, "namespace", "default", "Helm release namespace the charts are rendered with")
	f.StringVar(&o.helm.KubeVersion, "kube-version", "", "Kubernetes version the charts see as .Capabilities.KubeVersion (default: Helm's)")
	return cmd
}

func runScan(s streams, o scanOptions, paths []string) error {
	failOn, err := finding.ParseSeverity(o.failOn)
	if err != nil {
		return usageError("--fail-on: %w", err)
	}
	if !validFormat(o.output) {
		return usageError("--output: %w %q (want one of %s)", report.ErrUnknownFormat, o.output, strings.Join(report.Formats, ", "))
	}
	pol, err := loadPolicy(o.policyFile)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	lim := inventory.DefaultLimits
	lim.MaxFileBytes = o.maxFile
	inv := inventory.LoadFiles(paths, inventory.LoadOptions{Limits: lim, Stdin: s.in, Helm: o.helm})

	rep := Scan(inv, pol)
	base := o.baseDir
	if base == "" {
		base, _ = os.Getwd()
	}
	opts := report.Options{BaseDir: base, Color: useColor(s, o.output, o.noColor), ToolVersion: Version}
	if err := report.Render(s.out, o.output, rep, opts); err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("write report: %w", err)}
	}
	return findingsExit(rep.HasErrors(), rep.Findings, failOn)
}

// Scan runs every analyzer that reads manifests (the workload checks and
// the cluster checks marked Scan) and assembles the report.
func Scan(inv *inventory.Inventory, pol *policy.Policy) *finding.Report {
	rep := workloadReport(inv, pol)
	var checks []*audit.Check
	for _, c := range catalog.ClusterChecks() {
		if c.Scan {
			checks = append(checks, c)
		}
	}
	addClusterFindings(rep, inv, pol, checks)
	return rep
}

// workloadReport runs the workload checks on every object of inv.
func workloadReport(inv *inventory.Inventory, pol *policy.Policy) *finding.Report {
	rep := &finding.Report{
		Tool:     "rampart",
		Version:  Version,
		Findings: workload.Run(inv.Objects, pol),
		Notes:    inv.Notes,
		Files:    inv.Files,
		Objects:  len(inv.Objects),
	}
	for _, c := range workload.Checks() {
		if pol.Enabled(c.ID, !c.OptIn) {
			r := c.Rule()
			r.Severity = pol.Severity(c.ID, c.Severity)
			rep.Rules = append(rep.Rules, r)
		}
	}
	rep.PodSecurity = podSecurity(inv.Objects, pol)
	return rep
}

// addClusterFindings runs the enabled checks among checks on the whole
// inventory and adds their rules and findings to rep, with the policy's
// severities and exemptions applied.
func addClusterFindings(rep *finding.Report, inv *inventory.Inventory, pol *policy.Policy, checks []*audit.Check) audit.Result {
	cfg := &audit.Config{
		MaxSecretAge:     time.Duration(pol.Audit.MaxSecretAge),
		MaxTokenAge:      time.Duration(pol.Audit.MaxTokenAge),
		SystemNamespaces: pol.Audit.SystemNamespaces,
		Sensitivity:      pol.Sensitivity,
	}
	var enabled []*audit.Check
	for _, c := range checks {
		if pol.Enabled(c.ID, true) {
			enabled = append(enabled, c)
			r := c.Rule()
			r.Severity = pol.Severity(c.ID, c.Severity)
			rep.Rules = append(rep.Rules, r)
		}
	}
	res := audit.RunChecks(inv, cfg, enabled)
	if len(res.Findings) == 0 {
		return res
	}
	subjects := make(map[finding.ObjectRef]*inventory.Object, len(inv.Objects))
	for _, o := range inv.Objects {
		subjects[o.Ref()] = o
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		if s, ok := pol.Checks.Severity[f.Check]; ok {
			f.Severity = s
		}
		subj := policy.Subject{Ref: f.Object}
		if o := subjects[f.Object]; o != nil {
			subj = policy.Subject{Ref: f.Object, Labels: o.Labels, Annotations: []map[string]string{o.Annotations}}
		}
		pol.Exempt(f, subj)
	}
	// Both lists are sorted; merging them is one pass where appending and
	// sorting again moved every finding many times.
	finding.Sort(res.Findings)
	finding.Sort(rep.Findings)
	rep.Findings = finding.MergeInto(rep.Findings, res.Findings)
	return res
}

// podSecurity computes each workload's Pod Security Standards level, on
// every CPU: the pod-security-admission library is a tenth of a scan.
func podSecurity(objs []*inventory.Object, pol *policy.Policy) map[string]finding.PodSecurity {
	levels := make([]string, len(objs))
	workers := max(1, runtime.GOMAXPROCS(0))
	per := (len(objs) + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < len(objs); start += per {
		wg.Add(1)
		go func(part []*inventory.Object, levels []string) {
			defer wg.Done()
			for i, o := range part {
				if p := inventory.PodOf(o); p != nil {
					// The version was validated with the policy, so an
					// error cannot happen here; an object without a level
					// is left out.
					levels[i], _, _ = workload.PodSecurityLevel(p, pol.PodSecurity.Version)
				}
			}
		}(objs[start:min(start+per, len(objs))], levels[start:min(start+per, len(objs))])
	}
	wg.Wait()
	out := map[string]finding.PodSecurity{}
	for i, o := range objs {
		if levels[i] == "" {
			continue
		}
		ref := o.Ref()
		out[ref.String()] = finding.PodSecurity{Object: ref, Version: pol.PodSecurity.Version, Level: levels[i]}
	}
	return out
}

func validFormat(f string) bool {
	for _, x := range report.Formats {
		if x == f {
			return true
		}
	}
	return false
}

// loadPolicy reads the named policy file, or the default one in the
// working directory when present, or returns the default policy.
func loadPolicy(file string) (*policy.Policy, error) {
	known := workload.KnownIDs()
	for _, c := range catalog.ClusterChecks() {
		known[c.ID] = true
	}
	for _, c := range nodes.ConfigChecks() {
		known[c.ID] = true
	}
	if file != "" {
		return policy.Load(file, known)
	}
	for _, f := range defaultPolicyFiles {
		if _, err := os.Stat(f); err == nil {
			return policy.Load(f, known)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("policy %s: %w", f, err)
		}
	}
	return policy.Default(), nil
}
