package cli

import (
	"context"
	"fmt"
	"io"
	"os"
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

// clusterFlags are the kubectl-style flags of commands that read a cluster.
type clusterFlags struct {
	kubeconfig    string
	context       string
	namespace     string
	allNamespaces bool
	timeout       time.Duration
	kubeletConfig bool
}

// kubeletConfigHelp is the help of --kubelet-config, for audit and snapshot.
const kubeletConfigHelp = "also read each node's effective kubelet configuration through the API server's node proxy " +
	"(GET /api/v1/nodes/NAME/proxy/configz, 5s per node) and run the kubelet CIS checks on it; needs get on nodes/proxy, " +
	"a high-risk permission (it allows exec into any Pod of the node through the kubelet API): grant it for the audit only"

func (c *clusterFlags) add(cmd *cobra.Command) {
	c.addConnection(cmd)
	f := cmd.Flags()
	f.StringVarP(&c.namespace, "namespace", "n", "", "read namespaced objects of this namespace only (cluster-scoped objects are always read)")
	f.BoolVarP(&c.allNamespaces, "all-namespaces", "A", false, "read every namespace (the default)")
}

// addConnection adds only the flags that say how to reach the cluster, for
// commands that give -n and -A a meaning of their own (who-can -n asks
// about a namespace and still reads the whole cluster).
func (c *clusterFlags) addConnection(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	f.StringVar(&c.context, "context", "", "the kubeconfig context to use (default: the current context)")
	f.DurationVar(&c.timeout, "timeout", 5*time.Minute, "give up reading the cluster after this long")
}

// load reads the cluster, drawing a progress line on stderr when it is a terminal.
func (c *clusterFlags) load(s streams) (*inventory.Inventory, error) {
	if c.allNamespaces && c.namespace != "" {
		return nil, usageError("--namespace and --all-namespaces do not go together")
	}
	cfg, err := inventory.RESTConfig(c.kubeconfig, c.context)
	if err != nil {
		return nil, &exitError{code: ExitError, err: err}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	opts := inventory.ClusterOptions{Namespace: c.namespace, KubeletConfig: c.kubeletConfig}
	var progress *progressLine
	if isTerminal(s.err) {
		progress = &progressLine{w: s.err}
		opts.Progress = progress.update
	}
	inv, err := inventory.LoadCluster(ctx, cfg, opts)
	progress.done()
	if err != nil {
		return nil, &exitError{code: ExitError, err: err}
	}
	return inv, nil
}

// progressLine redraws one status line on a terminal.
type progressLine struct {
	mu    sync.Mutex
	w     io.Writer
	total map[string]int
	drawn bool
}

func (p *progressLine) update(resource string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.total == nil {
		p.total = map[string]int{}
	}
	p.total[resource] = n
	sum := 0
	for _, v := range p.total {
		sum += v
	}
	fmt.Fprintf(p.w, "\r\x1b[Kreading cluster: %d objects (%s)", sum, resource)
	p.drawn = true
}

func (p *progressLine) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

func newAuditCmd(s streams) *cobra.Command {
	var cf clusterFlags
	var o scanOptions
	var snapshot string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Audit a cluster against NIST SP 800-190's orchestrator countermeasures",
		Long: `Audit reads a running cluster the way kubectl does, or a snapshot of one, and
reports how it stands against the orchestrator countermeasures of NIST SP
800-190 (4.3.1 to 4.3.5), section by section, with every finding, what it means
and how to fix it. Every scan check also runs on the live workloads (a Pod
owned by a controller is reported once, through its owner).

Secret values are never read: Secrets are listed as metadata and type only.
What the credentials may not list is reported as "not assessed", and the rest
of the audit goes on; a section is never reported as passing on partial
evidence. A check that cannot decide for one object (a node whose kubelet
could not be asked, a control-plane component with no mirror Pod) is listed
as not assessed for that object, with the reason.

Node trust (4.3.5) reads the control-plane mirror Pods of kube-system, the
kube-proxy DaemonSet with its ConfigMap, and kubelet serving certificate
requests. With --kubelet-config it also asks each node's kubelet for its
effective configuration (GET /api/v1/nodes/NAME/proxy/configz, 5 seconds per
node, a few nodes at a time) and runs the kubelet CIS checks (4.2.x) on it.
That needs get on nodes/proxy, which is itself a high-risk permission: it
reaches the whole kubelet API, exec into any Pod of the node included. Grant
it to the auditing identity for the audit only.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it;
2 usage error, unreachable cluster, bad credentials or a file that is not a
snapshot.`,
		Example: `  # Audit the current kubectl context
  rampart audit

  # Audit one namespace of another context, as an HTML report for an auditor
  rampart audit --context prod -n payments -o html > audit.html

  # Also check every kubelet's effective configuration (needs nodes/proxy)
  rampart audit --kubelet-config

  # Capture the cluster once, audit it anywhere
  rampart snapshot --kubelet-config -o cluster.yaml
  rampart audit --snapshot cluster.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			var inv *inventory.Inventory
			if snapshot != "" {
				if cmd.Flags().Changed("kubeconfig") || cmd.Flags().Changed("context") {
					return usageError("--snapshot reads no cluster: drop --kubeconfig and --context")
				}
				if cf.kubeletConfig {
					return usageError("--snapshot reads no cluster: take the snapshot with rampart snapshot --kubelet-config instead")
				}
				inv, err = inventory.LoadSnapshot(snapshot, inventory.DefaultLimits)
				if err != nil {
					return &exitError{code: ExitError, err: err}
				}
				if cf.namespace != "" {
					inv = onlyNamespace(inv, cf.namespace)
				}
			} else {
				inv, err = cf.load(s)
				if err != nil {
					return err
				}
			}
			rep := Audit(inv, pol, snapshot)
			opts := report.Options{Color: useColor(s, o.output, o.noColor), ToolVersion: Version}
			if wd, err := os.Getwd(); err == nil {
				opts.BaseDir = wd
			}
			if err := report.Render(s.out, o.output, rep, opts); err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("write report: %w", err)}
			}
			if finding.AtOrAbove(rep.Findings, failOn) {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	cf.add(cmd)
	f := cmd.Flags()
	f.StringVar(&snapshot, "snapshot", "", "audit this snapshot file (from rampart snapshot) instead of a live cluster")
	f.BoolVar(&cf.kubeletConfig, "kubelet-config", false, kubeletConfigHelp)
	f.StringVarP(&o.output, "output", "o", "text", "output format: "+strings.Join(report.Formats, ", "))
	f.StringVar(&o.failOn, "fail-on", "low", "exit 1 when a finding has at least this severity: info, low, medium, high, critical")
	f.StringVar(&o.policyFile, "policy", "", "policy file (default: rampart.yaml in the working directory, if present)")
	f.BoolVar(&o.noColor, "no-color", false, "never colour the text output")
	return cmd
}

func newSnapshotCmd(s streams) *cobra.Command {
	var cf clusterFlags
	var out string
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Capture a cluster's state for offline audits",
		Long: `Snapshot reads a running cluster the way audit does and writes what it read as
one multi-document YAML file, which rampart audit --snapshot audits anywhere,
with no access to the cluster. Secret values are never read, so a snapshot
holds none: Secrets are kept as metadata and type only. With --kubelet-config
the snapshot also keeps each node's kubelet configuration (or why it could not
be read), so that auditing the snapshot gives what a live audit gives.`,
		Example: `  rampart snapshot -o cluster.yaml
  rampart snapshot --context staging -n shop > shop.yaml
  rampart audit --snapshot cluster.yaml -o html > audit.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inv, err := cf.load(s)
			if err != nil {
				return err
			}
			w := s.out
			if out != "" && out != "-" {
				f, err := os.Create(out)
				if err != nil {
					return &exitError{code: ExitError, err: fmt.Errorf("write snapshot: %w", err)}
				}
				defer f.Close()
				w = f
			}
			if err := inventory.WriteSnapshot(w, inv); err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("write snapshot: %w", err)}
			}
			if f, ok := w.(*os.File); ok && f != s.out {
				if err := f.Close(); err != nil {
					return &exitError{code: ExitError, err: fmt.Errorf("write snapshot: %w", err)}
				}
			}
			return nil
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the snapshot to this file (default: standard output)")
	cmd.Flags().BoolVar(&cf.kubeletConfig, "kubelet-config", false, kubeletConfigHelp)
	return cmd
}

