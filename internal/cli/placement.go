package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/placement"
	"github.com/spf13/cobra"
)

func init() { analyzerCommands = append(analyzerCommands, newPlacementCmd) }

type placementOptions struct {
	src        sourceFlags
	policyFile string
	output     string
	by         string
	namespace  string
	noColor    bool
}

func (o *placementOptions) add(cmd *cobra.Command) {
	o.src.add(cmd)
	f := cmd.Flags()
	f.StringVar(&o.policyFile, "policy", "", "policy file declaring the sensitivity levels (default: rampart.yaml in the working directory, if present)")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.StringVarP(&o.namespace, "namespace", "n", "", "show only the workloads and Pods of this namespace (nodes are always read)")
	f.BoolVar(&o.noColor, "no-color", false, "never colour the text output")
}

// load reads the policy and the inventory, and refuses a policy without
// levels: every placement answer is relative to them.
func (o *placementOptions) load(cmd *cobra.Command, s streams, paths []string) (*inventory.Inventory, *audit.Config, error) {
	if o.output != "text" && o.output != "json" {
		return nil, nil, usageError("--output: unknown format %q (want text or json)", o.output)
	}
	pol, err := loadPolicy(o.policyFile)
	if err != nil {
		return nil, nil, &exitError{code: ExitError, err: err}
	}
	if !pol.Sensitivity.Enabled() {
		return nil, nil, usageError("the policy declares no sensitivity levels: add sensitivity.levels to rampart.yaml (or name a policy file with --policy)")
	}
	inv, err := o.src.load(cmd, s, paths)
	if err != nil {
		return nil, nil, err
	}
	if o.namespace != "" {
		inv = onlyNamespace(inv, o.namespace)
	}
	cfg := &audit.Config{Sensitivity: pol.Sensitivity, SystemNamespaces: pol.Audit.SystemNamespaces}
	if cfg.SystemNamespaces == nil {
		cfg.SystemNamespaces = audit.DefaultSystemNamespaces
	}
	return inv, cfg, nil
}

