package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rampart-dev/rampart/internal/catalog"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/nodes"
	"github.com/rampart-dev/rampart/internal/policy"
	"github.com/rampart-dev/rampart/internal/workload"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

func init() { analyzerCommands = append(analyzerCommands, newNodesCmd) }

func newNodesCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "nodes",
		Short: "Check control-plane and kubelet configuration against the CIS Kubernetes Benchmark",
		Long: `Nodes checks how the control plane and the kubelets are configured — the
orchestrator node trust of NIST SP 800-190 (3.3.5 / 4.3.5) — against the CIS
Kubernetes Benchmark sections 1 (control plane), 2 (etcd), 3.2 (audit policy)
and 4 (worker nodes).

  check      evaluate configuration files, or a node bundle
  collect    record a node bundle on a node
  manifests  print the DaemonSet that runs collect on every node

rampart audit runs the checks a command line decides on the control-plane
mirror Pods of a live cluster, kube-proxy's on its DaemonSet and ConfigMap,
and, with --kubelet-config, the kubelet checks on each node's /configz.`,
		Example: `  rampart nodes check /etc/kubernetes/manifests /var/lib/kubelet/config.yaml /var/lib/kubelet/kubeadm-flags.env
  sudo rampart nodes collect -o node.json && rampart nodes check --bundle node.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newNodesCheckCmd(s), newNodesCollectCmd(s), newNodesManifestsCmd(s))
	return cmd
}

type nodesCheckOptions struct {
	bundle       string
	kubeletFlags string
	output       string
	failOn       string
	baseDir      string
	passed       bool
	maxFile      int64
	policyFile   string
}

func newNodesCheckCmd(s streams) *cobra.Command {
	var o nodesCheckOptions
	cmd := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Check node configuration files or a node bundle against the CIS benchmark",
		Long: `Check reads a node's configuration and reports every CIS Kubernetes Benchmark
recommendation of sections 1, 2, 3.2 and 4 that the input decides: the
recommendation number, the value found and what decided it (a flag, the
configuration file, an environment variable or the component's documented
default), the file and line, and the remediation.

PATH may be a file or a directory of:
  - static Pod manifests of kube-apiserver, kube-controller-manager,
    kube-scheduler and etcd (their command lines are read);
  - the kubelet's KubeletConfiguration (config.yaml);
  - kube-proxy's command line (a static Pod manifest, or its DaemonSet as
    kubectl get -o yaml prints it) and its KubeProxyConfiguration
    (config.conf);
  - kubelet flag files: kubeadm-flags.env, or a systemd drop-in that sets
    KUBELET_ variables (or pass the flags with --kubelet-flags);
  - the EncryptionConfiguration, audit Policy, AdmissionConfiguration,
    AuthenticationConfiguration and AuthorizationConfiguration the API
    server names.

A kubelet flag overrides its configuration file; a setting in neither takes
the kubelet's default, which differs with and without a configuration file.