// onlyNamespace keeps the cluster-scoped objects and those of one namespace.
func onlyNamespace(inv *inventory.Inventory, ns string) *inventory.Inventory {
	c := *inv
	c.Objects = nil
	for _, o := range inv.Objects {
		if o.Namespace == "" || o.Namespace == ns {
			c.Objects = append(c.Objects, o)
		}
	}
	return &c
}

// Audit runs the cluster checks and every workload check on an inventory
// read from a cluster, and assembles the report by NIST section.
func Audit(inv *inventory.Inventory, pol *policy.Policy, snapshot string) *finding.Report {
	// Each controller-owned Pod (and ReplicaSet, Job) is checked once,
	// through the owner whose template made it.
	var workloads []*inventory.Object
	for _, o := range inv.Objects {
		if !inventory.ControllerOwned(o, inv) {
			workloads = append(workloads, o)
		}
	}
	scoped := *inv
	scoped.Objects = workloads
	rep := workloadReport(&scoped, pol)
	rep.Files = inv.Files
	rep.Objects = len(inv.Objects)
	checks := catalog.ClusterChecks()
	res := addClusterFindings(rep, inv, pol, checks)

	var extra []audit.CheckSection
	for _, c := range checks {
		if pol.Enabled(c.ID, true) {
			extra = append(extra, audit.CheckSection{ID: c.ID, Section: c.Section})
		}
	}
	for _, c := range workload.Checks() {
		if s := audit.SectionOf(c.Controls); s != "" && pol.Enabled(c.ID, !c.OptIn) {
			extra = append(extra, audit.CheckSection{ID: c.ID, Section: s})
		}
	}
	a := &finding.Audit{Snapshot: snapshot}
	if ci := inv.Cluster; ci != nil {
		a.Server, a.Version, a.CollectedAt = ci.Server, ci.Version, ci.CollectedAt
	}
	for _, s := range audit.Summarize(rep.Findings, res.NotAssessed, extra...) {
		a.Sections = append(a.Sections, finding.Section{ID: s.Section, Title: s.Title, Status: s.Status, Checks: s.Checks, Failed: s.Failed,
			Findings: s.Findings, NotAssessed: s.NotAssessed, Passed: s.Passed})
	}
	for _, n := range res.NotAssessed {
		na := finding.NotAssessed{Check: n.CheckID, Resource: n.Resource, Reason: n.Reason}
		if n.Object != (finding.ObjectRef{}) {
			obj := n.Object
			na.Object = &obj
		}
		a.NotAssessed = append(a.NotAssessed, na)
	}
	now := a.CollectedAt
	if now.IsZero() {
		now = time.Now()
	}
	for _, n := range audit.Nodes(inv, now) {
		a.Nodes = append(a.Nodes, finding.Node{
			Name: n.Name, Ready: n.Ready, Conditions: n.Conditions, KubeletVersion: n.KubeletVersion, Skew: n.Skew,
			ContainerRuntime: n.ContainerRuntime, OSArch: n.OSArch, Taints: n.Taints, Unschedulable: n.Unschedulable,
			Roles: n.Roles, Age: humanAge(n.Age),
		})
	}
	if asked, read := nodes.KubeletConfigRead(inv); asked > 0 {
		a.KubeletConfig = &finding.KubeletConfigRead{Nodes: asked, Read: read, Warning: nodes.ProxyWarning}
	}
	rep.Audit = a
	return rep
}

// humanAge prints an age the way kubectl does: 41d, 5h, 3m.
func humanAge(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
}
