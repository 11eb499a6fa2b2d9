package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
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
	corev1 "k8s.io/api/core/v1"
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
	rep := scanFiles(paths, inventory.LoadOptions{Limits: lim, Stdin: s.in, Helm: o.helm}, pol)
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
	addClusterFindings(rep, inv, pol, scanClusterChecks())
	return rep
}

// scanClusterChecks are the cluster checks that run on manifests.
func scanClusterChecks() []*audit.Check {
	var checks []*audit.Check
	for _, c := range catalog.ClusterChecks() {
		if c.Scan {
			checks = append(checks, c)
		}
	}
	return checks
}

// scanFiles is Scan on the inputs at paths, done while they are read: the
// worker that reads a file runs the workload checks on its objects while
// they are fresh, and the inventory the cluster checks get keeps them
// without what no cluster check reads (see slimForClusterChecks). The
// report is the one Scan makes of the whole inventory, byte for byte
// (TestScanFilesMatchesScan).
func scanFiles(paths []string, lo inventory.LoadOptions, pol *policy.Policy) *finding.Report {
	defer setGCPercent(scanGCPercent, false)()
	runner := workload.NewRunner(pol)
	var mu sync.Mutex
	scans := map[int]*inputScan{}
	// Each input's findings are collected in a buffer of the worker's and
	// kept in a slice of exactly their size: growing a slice per input
	// made a fifth more garbage than the findings themselves.
	buffers := sync.Pool{New: func() any { return new([]finding.Finding) }}
	checks := newCheckTable()
	// The strings each worker has interned (see checkTable.compact).
	interned := sync.Pool{New: func() any { return map[string]string{} }}
	lo.Each = func(input int, objs []*inventory.Object) []*inventory.Object {
		in := &inputScan{}
		buf := buffers.Get().(*[]finding.Finding)
		fs := (*buf)[:0]
		for _, o := range objs {
			fs = runner.Append(fs, o)
			if p := inventory.PodOf(o); p != nil {
				// The version was validated with the policy; an object
				// without a level is left out, as in podSecurity.
				if level, _, _ := workload.PodSecurityLevel(p, pol.PodSecurity.Version); level != "" {
					in.levels = append(in.levels, finding.PodSecurity{Object: o.Ref(), Version: pol.PodSecurity.Version, Level: level})
				}
			}
			slimForClusterChecks(o)
		}
		strs := interned.Get().(map[string]string)
		if !checks.compact(in, fs, strs) {
			in.findings = slices.Clone(fs)
		}
		interned.Put(strs)
		clear(fs) // the buffer must not keep the findings' strings alive
		*buf = fs[:0]
		buffers.Put(buf)
		mu.Lock()
		scans[input] = in
		mu.Unlock()
		return objs
	}
	inv := inventory.LoadFiles(paths, lo)
	notes, files, objects := inv.Notes, inv.Files, len(inv.Objects)
	// The cluster checks run first, so that the inventory can go before
	// the findings are gathered: holding both the inputs' findings and
	// their gathered copy while the inventory was still alive was the
	// highest the live heap of a scan went.
	clusterRules, cluster := clusterFindings(inv, pol, scanClusterChecks())
	inv = nil
	// The inventory, about half the live heap, is garbage from here; the
	// findings about to be gathered are a third of it again. Collecting
	// now, rather than when the heap has doubled, keeps the two apart.
	runtime.GC()

	// In input order, as the inventory listed the objects, so that the
	// findings and levels come out as Scan's.
	order := make([]*inputScan, 0, len(scans))
	n := 0
	for i := range files {
		if in := scans[i]; in != nil {
			order = append(order, in)
			n += in.count()
		}
	}
	// Spare room lets the cluster checks' findings merge in place.
	fs := make([]finding.Finding, n, n+n/64+16)
	concat(fs, order, checks)
	pss := map[string]finding.PodSecurity{}
	for _, in := range order {
		for _, l := range in.levels {
			pss[l.Object.String()] = l
		}
	}
	finding.Sort(fs)
	rep := &finding.Report{
		Tool:        "rampart",
		Version:     Version,
		Rules:       append(workloadRules(pol), clusterRules...),
		Findings:    fs,
		Notes:       notes,
		Files:       files,
		Objects:     objects,
		PodSecurity: pss,
	}
	mergeClusterFindings(rep, cluster.Findings)
	return rep
}

// scanGCPercent is the heap growth, in percent of the live heap, that
// starts a collection during a scan. A scan's live heap grows as it reads
// and falls when the inventory goes; with Go's default of 100 it collected
// so often on the way up that a scan of 10,000 objects spent 0.93 CPU-s,
// against 0.78 at 200, with the same peak heap (124 MiB: the peak is the
// inventory and the findings held together, not garbage). At 300 the peak
// grows to 147 MiB. GOGC, when set, applies instead.
const scanGCPercent = 200

// inputScan is what the workload checks found in one input: its findings
// in compact form (see compact.go), or as they are when they do not fit it.
type inputScan struct {
	compact  []compactFinding
	subjects []findingSubject
	findings []finding.Finding
	levels   []finding.PodSecurity
}

func (in *inputScan) count() int { return len(in.compact) + len(in.findings) }

