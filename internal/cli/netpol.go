package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/netpol"
	"github.com/spf13/cobra"
)

func init() { analyzerCommands = append(analyzerCommands, newNetpolCmd) }

func newNetpolCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netpol",
		Short: "Analyse NetworkPolicies: who can reach whom, why, and policies learned from flows",
		Long: `Netpol answers network segmentation questions (NIST SP 800-190 3.3.3 / 4.3.3)
from Kubernetes NetworkPolicies, exactly as the API defines them: peers that
AND or OR their selectors, policyTypes defaulting, additive policies, named
ports, endPort ranges, protocols, ipBlock except, host-network pods and
traffic from the pod's own node.

  reach    every allowed connection between workloads and outside addresses
  explain  whether one connection is allowed, and which policies decide it
  learn    NetworkPolicies that allow exactly the traffic of a flow log
  graph    the connections of a flow log, marked where policies deny them

Objects are read from manifest files (PATH arguments), a snapshot
(--snapshot, from rampart snapshot) or the live cluster of the kubeconfig.
Only Kubernetes NetworkPolicy objects are read: policies of a CNI's own
kinds (CiliumNetworkPolicy, Calico policies) are not.`,
		Example: `  rampart netpol reach deploy/
  rampart netpol explain prod/api prod/db 5432/TCP deploy/
  hubble observe -o json --since 24h > flows.json && rampart netpol learn flows.json > policies.yaml`,
	}
	cmd.AddCommand(newNetpolReachCmd(s), newNetpolExplainCmd(s), newNetpolLearnCmd(s), newNetpolGraphCmd(s))
	return cmd
}