With --bundle, the input is a node bundle from rampart nodes collect, which
also holds the file modes and owners that the permission checks (1.1.x and
4.1.x, the CNI files and kube-proxy's kubeconfig included) read. A check whose input is absent is reported as not assessed, with
the reason — never as passing or failing.

Exit codes: 0 no failed check at or above --fail-on; 1 failed checks at or
above it; 2 usage or input error.`,
		Example: `  # The static Pod manifests and kubelet files of a kubeadm node
  rampart nodes check /etc/kubernetes/manifests /var/lib/kubelet/config.yaml /var/lib/kubelet/kubeadm-flags.env

  # A kubelet configuration with its command line
  rampart nodes check config.yaml --kubelet-flags "--anonymous-auth=false --read-only-port=0"

  # A bundle collected on a node, as JSON
  rampart nodes check --bundle node.json -o json`,
		RunE: func(cmd *cobra.Command, args []string) error { return runNodesCheck(s, o, args) },
	}
	f := cmd.Flags()
	f.StringVar(&o.bundle, "bundle", "", "evaluate this node bundle (from rampart nodes collect); - reads standard input")
	f.StringVar(&o.kubeletFlags, "kubelet-flags", "", "the kubelet's command-line flags, as one string")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.StringVar(&o.failOn, "fail-on", "low", "exit 1 when a failed check has at least this severity: info, low, medium, high, critical")
	f.StringVar(&o.baseDir, "base-dir", "", "make file paths in the text output relative to this directory (default: the working directory)")
	f.BoolVar(&o.passed, "show-passed", false, "list passing checks too (text output)")
	f.Int64Var(&o.maxFile, "max-file-size", inventory.DefaultLimits.MaxFileBytes, "refuse files larger than this many bytes")
	f.StringVar(&o.policyFile, "policy", "", "policy file: checks.disable and checks.severity apply (default: rampart.yaml in the working directory, if present)")
	return cmd
}

// nodesPolicyChecks returns the CIS checks the policy leaves on, with its
// severities.
func nodesPolicyChecks(file string) ([]*nodes.Check, error) {
	known := workload.KnownIDs()
	for _, c := range catalog.ClusterChecks() {
		known[c.ID] = true
	}
	all := nodes.ConfigChecks()
	for _, c := range all {
		known[c.ID] = true
	}
	pol := policy.Default()
	if file == "" {
		for _, f := range defaultPolicyFiles {
			if _, err := os.Stat(f); err == nil {
				file = f
				break
			}
		}
	}
	if file != "" {
		var err error
		if pol, err = policy.Load(file, known); err != nil {
			return nil, err
		}
	}
	var out []*nodes.Check
	for _, c := range all {
		if !pol.Enabled(c.ID, true) {
			continue
		}
		if sev := pol.Severity(c.ID, c.Severity); sev != c.Severity {
			cp := *c
			cp.Severity = sev
			c = &cp
		}
		out = append(out, c)
	}
	return out, nil
}

func runNodesCheck(s streams, o nodesCheckOptions, paths []string) error {
	failOn, err := finding.ParseSeverity(o.failOn)
	if err != nil {
		return usageError("--fail-on: %w", err)
	}
	if o.output != "text" && o.output != "json" {
		return usageError("--output: unknown format %q (want text or json)", o.output)
	}
	checks, err := nodesPolicyChecks(o.policyFile)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	var cfg *nodes.Config
	switch {
	case o.bundle != "" && len(paths) > 0:
		return usageError("read either a --bundle or PATH arguments, not both")
	case o.bundle != "":
		if o.kubeletFlags != "" {
			return usageError("--kubelet-flags goes with PATH arguments: a bundle holds the kubelet's own command line")
		}
		b, err := readBundle(s, o.bundle)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		cfg = b.Config()
	case len(paths) == 0 && o.kubeletFlags == "":
		return usageError("nothing to check: give PATH arguments, --kubelet-flags or --bundle")
	default:
		lim := inventory.DefaultLimits
		lim.MaxFileBytes = o.maxFile
		cfg = nodes.LoadPaths(paths, nodes.LoadOptions{Limits: lim, KubeletFlags: o.kubeletFlags})
	}
	rep := nodes.NewReport(cfg, nodes.Evaluate(cfg, checks))
	if o.output == "json" {
		err = rep.WriteJSON(s.out)
	} else {
		base := o.baseDir
		if base == "" {
			base, _ = os.Getwd()
		}
		err = rep.WriteText(s.out, nodes.TextOptions{BaseDir: base, Passed: o.passed})
	}
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("write report: %w", err)}
	}
	return findingsExit(rep.HasErrors(), rep.Findings, failOn)
}

func readBundle(s streams, name string) (*nodes.Bundle, error) {
	if name == "-" {
		return nodes.ReadBundle(s.in, nodes.DefaultBundleLimits)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	defer f.Close()
	b, err := nodes.ReadBundle(f, nodes.DefaultBundleLimits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

func newNodesCollectCmd(s streams) *cobra.Command {
	var opts nodes.CollectOptions
	var out string
	var keepRunning bool
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Record this node's component command lines, configuration and file permissions",
		Long: `Collect runs on a node (as root, to read the root-only files the benchmark
asks about) and writes one JSON node bundle: the command lines of the running
kubelet, kube-apiserver, kube-controller-manager, kube-scheduler, etcd and
kube-proxy (from /proc), the configuration files they name, and the mode and
owner of each file the CIS benchmark cares about (the CNI files under
/etc/cni/net.d and /var/lib/cni/networks included). Files kube-proxy names that
are not on the host are read in its container, through /proc/PID/root.
Encryption keys are replaced with REDACTED; kubeconfigs and private keys are
recorded by mode and owner only.

The bundle format is versioned and documented in docs/nodes.md; evaluate it
anywhere with rampart nodes check --bundle.`,
		Example: `  sudo rampart nodes collect -o node.json

  # From a container with the host mounted under /host and hostPID
  rampart nodes collect --root /host --proc /proc`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Hostname == "" {
				opts.Hostname, _ = os.Hostname()
			}
			b, err := nodes.Collect(opts)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			data, err := jsonIndent(b)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			if out == "" || out == "-" {
				_, err = s.out.Write(data)
			} else {
				err = os.WriteFile(out, data, 0o600)
			}
			if err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("write bundle: %w", err)}
			}
			if keepRunning {
				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				<-ctx.Done()
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Root, "root", "/", "the node's root file system (e.g. /host in a container)")
	f.StringVar(&opts.Proc, "proc", "/proc", "the proc file system to read command lines from")
	f.StringVar(&opts.Hostname, "hostname", "", "the node name to record (default: the host name)")
	f.StringVarP(&out, "output", "o", "", "write the bundle to this file, mode 0600 (default: standard output)")
	f.BoolVar(&keepRunning, "keep-running", false, "after writing, wait for a termination signal (for a DaemonSet, so the bundle stays in its log)")
	return cmd
}

func newNodesManifestsCmd(s streams) *cobra.Command {
	var namespace, image string
	cmd := &cobra.Command{
		Use:   "manifests",
		Short: "Print the DaemonSet that collects a node bundle on every node",
		Long: `Manifests prints a DaemonSet that runs rampart nodes collect on every node
(control-plane nodes included): hostPID to read the components' command lines,
the host's Kubernetes, kubelet, systemd and etcd directories mounted read-only,
and nothing else — no service account token, no capabilities, a read-only root
file system. Each Pod writes its node's bundle to its log.`,
		Example: `  rampart nodes manifests | kubectl apply -f -
  kubectl -n rampart-system logs ds/rampart-nodes-collect > node.json   # one node; use -l and --prefix for all
  rampart nodes check --bundle node.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := yaml.Marshal(nodes.DaemonSet(namespace, image))
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			_, err = s.out.Write(data)
			return err
		},
	}
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "rampart-system", "namespace of the DaemonSet")
	cmd.Flags().StringVar(&image, "image", "ghcr.io/rampart-dev/rampart:"+strings.TrimPrefix(Version, "v"), "the rampart image to run")
	return cmd
}

func jsonIndent(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
