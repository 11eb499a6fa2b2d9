package placement

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	registry.Register(
		&audit.Check{
			ID:    "placement-outside-pool",
			Title: "Workload can run outside its sensitivity level's node pool",
			Description: "Fires when the scheduler could place a workload on a node outside its level's pool: on a node of another level's pool, or on a node of no pool. " +
				"The answer follows the scheduler's own rules (nodeSelector, required node affinity with every operator, tolerations against the pool's taint; PreferNoSchedule taints and preferred affinity do not keep pods off). " +
				"A pool's nodes are taken to carry exactly the pool's nodeSelector labels among the pools' label keys, any other label the workload asks for, and the pool's taint; an unpooled node carries no pool's labels and no taint. " +
				"A workload of a shared level (no pool of its own) fires when it could land on any pool's node. The finding names the nodeSelector, affinity term or toleration that admits the wrong nodes.",
			Severity:    finding.High,
			Remediation: "Pin the workload to its pool: set the pool's labels in spec.nodeSelector (or a required node affinity term that names them), and tolerate only its own pool's taint.",
			Controls:    controls,
			Section:     "4.3.4",
			Needs:       workloadNeeds,
			Scan:        true,
			Run:         runOutsidePool,
		},
		&audit.Check{
			ID:    "placement-pool-unreachable",
			Title: "Workload cannot run on its own node pool",
			Description: "Fires when a workload's level has a node pool but the scheduler could never place the workload there: its nodeSelector or required node affinity excludes the pool's labels, " +
				"or it does not tolerate the pool's taint. Its pods then stay Pending, or run elsewhere when placement-outside-pool also fires.",
			Severity:    finding.Medium,
			Remediation: "Select the pool's labels and tolerate the pool's taint (see rampart placement explain for what excludes the pool).",
			Controls:    controls,
			Section:     "4.3.4",
			Needs:       workloadNeeds,
			Scan:        true,
			Run:         runPoolUnreachable,
		},
		&audit.Check{
			ID:    "placement-tolerates-higher-pool",
			Title: "Workload tolerates a more sensitive pool's taint",
			Description: "Fires when a workload tolerates the taint of the node pool of a more sensitive level than its own, including through a wildcard toleration (operator Exists with no key, or no effect). " +
				"The taint is what keeps less sensitive workloads off those nodes; high when nothing else (nodeSelector, required node affinity) keeps this workload off them, medium when its node selection does for now.",
			Severity:    finding.High,
			Remediation: "Remove the toleration, or narrow it to the workload's own pool's taint (key, value and effect).",
			Controls:    controls,
			Section:     "4.3.4",
			Needs:       workloadNeeds,
			Scan:        true,
			Run:         runToleratesHigherPool,
		},
	)
}

// outsideTargets are the kinds of node outside the level's pool.
func outsideTargets(pools []Pool, level string) []Target {
	own := -1
	for i := range pools {
		if pools[i].Level == level {
			own = i
		}
	}
	var out []Target
	if own < 0 { // a shared level: every pool is outside
		for i := range pools {
			out = append(out, PoolTarget(&pools[i]))
		}
		return out
	}
	out = append(out, UnpooledTarget(pools))
	for i := range pools {
		if i != own {
			out = append(out, Target{Pool: &pools[i], Avoid: []Pool{pools[own]}})
		}
	}
	return out
}

// Outside returns, for a workload of a declared level, each kind of node
// outside its level's pool that it can be scheduled on, with what admits it.
func Outside(w *Workload, pools []Pool) []Reach {
	var out []Reach
	terms := w.Spec.terms()
	for _, t := range outsideTargets(pools, w.Level.Name) {
		if d, node := w.Spec.onTarget(t, terms); d.Fits {
			out = append(out, Reach{Target: t, Decision: d, Witness: node})
		}
	}
	return out
}

