package placement

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/internal/policy"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Pool is one level's node pool, as the policy declares it.
type Pool struct {
	// Level is the level the pool is reserved for.
	Level string
	// Rank is the level's position (0 is least sensitive).
	Rank     int
	Selector map[string]string
	// Taints holds the pool's taint, when the policy declares one.
	Taints []corev1.Taint
	// sel is Selector as a label selector, built once: pools are matched
	// against every node of a cluster.
	sel labels.Selector
}

// Unpooled names the nodes that belong to no pool in tables and messages.
const Unpooled = "(unpooled)"

// Pools returns the pools the policy declares, in level order.
func Pools(s *policy.Sensitivity) []Pool {
	var out []Pool
	for i, l := range s.Levels {
		if l.NodePool == nil {
			continue
		}
		p := Pool{Level: l.Name, Rank: i, Selector: l.NodePool.NodeSelector, sel: labels.SelectorFromSet(l.NodePool.NodeSelector)}
		if t := l.NodePool.Taint; t != nil {
			p.Taints = []corev1.Taint{{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)}}
		}
		out = append(out, p)
	}
	return out
}

// Contains reports whether a node with these labels belongs to the pool.
func (p Pool) Contains(nodeLabels map[string]string) bool {
	if p.sel == nil {
		p.sel = labels.SelectorFromSet(p.Selector)
	}
	return p.sel.Matches(labels.Set(nodeLabels))
}

// String describes the pool's nodes.
func (p Pool) String() string {
	s := fmt.Sprintf("pool %q (%s", p.Level, labels.Set(p.Selector).String())
	for _, t := range p.Taints {
		s += ", taint " + TaintString(t)
	}
	return s + ")"
}

// Target is a kind of node a pod may or may not reach: the nodes of one
// pool (that belong to no pool of the avoided ones), or the nodes of no
// pool at all.
type Target struct {
	// Pool is nil for unpooled nodes.
	Pool *Pool
	// Avoid are the pools the node must not belong to.
	Avoid []Pool
}

// PoolTarget is any node of pool p.
func PoolTarget(p *Pool) Target { return Target{Pool: p} }

// UnpooledTarget is a node of none of the pools, with no taint: the
// worst case of a node nobody reserved.
func UnpooledTarget(pools []Pool) Target { return Target{Avoid: pools} }

// Name is the pool's level, or Unpooled.
func (t Target) Name() string {
	if t.Pool == nil {
		return Unpooled
	}
	return t.Pool.Level
}

// describe says which nodes the target stands for, in a message.
func (t Target) describe() string {
	if t.Pool == nil {
		return "unpooled nodes (no pool's labels, no taint)"
	}
	return "nodes of " + t.Pool.String()
}

func (t Target) region() region {
	r := region{}
	if t.Pool != nil {
		r.forced = t.Pool.Selector
	}
	for _, a := range t.Avoid {
		r.avoid = append(r.avoid, a.Selector)
	}
	return r
}

func (t Target) taints() []corev1.Taint {
	if t.Pool == nil {
		return nil
	}
	return t.Pool.Taints
}

// OnTarget decides whether the pod can be scheduled on some node of the
// target, assuming such nodes carry exactly their pool's labels among the
// pools' label keys, any other labels the pod asks for, and their pool's
// taint and no other. When it fits, the witness is such a node, and the
// upstream scheduler helpers have confirmed the pod fits it.
func (s Spec) OnTarget(t Target) (Decision, *corev1.Node) {
	return s.onTarget(t, s.terms())
}

// onTarget is OnTarget with the pod's terms prepared once for all targets.
func (s Spec) onTarget(t Target, terms []term) (Decision, *corev1.Node) {
	taints := t.taints()
	d, node := s.labelsOnTarget(t, taints, terms)
	if bad, untolerated := Untolerated(taints, s.Tolerations); untolerated {
		reason := fmt.Sprintf("taint %s is not tolerated", TaintString(bad))
		if !d.Fits {
			reason += "; and " + d.Reason
		}
		return Decision{Term: -1, Toleration: -1, Reason: reason, Path: s.Path.Key("tolerations")}, nil
	}
	return d, node
}

// labelsOnTarget decides the node affinity half of OnTarget: is there a
// node of the target whose labels and name the pod's node selector and
// required node affinity admit?
func (s Spec) labelsOnTarget(t Target, taints []corev1.Taint, terms []term) (Decision, *corev1.Node) {
	d := Decision{Term: -1, Toleration: -1}
	if len(terms) == 0 {
		d.Reason = "required node affinity has no terms, which matches no node"
		d.Path = s.Path.Keys("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
		return d, nil
	}
	var why []string
	r := t.region()
	for _, tm := range terms {
		ls, name, ok, reason := tm.witness(r)
		if !ok {
			if tm.index >= 0 {
				why = append(why, fmt.Sprintf("term %d: %s", tm.index, reason))
			} else {
				why = append(why, reason)
			}
			continue
		}
		node := &corev1.Node{}
		node.Name, node.Labels, node.Spec.Taints = name, ls, taints
		if !s.Matches(node) {
			// The witness is checked with the scheduler's helpers; a
			// disagreement is a bug here, and "cannot" is the answer that
			// claims nothing unproven.
			why = append(why, fmt.Sprintf("term %d: no node found", tm.index))
			continue
		}
		d.Fits = true
		d.Term = tm.index
		switch {
		case tm.index >= 0:
			d.Path = s.TermPath(tm.index)
			d.Reason = fmt.Sprintf("required node affinity term %d (%s) admits them", tm.index, TermString(&s.requiredTerms().NodeSelectorTerms[tm.index]))
		case len(s.NodeSelector) > 0:
			d.Path = s.Path.Key("nodeSelector")
			d.Reason = fmt.Sprintf("nodeSelector %s admits them", labels.Set(s.NodeSelector).String())
		default:
			d.Reason = "nothing in the pod spec selects nodes (no nodeSelector, no required node affinity)"
		}
		if w, i := s.tolerated(taints); i >= 0 {
			d.Toleration = i
			d.Reason += "; " + w
		}
		return d, node
	}
	d.Reason = strings.Join(why, "; ")
	switch {
	case len(terms) == 1 && terms[0].index < 0:
		d.Path = s.Path.Key("nodeSelector")
	case len(terms) == 1:
		d.Path = s.TermPath(terms[0].index)
	default:
		d.Path = s.Path.Keys("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
	}
	return d, nil
}
