package placement

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// Errors of Find, for callers that branch on them.
var (
	ErrNoWorkload        = errors.New("no such workload")
	ErrAmbiguousWorkload = errors.New("several workloads match")
)

// kindAliases maps what users type (kubectl's names and short names) to kinds.
var kindAliases = map[string]string{
	"pod": "Pod", "pods": "Pod", "po": "Pod",
	"deployment": "Deployment", "deployments": "Deployment", "deploy": "Deployment",
	"statefulset": "StatefulSet", "statefulsets": "StatefulSet", "sts": "StatefulSet",
	"daemonset": "DaemonSet", "daemonsets": "DaemonSet", "ds": "DaemonSet",
	"replicaset": "ReplicaSet", "replicasets": "ReplicaSet", "rs": "ReplicaSet",
	"replicationcontroller": "ReplicationController", "replicationcontrollers": "ReplicationController", "rc": "ReplicationController",
	"job": "Job", "jobs": "Job",
	"cronjob": "CronJob", "cronjobs": "CronJob", "cj": "CronJob",
	"podtemplate": "PodTemplate", "podtemplates": "PodTemplate",
}

// Find returns the workload named kind/namespace/name, namespace/name or
// name. A manifest without a namespace is in "default". When several
// objects match, one that no controller in inv owns is preferred.
func Find(inv *inventory.Inventory, ref string) (*inventory.Object, error) {
	parts := strings.Split(ref, "/")
	var kind, ns, name string
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		ns, name = parts[0], parts[1]
	case 3:
		k, ok := kindAliases[strings.ToLower(parts[0])]
		if !ok {
			return nil, fmt.Errorf("%q: %q is not a kind that runs pods", ref, parts[0])
		}
		kind, ns, name = k, parts[1], parts[2]
	default:
		return nil, fmt.Errorf("%q: want kind/namespace/name, namespace/name or name", ref)
	}
	if name == "" {
		return nil, fmt.Errorf("%q: the name is empty", ref)
	}
	var found []*inventory.Object
	for _, o := range inv.Objects {
		if o.Name != name || (kind != "" && o.Kind != kind) || (ns != "" && namespaceOf(o) != ns) || inventory.PodOf(o) == nil {
			continue
		}
		found = append(found, o)
	}
	if len(found) > 1 {
		var top []*inventory.Object
		for _, o := range found {
			if !inventory.ControllerOwned(o, inv) {
				top = append(top, o)
			}
		}
		if len(top) > 0 {
			found = top
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: %s", ErrNoWorkload, ref)
	case 1:
		return found[0], nil
	}
	var names []string
	for _, o := range found {
		names = append(names, o.Kind+"/"+namespaceOf(o)+"/"+o.Name)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("%w %s: %s (name one as kind/namespace/name)", ErrAmbiguousWorkload, ref, strings.Join(names, ", "))
}

// Explanation says where one workload can be scheduled, and why.
type Explanation struct {
	Workload finding.ObjectRef `json:"workload"`
	Level    string            `json:"level"`
	// LevelSource says where the level was read: "workload", "namespace"
	// or "" when there is none.
	LevelSource string `json:"levelSource"`
	// NodeName is the node a bound Pod runs on.
	NodeName string `json:"nodeName,omitempty"`
	// Pools has one answer per pool and one for unpooled nodes.
	Pools []Answer `json:"pools"`
	// Nodes has one answer per node of the inventory (live or snapshot).
	Nodes []Answer `json:"nodes,omitempty"`
}

// Answer is whether the workload can be scheduled on one pool or node.
type Answer struct {
	// Name is the pool's level, Unpooled, or the node's name.
	Name string `json:"name"`
	// Describe says what the pool's nodes carry, or the node's pools.
	Describe string   `json:"describe"`
	Decision Decision `json:"decision"`
	// Outside says the node is outside the workload's level's pool, so a
	// "fits" here is what the placement checks report.
	Outside bool `json:"outside"`
	// Place is where the deciding field stands in the input.
	Place finding.Place `json:"place"`
}

// Explain answers, for every pool and every node of inv, whether the
// workload o can be scheduled there and what decides it.
func Explain(inv *inventory.Inventory, cfg *audit.Config, o *inventory.Object) *Explanation {
	s := &cfg.Sensitivity
	p := inventory.PodOf(o)
	if p == nil {
		return nil
	}
	root := newOwners(inv).root(o)
	lv := levelOf(s, root, inventory.PodOf(root), namespaceIndex(inv)[namespaceOf(root)])
	e := &Explanation{Workload: o.Ref(), Level: lv.Name}
	switch {
	case lv.FromNamespace:
		e.LevelSource = "namespace"
	case lv.Name != "":
		e.LevelSource = "workload"
	}
	if pod, ok := o.Typed.(*corev1.Pod); ok {
		e.NodeName = pod.Spec.NodeName
	}
	sp := SpecOf(p)
	pools := Pools(s)
	ts := make([]Target, 0, len(pools)+1)
	for i := range pools {
		ts = append(ts, PoolTarget(&pools[i]))
	}
	ts = append(ts, UnpooledTarget(pools))
	for _, t := range ts {
		d, _ := sp.OnTarget(t)
		a := Answer{Name: t.Name(), Describe: strings.TrimPrefix(t.describe(), "nodes of "), Decision: d, Place: o.Place(pathOr(d.Path, sp.Path))}
		a.Outside = d.Fits && outside(s.Rank(lv.Name) >= 0, poolOf(pools, lv.Name), targetPools(t))
		e.Pools = append(e.Pools, a)
	}
	for _, n := range inv.Objects {
		node, ok := n.Typed.(*corev1.Node)
		if !ok {
			continue
		}
		var in []string
		for _, pl := range pools {
			if pl.Contains(node.Labels) {
				in = append(in, pl.Level)
			}
		}
		d := sp.OnNode(node)
		desc := "no pool"
		if len(in) > 0 {
			desc = "pool " + strings.Join(in, ", ")
		}
		a := Answer{Name: n.Name, Describe: desc, Decision: d, Place: o.Place(pathOr(d.Path, sp.Path))}
		a.Outside = d.Fits && outside(s.Rank(lv.Name) >= 0, poolOf(pools, lv.Name), in)
		e.Nodes = append(e.Nodes, a)
	}
	return e
}

func pathOr(p, alt inventory.FieldPath) inventory.FieldPath {
	if p == "" {
		return alt
	}
	return p
}

func targetPools(t Target) []string {
	if t.Pool == nil {
		return nil
	}
	return []string{t.Pool.Level}
}

// outside reports whether a node in pools nodePools lies outside the pool
// of a workload of a declared level whose own pool is own (nil for a
// shared level, which belongs on unpooled nodes).
func outside(declared bool, own *Pool, nodePools []string) bool {
	switch {
	case !declared:
		return false
	case own == nil:
		return len(nodePools) > 0
	default:
		return !slices.Contains(nodePools, own.Level)
	}
}

// WorkloadReach is one row of the offline placement table: the pools a
// workload can be scheduled on.
type WorkloadReach struct {
	Workload finding.ObjectRef `json:"workload"`
	Level    string            `json:"level"`
	// Pools has one answer per pool, then one for unpooled nodes.
	Pools []Answer `json:"pools"`
}

// Outside reports whether the workload can land outside its pool.
func (w WorkloadReach) Outside() bool {
	return slices.ContainsFunc(w.Pools, func(a Answer) bool { return a.Outside })
}

// Reachability answers, for every workload that the checks judge, which
// pools it can be scheduled on.
func Reachability(inv *inventory.Inventory, cfg *audit.Config) []WorkloadReach {
	s := &cfg.Sensitivity
	pools := Pools(s)
	ts := make([]Target, 0, len(pools)+1)
	for i := range pools {
		ts = append(ts, PoolTarget(&pools[i]))
	}
	ts = append(ts, UnpooledTarget(pools))
	var out []WorkloadReach
	for _, w := range Workloads(inv, cfg) {
		r := WorkloadReach{Workload: w.Object.Ref(), Level: w.Level.Name}
		own := poolOf(pools, w.Level.Name)
		terms := w.Spec.terms()
		for _, t := range ts {
			d, _ := w.Spec.onTarget(t, terms)
			a := Answer{Name: t.Name(), Decision: d, Place: w.Object.Place(pathOr(d.Path, w.Spec.Path))}
			a.Outside = d.Fits && outside(s.Rank(w.Level.Name) >= 0, own, targetPools(t))
			r.Pools = append(r.Pools, a)
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Workload.String() < out[j].Workload.String() })
	return out
}