// Reach is a kind of node a workload can be scheduled on.
type Reach struct {
	Target   Target
	Decision Decision
	// Witness is a node of that kind the scheduler's helpers accept.
	Witness *corev1.Node
}

func runOutsidePool(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	s := &cfg.Sensitivity
	if !s.Enabled() {
		return nil
	}
	pools := Pools(s)
	var out []finding.Finding
	for _, w := range Workloads(inv, cfg) {
		if s.Rank(w.Level.Name) < 0 {
			continue
		}
		reach := Outside(&w, pools)
		if len(reach) == 0 {
			continue
		}
		var parts []string
		for _, r := range reach {
			parts = append(parts, fmt.Sprintf("on %s: %s", r.Target.describe(), r.Decision.Reason))
		}
		path := reach[0].Decision.Path
		if path == "" {
			path = w.Spec.Path
		}
		own := "the unpooled nodes of its shared level"
		if l := s.Level(w.Level.Name); l.NodePool != nil {
			own = fmt.Sprintf("its pool (%s)", labelsOf(l.NodePool.NodeSelector))
		}
		out = append(out, finding.Finding{
			Object:   w.Object.Ref(),
			Place:    w.Object.Place(path),
			Severity: finding.High,
			Message: fmt.Sprintf("%s %q (level %s) can be scheduled outside %s: %s",
				w.Object.Kind, w.Object.Name, w.Level.Name, own, strings.Join(parts, "; ")),
		})
	}
	return out
}

func runPoolUnreachable(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	s := &cfg.Sensitivity
	if !s.Enabled() {
		return nil
	}
	pools := Pools(s)
	var out []finding.Finding
	for _, w := range Workloads(inv, cfg) {
		p := poolOf(pools, w.Level.Name)
		if p == nil {
			continue
		}
		d, _ := w.Spec.OnTarget(PoolTarget(p))
		if d.Fits {
			continue
		}
		out = append(out, finding.Finding{
			Object:   w.Object.Ref(),
			Place:    w.Object.Place(d.Path),
			Severity: finding.Medium,
			Message:  fmt.Sprintf("%s %q (level %s) cannot be scheduled on the nodes of its %s: %s", w.Object.Kind, w.Object.Name, w.Level.Name, p.String(), d.Reason),
		})
	}
	return out
}

func runToleratesHigherPool(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	s := &cfg.Sensitivity
	if !s.Enabled() {
		return nil
	}
	pools := Pools(s)
	var out []finding.Finding
	for _, w := range Workloads(inv, cfg) {
		rank := s.Rank(w.Level.Name)
		if rank < 0 {
			continue
		}
		for i := range pools {
			p := &pools[i]
			if p.Rank <= rank {
				continue
			}
			for _, taint := range p.Taints {
				if !repels(&taint) {
					continue
				}
				j := Toleration(w.Spec.Tolerations, &taint)
				if j < 0 {
					continue
				}
				sev, rest := finding.High, ", and nothing in its node selection keeps it off those nodes"
				if d, _ := w.Spec.OnTarget(PoolTarget(p)); !d.Fits {
					sev, rest = finding.Medium, "; its node selection keeps it off those nodes for now ("+d.Reason+")"
				}
				out = append(out, finding.Finding{
					Object:   w.Object.Ref(),
					Place:    w.Object.Place(w.Spec.TolerationPath(j)),
					Severity: sev,
					Message: fmt.Sprintf("%s %q (level %s) has tolerations[%d] (%s), which tolerates taint %s of %s, a more sensitive level%s",
						w.Object.Kind, w.Object.Name, w.Level.Name, j, TolerationString(w.Spec.Tolerations[j]), TaintString(taint), p.String(), rest),
				})
			}
		}
	}
	return out
}

// poolOf returns the pool of a level, or nil for a shared or unknown level.
func poolOf(pools []Pool, level string) *Pool {
	for i := range pools {
		if pools[i].Level == level {
			return &pools[i]
		}
	}
	return nil
}

func labelsOf(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}