func newPlacementCmd(s streams) *cobra.Command {
	o := &placementOptions{}
	cmd := &cobra.Command{
		Use:   "placement [PATH...]",
		Short: "Show which sensitivity levels run on which nodes and pools",
		Long: `Placement shows how workloads of the sensitivity levels declared in the policy
(sensitivity in rampart.yaml) are spread over nodes (NIST SP 800-190 4.3.4:
keep workloads of different sensitivity on different hosts).

From a cluster or a snapshot, it counts the running Pods of each level on each
node (--by node, the default) or on each node pool (--by pool), and marks the
nodes that run Pods of more than one level as MIXED. A Pod's level is read
through the controller that owns it; Pods of the system namespaces are counted
apart; Pods without a level count as a level of their own ("none").

From manifests (PATH arguments, or --by workload), where no Pod runs anywhere
yet, it shows for each workload the pools it can be scheduled on, by the
scheduler's own rules (nodeSelector, required node affinity, tolerations
against each pool's taint). A "yes!" is a pool outside the workload's level:
what the placement-outside-pool check reports.

Use "rampart placement explain WORKLOAD" to see why.

Exit codes: 0 nothing mixes; 1 a node runs several levels (node and pool
views) or a workload can be scheduled outside its pool (workload view);
2 usage or input error.`,
		Example: `  # Pods per level on each node of the current cluster
  rampart placement

  # The same per pool, from a snapshot
  rampart placement --snapshot cluster.yaml --by pool

  # Which pools each workload of a repository can land on
  rampart placement --policy rampart.yaml k8s/

  # Why can this Deployment run on unpooled nodes?
  rampart placement explain deploy/payments/api k8s/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.by {
			case "", "node", "pool", "workload":
			default:
				return usageError("--by: %q is not one of node, pool, workload", o.by)
			}
			inv, cfg, err := o.load(cmd, s, args)
			if err != nil {
				return err
			}
			by := o.by
			if by == "" {
				by = "workload"
				if inv.Cluster != nil || hasBoundPods(inv) {
					by = "node"
				}
			}
			var bad bool
			if by == "workload" {
				bad, err = writeWorkloadView(s.out, o, cfg, placement.Reachability(inv, cfg))
			} else {
				bad, err = writeLayoutView(s.out, o, cfg, placement.BuildLayout(inv, cfg), by == "pool", useColor(s, o.output, o.noColor))
			}
			if err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("write placement: %w", err)}
			}
			switch {
			case inputErrors(inv):
				return &exitError{code: ExitError}
			case bad:
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	o.add(cmd)
	cmd.Flags().StringVar(&o.by, "by", "", "rows of the table: node, pool or workload (default: node for a cluster or snapshot, workload for manifests)")
	cmd.AddCommand(newPlacementExplainCmd(s))
	return cmd
}

func hasBoundPods(inv *inventory.Inventory) bool {
	for _, o := range inv.Objects {
		if p := inventory.PodOf(o); p != nil && o.Kind == "Pod" && p.Spec.NodeName != "" {
			return true
		}
	}
	return false
}

// levelTitle is a level key as a column title.
func levelTitle(l string) string {
	if l == placement.NoLevel {
		return "NONE"
	}
	return strings.ToUpper(l)
}

// columns are the declared levels, then any other level key seen.
func columns(cfg *audit.Config, seen []string) []string {
	var cols []string
	for _, l := range cfg.Sensitivity.Levels {
		cols = append(cols, l.Name)
	}
	for _, l := range seen {
		if cfg.Sensitivity.Rank(l) < 0 {
			cols = append(cols, l)
		}
	}
	return cols
}

func count(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

type poolRow struct {
	Pool  string         `json:"pool"`
	Nodes int            `json:"nodes"`
	Mixed int            `json:"mixedNodes"`
	Pods  map[string]int `json:"pods"`
}

func poolRows(cfg *audit.Config, l *placement.Layout) []poolRow {
	var rows []poolRow
	idx := map[string]int{}
	for _, p := range placement.Pools(&cfg.Sensitivity) {
		idx[p.Level] = len(rows)
		rows = append(rows, poolRow{Pool: p.Level, Pods: map[string]int{}})
	}
	idx[placement.Unpooled] = len(rows)
	rows = append(rows, poolRow{Pool: placement.Unpooled, Pods: map[string]int{}})
	for _, n := range l.Nodes {
		r := &rows[idx[n.Pool()]]
		r.Nodes++
		if n.Mixed() {
			r.Mixed++
		}
		for k, v := range n.Pods {
			r.Pods[k] += v
		}
	}
	return rows
}

func writeLayoutView(w io.Writer, o *placementOptions, cfg *audit.Config, l *placement.Layout, byPool, color bool) (bool, error) {
	mixed := 0
	for _, n := range l.Nodes {
		if n.Mixed() {
			mixed++
		}
	}
	if o.output == "json" {
		v := struct {
			View    string                `json:"view"`
			Levels  []string              `json:"levels"`
			Nodes   []*placement.NodeLoad `json:"nodes,omitempty"`
			Pools   []poolRow             `json:"pools,omitempty"`
			Mixed   int                   `json:"mixedNodes"`
			Unbound int                   `json:"unboundPods"`
		}{View: "node", Levels: columns(cfg, l.Levels), Mixed: mixed, Unbound: l.Unbound}
		if byPool {
			v.View, v.Pools = "pool", poolRows(cfg, l)
		} else {
			v.Nodes = l.Nodes
			if v.Nodes == nil {
				v.Nodes = []*placement.NodeLoad{}
			}
		}
		return mixed > 0, writeJSON(w, v)
	}
	cols := columns(cfg, l.Levels)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := []string{"NODE", "POOL"}
	if byPool {
		head = []string{"POOL", "NODES"}
	}
	for _, c := range cols {
		head = append(head, levelTitle(c))
	}
	head = append(head, "NONE", "SYSTEM", "MIXED")
	if byPool {
		head[len(head)-2] = ""
		head = append(head[:len(head)-2], "MIXED NODES")
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	if byPool {
		for _, r := range poolRows(cfg, l) {
			cells := []string{r.Pool, strconv.Itoa(r.Nodes)}
			for _, c := range cols {
				cells = append(cells, count(r.Pods[c]))
			}
			cells = append(cells, count(r.Pods[placement.NoLevel]), mark(count(r.Mixed), r.Mixed > 0, color))
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
	} else {
		for _, n := range l.Nodes {
			pool := n.Pool()
			if n.ControlPlane {
				pool += " (control plane)"
			}
			cells := []string{n.Name, pool}
			for _, c := range cols {
				cells = append(cells, count(n.Pods[c]))
			}
			m := ""
			if n.Mixed() {
				m = mark("MIXED", true, color)
			}
			cells = append(cells, count(n.Pods[placement.NoLevel]), count(n.System), m)
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
	}
	if err := tw.Flush(); err != nil {
		return false, err
	}
	fmt.Fprintf(w, "\n%d nodes, %d running Pods of several levels", len(l.Nodes), mixed)
	if l.Unbound > 0 {
		fmt.Fprintf(w, "; %d Pods not bound to a node yet", l.Unbound)
	}
	_, err := fmt.Fprintln(w, ".")
	return mixed > 0, err
}

// mark colours a cell red on a terminal.
func mark(s string, bad, color bool) string {
	if bad && color {
		return "\x1b[31m" + s + "\x1b[0m"
	}
	return s
}

func writeWorkloadView(w io.Writer, o *placementOptions, cfg *audit.Config, rows []placement.WorkloadReach) (bool, error) {
	bad := 0
	for _, r := range rows {
		if r.Outside() {
			bad++
		}
	}
	if o.output == "json" {
		if rows == nil {
			rows = []placement.WorkloadReach{}
		}
		return bad > 0, writeJSON(w, struct {
			View      string                    `json:"view"`
			Workloads []placement.WorkloadReach `json:"workloads"`
			Outside   int                       `json:"outside"`
		}{"workload", rows, bad})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := []string{"WORKLOAD", "LEVEL"}
	for _, p := range placement.Pools(&cfg.Sensitivity) {
		head = append(head, strings.ToUpper(p.Level))
	}
	head = append(head, "UNPOOLED")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		level := r.Level
		switch {
		case level == "":
			level = "(none)"
		case cfg.Sensitivity.Rank(level) < 0:
			level += " (unknown)"
		}
		cells := []string{r.Workload.String(), level}
		for _, a := range r.Pools {
			switch {
			case a.Outside:
				cells = append(cells, "yes!")
			case a.Decision.Fits:
				cells = append(cells, "yes")
			default:
				cells = append(cells, "-")
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return false, err
	}
	_, err := fmt.Fprintf(w, "\n%d workloads, %d can be scheduled outside their level's pool (yes!). See: rampart placement explain WORKLOAD\n", len(rows), bad)
	return bad > 0, err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newPlacementExplainCmd(s streams) *cobra.Command {
	o := &placementOptions{}
	cmd := &cobra.Command{
		Use:   "explain WORKLOAD [PATH...]",
		Short: "Explain on which pools and nodes a workload can be scheduled",
		Long: `Explain answers, for one workload, whether the scheduler could place it on
each node pool of the policy and on unpooled nodes (and, from a cluster or a
snapshot, on each real node), and which nodeSelector key, required node
affinity term or taint decides it, with the file and line of that field.

WORKLOAD is kind/namespace/name (kubectl kind names and short names work:
deploy, sts, ds, po ...), namespace/name, or name. A manifest without a
namespace is in "default".

A pool's nodes are taken to carry exactly the pool's nodeSelector labels among
the pools' label keys, any other label the workload asks for, and the pool's
taint; unpooled nodes carry no pool's labels and no taint.

Exit codes: 0 answered; 2 usage or input error, or no such workload.`,
		Example: `  # From manifests
  rampart placement explain deploy/payments/api k8s/

  # On the nodes of the current cluster
  rampart placement explain payments/api-7d9f8-x2x4q

  # From a snapshot, as JSON
  rampart placement explain sts/vault/db --snapshot cluster.yaml -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, cfg, err := o.load(cmd, s, args[1:])
			if err != nil {
				return err
			}
			obj, err := placement.Find(inv, args[0])
			if err != nil {
				if errors.Is(err, placement.ErrNoWorkload) || errors.Is(err, placement.ErrAmbiguousWorkload) {
					return usageError("%w", err)
				}
				return usageError("workload %w", err)
			}
			e := placement.Explain(inv, cfg, obj)
			if o.output == "json" {
				err = writeJSON(s.out, e)
			} else {
				err = writeExplanation(s.out, e, useColor(s, o.output, o.noColor))
			}
			if err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("write placement: %w", err)}
			}
			if inputErrors(inv) {
				return &exitError{code: ExitError}
			}
			return nil
		},
	}
	o.add(cmd)
	return cmd
}