func newNetpolReachCmd(s streams) *cobra.Command {
	var src sourceFlags
	var output, from, to, port string
	cmd := &cobra.Command{
		Use:   "reach [PATH...]",
		Short: "List every allowed connection between workloads and outside addresses",
		Long: `Reach lists who can connect to whom: every pair of workloads (Deployments,
StatefulSets, DaemonSets, Jobs, CronJobs, ReplicaSets, ReplicationControllers
and bare Pods; Pods a controller owns are shown as their controller) with the
protocols and ports the NetworkPolicies allow between them, and the outside
address ranges each workload may connect to or be reached from:

  prod/api[Deployment] => prod/db[StatefulSet] : TCP 5432
  prod/api[Deployment] => 0.0.0.0/0 except 10.0.0.0/8 : TCP 443

A connection needs both the source's egress and the destination's ingress to
allow it. Workloads that no policy isolates reach and are reached from
everything. A host-network workload is the node to NetworkPolicies: it is
never selected, and pods accept all traffic from their own node, shown as
"(all ports from the same node)". ipBlock peers are taken as addresses outside
the cluster's pods, as the Kubernetes documentation advises; some network
plugins also apply them to pod addresses.

--from and --to take NAMESPACE/NAME, NAMESPACE/KIND/NAME, NAMESPACE/* (every
workload of a namespace), an IP address or CIDR, or "external" (every outside
address). --port keeps connections that allow one port (5432, 53/UDP) or a
protocol (UDP).

Output: text (default), json, csv (one row per connection and protocol), dot
(Graphviz: rampart netpol reach -o dot | dot -Tsvg > reach.svg).

Exit codes: 0 answered; 2 usage or input error (the answer for the files
that could be read is still printed).`,
		Example: `  # Everything, from manifests
  rampart netpol reach deploy/

  # Who can reach the database, from a snapshot
  rampart netpol reach --snapshot cluster.yaml --to prod/db

  # Where can the api go on 443, live cluster
  rampart netpol reach --from prod/api --port 443

  # What the internet can reach
  rampart netpol reach --from external deploy/

  # A graph of one namespace
  rampart netpol reach --from 'prod/*' -o dot deploy/ | dot -Tsvg > prod.svg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(netpol.ReachFormats, output) {
				return usageError("--output: unknown format %q (want one of %s)", output, strings.Join(netpol.ReachFormats, ", "))
			}
			var opts netpol.Options
			var err error
			if from != "" {
				if opts.From, err = netpol.ParseEndpointFilter(from); err != nil {
					return usageError("--from: %w", err)
				}
			}
			if to != "" {
				if opts.To, err = netpol.ParseEndpointFilter(to); err != nil {
					return usageError("--to: %w", err)
				}
			}
			if port != "" {
				q, err := netpol.ParsePortQuery(port)
				if err != nil {
					return usageError("--port: %w", err)
				}
				opts.Port = &q
			}
			inv, err := src.load(cmd, s, args)
			if err != nil {
				return err
			}
			a := netpol.Reach(inv, opts)
			if err := netpol.WriteReach(s.out, output, a.Connections(), a.Problems); err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("write answer: %w", err)}
			}
			if inputErrors(inv) {
				return &exitError{code: ExitError}
			}
			return nil
		},
	}
	src.add(cmd)
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "text", "output format: "+strings.Join(netpol.ReachFormats, ", "))
	f.StringVar(&from, "from", "", "keep connections from this workload, namespace (NS/*), address or CIDR, or \"external\"")
	f.StringVar(&to, "to", "", "keep connections to this workload, namespace (NS/*), address or CIDR, or \"external\"")
	f.StringVar(&port, "port", "", "keep connections that allow this port, e.g. 5432, 53/UDP, or protocol, e.g. UDP")
	return cmd
}

func newNetpolExplainCmd(s streams) *cobra.Command {
	var src sourceFlags
	var output, expect string
	cmd := &cobra.Command{
		Use:   "explain SRC DST PORT[/PROTOCOL] [PATH...]",
		Short: "Say whether one connection is allowed, and which policies and rules decide it",
		Long: `Explain decides one connection from SRC to DST on PORT and shows both sides:
the egress of the source and the ingress of the destination, each with the
policies that isolate it and every rule whose peer matches the other end,
with the ports it allows and where the rule is written.

SRC and DST are a workload (NAMESPACE/NAME, or NAMESPACE/KIND/NAME when names
clash) or an IP address outside the cluster's pods. PORT is a number with an
optional protocol (5432, 5432/TCP, 53/UDP); without one it is TCP, as in
NetworkPolicy.

--expect allowed|denied turns the answer into a test: exit 1 when the
connection is not as expected.

Exit codes: 0 answered (and as expected); 1 not as --expect says; 2 usage or
input error.`,
		Example: `  rampart netpol explain prod/api prod/db 5432 deploy/
  rampart netpol explain shop/web prod/db 5432/TCP --snapshot cluster.yaml
  rampart netpol explain 203.0.113.7 prod/api 443 --expect denied deploy/`,
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return usageError("--output: unknown format %q (want text or json)", output)
			}
			if expect != "" && expect != "allowed" && expect != "denied" {
				return usageError("--expect: %q is not allowed or denied", expect)
			}
			q, err := netpol.ParsePortQuery(args[2])
			if err != nil {
				return usageError("%w", err)
			}
			inv, err := src.load(cmd, s, args[3:])
			if err != nil {
				return err
			}
			x, err := netpol.Explain(inv, args[0], args[1], q)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			if output == "json" {
				err = writeExplainJSON(s.out, x)
			} else {
				err = x.WriteText(s.out)
			}
			if err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("write answer: %w", err)}
			}
			switch {
			case inputErrors(inv):
				return &exitError{code: ExitError}
			case expect == "allowed" && !x.Allowed, expect == "denied" && x.Allowed:
				return &exitError{code: ExitFindings, err: fmt.Errorf("%s => %s %s is %s, expected %s", x.From, x.To, x.Port, x.Verdict(), expect)}
			}
			return nil
		},
	}
	src.add(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	cmd.Flags().StringVar(&expect, "expect", "", "exit 1 unless the connection is allowed, or denied")
	return cmd
}

func writeExplainJSON(w io.Writer, x *netpol.Explanation) error {
	type rule struct {
		netpol.RuleMatch
		Ports []netpol.Port `json:"ports"`
	}
	type side struct {
		netpol.Side
		Rules []rule `json:"rules,omitempty"`
	}
	conv := func(sd netpol.Side) side {
		out := side{Side: sd}
		for _, r := range sd.Rules {
			out.Rules = append(out.Rules, rule{RuleMatch: r, Ports: r.Ports.List()})
		}
		return out
	}
	peer := func(p netpol.Peer) string { return p.String() }
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		From      string   `json:"from"`
		To        string   `json:"to"`
		Port      string   `json:"port"`
		Verdict   string   `json:"verdict"`
		Allowed   bool     `json:"allowed"`
		NodeLocal bool     `json:"nodeLocal,omitempty"`
		Egress    side     `json:"egress"`
		Ingress   side     `json:"ingress"`
		Problems  []string `json:"problems,omitempty"`
	}{peer(x.From), peer(x.To), x.Port.String(), x.Verdict(), x.Allowed, x.NodeLocal, conv(x.Egress), conv(x.Ingress), x.Problems})
}

// flowOptions are the flags of the commands that read flow logs.
type flowOptions struct {
	format string
	maxLen int
}

func (o *flowOptions) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.format, "format", netpol.FormatAuto, "flow log format: auto, hubble (hubble observe -o json), csv or json (Rampart's)")
	cmd.Flags().IntVar(&o.maxLen, "max-line", netpol.DefaultLimits.MaxLine, "refuse flow records longer than this many bytes")
}

// learner reads a flow log (a file, or - for standard input) into a
// learner that knows the workloads of known (may be nil).
func (o *flowOptions) learner(s streams, file string, opts netpol.LearnOptions, known *inventory.Inventory) (*netpol.Learner, error) {
	switch o.format {
	case netpol.FormatAuto, netpol.FormatHubble, netpol.FormatCSV, netpol.FormatJSON:
	default:
		return nil, usageError("--format: unknown format %q (want auto, hubble, csv or json)", o.format)
	}
	var r io.Reader = s.in
	name := "<stdin>"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, &exitError{code: ExitError, err: fmt.Errorf("flows: %w", err)}
		}
		defer f.Close()
		r, name = f, file
	}
	lim := netpol.DefaultLimits
	lim.MaxLine = o.maxLen
	l, err := netpol.Learn(r, o.format, lim, opts, known)
	if err != nil {
		if errors.Is(err, netpol.ErrFlowInput) {
			err = fmt.Errorf("%s: %w", name, err)
		}
		return nil, &exitError{code: ExitError, err: err}
	}
	return l, nil
}

func newNetpolLearnCmd(s streams) *cobra.Command {
	var fo flowOptions
	var output string
	var workloads, skip []string
	var dropped bool
	cmd := &cobra.Command{
		Use:   "learn FLOWS",
		Short: "Write the NetworkPolicies that allow exactly the traffic of a flow log",
		Long: `Learn reads observed flows and writes the smallest set of NetworkPolicies that
allows exactly that traffic: per namespace a default deny of ingress and
egress, and per set of pods (namespace and labels) one policy with the
ingress and egress it was seen to use, peers that used the same ports sharing
a rule.

FLOWS is a file, or - for standard input, in one of these formats:

  hubble  the output of hubble observe -o json (one JSON object per line)
  csv     Rampart's CSV: a header naming some of src_namespace, src_labels,
          src_name, src_ip, dst_namespace, dst_labels, dst_name, dst_ip,
          protocol, port; labels as key=value;key=value; an end without a
          namespace is an address (its _ip column)
  json    Rampart's JSON: an array, or one object per line, of
          {"src": {"namespace", "labels", "name", "ip"}, "dst": {...},
           "protocol", "port"}

By default the format is guessed from the first record.

Selectors are stable: labels that change between pods or revisions of a
workload (pod-template-hash, controller-revision-hash,
statefulset.kubernetes.io/pod-name, job-name, controller-uid and the like)
and Cilium's own are dropped. When some pods carry all the labels of others
and more, the others' selector excludes them (DoesNotExist), so each policy
selects only the pods that were seen. Reply flows are ignored (policies are
stateful), so are dropped flows (unless --include-dropped) and traffic from
the local node (always allowed). DNS is learned toward the DNS pods the flows
show, with TCP 53 next to UDP 53 (resolvers fall back to TCP for large
answers). Outside addresses become /32 (or /128) ipBlocks.

--workloads names manifests (files or directories) of the workloads the
policies will apply to: their selectors then also tell apart workloads never
seen in the flows, and their namespaces get a default deny.

Review the policies before applying them: they allow what was observed,
nothing more, and traffic the log missed (a monthly job, a failover path)
will be denied.`,
		Example: `  hubble observe -o json --since 24h > flows.json
  rampart netpol learn flows.json > policies.yaml

  # Learn from a CSV export, knowing the workloads
  rampart netpol learn --workloads deploy/ flows.csv

  # Leave system namespaces alone
  rampart netpol learn --skip-namespace kube-system --skip-namespace monitoring flows.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "yaml" && output != "json" {
				return usageError("--output: unknown format %q (want yaml or json)", output)
			}
			var known *inventory.Inventory
			if len(workloads) > 0 {
				known = inventory.LoadFiles(workloads, inventory.LoadOptions{})
				for _, n := range known.Notes {
					fmt.Fprintf(s.err, "rampart: %s\n", noteText(n))
				}
				if inputErrors(known) {
					return &exitError{code: ExitError}
				}
			}
			l, err := fo.learner(s, args[0], netpol.LearnOptions{IncludeDropped: dropped, SkipNamespaces: skip}, known)
			if err != nil {
				return err
			}
			ps := l.Policies()
			if output == "json" {
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				err = enc.Encode(map[string]any{"apiVersion": "v1", "kind": "List", "items": ps})
			} else {
				err = netpol.WritePolicies(s.out, ps)
			}
			if err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("write policies: %w", err)}
			}
			fmt.Fprintf(s.err, "rampart: %s; %d policies\n", l.Stats, len(ps))
			return nil
		},
	}
	fo.add(cmd)
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "yaml", "output format: yaml or json (a List)")
	f.StringSliceVar(&workloads, "workloads", nil, "manifests of the workloads the policies are for (repeatable)")
	f.StringSliceVar(&skip, "skip-namespace", nil, "write no policies for this namespace (repeatable)")
	f.BoolVar(&dropped, "include-dropped", false, "learn flows Hubble reports as dropped too")
	return cmd
}