// concat writes the findings of the inputs, in order, into fs, which has
// room for exactly all of them. It runs on every CPU: on a large scan it
// is a few hundred megabytes, mostly written while the collector runs,
// when each pointer written costs a write barrier.
func concat(fs []finding.Finding, inputs []*inputScan, checks *checkTable) {
	workers := max(1, runtime.GOMAXPROCS(0))
	per := (len(fs) + workers - 1) / workers
	var wg sync.WaitGroup
	at, next := 0, 0
	for i := 0; i < len(inputs); {
		// Each worker takes whole inputs until it has about its share.
		start, first := at, i
		for i < len(inputs) && (at-start < per || next == workers-1) {
			at += inputs[i].count()
			i++
		}
		next++
		wg.Add(1)
		go func(dst []finding.Finding, part []*inputScan) {
			defer wg.Done()
			for _, in := range part {
				checks.expand(dst, in)
				copy(dst[len(in.compact):], in.findings)
				dst = dst[in.count():]
				// Written: let the collector have them.
				in.compact, in.subjects, in.findings = nil, nil, nil
			}
		}(fs[start:at], inputs[first:i])
	}
	wg.Wait()
}

// slimForClusterChecks drops from o what only the workload checks read: the
// details of each container but its name, image and ports. They are most
// of a workload's memory, and the cluster checks (NetworkPolicy reach,
// placement, RBAC, secrets) read the pod's own fields and its containers'
// ports; TestScanFilesMatchesScan holds the reports equal.
func slimForClusterChecks(o *inventory.Object) {
	p := inventory.PodOf(o)
	if p == nil {
		return
	}
	for i, c := range p.Spec.Containers {
		p.Spec.Containers[i] = corev1.Container{Name: c.Name, Image: c.Image, Ports: c.Ports}
	}
	for i, c := range p.Spec.InitContainers {
		p.Spec.InitContainers[i] = corev1.Container{Name: c.Name, Image: c.Image, Ports: c.Ports}
	}
	for i, c := range p.Spec.EphemeralContainers {
		p.Spec.EphemeralContainers[i] = corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: c.Name, Image: c.Image, Ports: c.Ports},
			TargetContainerName:      c.TargetContainerName,
		}
	}
}

// workloadReport runs the workload checks on every object of inv.
func workloadReport(inv *inventory.Inventory, pol *policy.Policy) *finding.Report {
	return &finding.Report{
		Tool:        "rampart",
		Version:     Version,
		Rules:       workloadRules(pol),
		Findings:    workload.Run(inv.Objects, pol),
		Notes:       inv.Notes,
		Files:       inv.Files,
		Objects:     len(inv.Objects),
		PodSecurity: podSecurity(inv.Objects, pol),
	}
}

// workloadRules are the rules of the workload checks pol enables, with its
// severities.
func workloadRules(pol *policy.Policy) []finding.Rule {
	var rules []finding.Rule
	for _, c := range workload.Checks() {
		if pol.Enabled(c.ID, !c.OptIn) {
			r := c.Rule()
			r.Severity = pol.Severity(c.ID, c.Severity)
			rules = append(rules, r)
		}
	}
	return rules
}

// addClusterFindings runs the enabled checks among checks on the whole
// inventory and adds their rules and findings to rep, with the policy's
// severities and exemptions applied.
func addClusterFindings(rep *finding.Report, inv *inventory.Inventory, pol *policy.Policy, checks []*audit.Check) audit.Result {
	rules, res := clusterFindings(inv, pol, checks)
	rep.Rules = append(rep.Rules, rules...)
	mergeClusterFindings(rep, res.Findings)
	return res
}

// clusterFindings runs the enabled checks among checks on the whole
// inventory and returns their rules and result, with the policy's
// severities and exemptions applied to the findings, which are sorted.
func clusterFindings(inv *inventory.Inventory, pol *policy.Policy, checks []*audit.Check) ([]finding.Rule, audit.Result) {
	cfg := &audit.Config{
		MaxSecretAge:     time.Duration(pol.Audit.MaxSecretAge),
		MaxTokenAge:      time.Duration(pol.Audit.MaxTokenAge),
		SystemNamespaces: pol.Audit.SystemNamespaces,
		Sensitivity:      pol.Sensitivity,
	}
	var enabled []*audit.Check
	var rules []finding.Rule
	for _, c := range checks {
		if pol.Enabled(c.ID, true) {
			enabled = append(enabled, c)
			r := c.Rule()
			r.Severity = pol.Severity(c.ID, c.Severity)
			rules = append(rules, r)
		}
	}
	res := audit.RunChecks(inv, cfg, enabled)
	if len(res.Findings) == 0 {
		return rules, res
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
	finding.Sort(res.Findings)
	return rules, res
}

// mergeClusterFindings merges the sorted cluster findings into rep's.
// Both lists are sorted; merging them is one pass where appending and
// sorting again moved every finding many times.
func mergeClusterFindings(rep *finding.Report, cluster []finding.Finding) {
	if len(cluster) == 0 {
		return
	}
	finding.Sort(rep.Findings)
	rep.Findings = finding.MergeInto(rep.Findings, cluster)
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