func writeExplanation(w io.Writer, e *placement.Explanation, color bool) error {
	level := "no level"
	switch e.LevelSource {
	case "workload":
		level = "level " + e.Level + " (from its own label)"
	case "namespace":
		level = "level " + e.Level + " (from its namespace's label)"
	}
	fmt.Fprintf(w, "%s: %s\n", e.Workload, level)
	if e.NodeName != "" {
		fmt.Fprintf(w, "Runs on node %s.\n", e.NodeName)
	}
	fmt.Fprintln(w, "\nPools:")
	for _, a := range e.Pools {
		writeAnswer(w, a, color)
	}
	if len(e.Nodes) > 0 {
		fits := 0
		for _, a := range e.Nodes {
			if a.Decision.Fits {
				fits++
			}
		}
		fmt.Fprintf(w, "\nNodes (%d of %d fit):\n", fits, len(e.Nodes))
		for _, a := range e.Nodes {
			writeAnswer(w, a, color)
		}
	}
	return nil
}

func writeAnswer(w io.Writer, a placement.Answer, color bool) {
	verdict := "no"
	switch {
	case a.Outside:
		verdict = mark("yes, outside its level's pool", true, color)
	case a.Decision.Fits:
		verdict = "yes"
	}
	fmt.Fprintf(w, "  %s [%s]: %s\n", a.Name, a.Describe, verdict)
	fmt.Fprintf(w, "      %s\n", a.Decision.Reason)
	if a.Decision.Path != "" {
		where := string(a.Decision.Path)
		if p := a.Place.String(); p != "" {
			where += " at " + p
		}
		fmt.Fprintf(w, "      decided by %s\n", where)
	}
}