func newNetpolGraphCmd(s streams) *cobra.Command {
	var src sourceFlags
	var fo flowOptions
	var output string
	cmd := &cobra.Command{
		Use:   "graph FLOWS [PATH...]",
		Short: "Draw the connections of a flow log, marking those current policies deny",
		Long: `Graph draws the connections a flow log shows (in the formats of rampart netpol
learn) between workloads and outside addresses, and checks each observed port
against the current NetworkPolicies, read from PATH arguments, a snapshot
(--snapshot) or the live cluster. Ports the policies would deny are drawn in
red and dashed (DOT), or listed under "denied" (JSON): they are what breaks
when the policies are enforced. Flows Hubble reports as dropped are drawn
too; replies and traffic from the local node are not.

Exit codes: 0 drawn; 2 usage or input error.`,
		Example: `  rampart netpol graph flows.json deploy/ | dot -Tsvg > flows.svg
  rampart netpol graph -o json flows.csv --snapshot cluster.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "dot" && output != "json" {
				return usageError("--output: unknown format %q (want dot or json)", output)
			}
			inv, err := src.load(cmd, s, args[1:])
			if err != nil {
				return err
			}
			l, err := fo.learner(s, args[0], netpol.LearnOptions{IncludeDropped: true}, nil)
			if err != nil {
				return err
			}
			g := l.Graph(inv)
			if output == "json" {
				err = g.WriteJSON(s.out)
			} else {
				err = g.WriteDOT(s.out)
			}
			if err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("write graph: %w", err)}
			}
			if inputErrors(inv) {
				return &exitError{code: ExitError}
			}
			return nil
		},
	}
	src.add(cmd)
	fo.add(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "dot", "output format: dot or json")
	return cmd
}
