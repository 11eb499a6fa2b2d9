package placement

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

// The differential test generates many pod specs and nodes over a small
// vocabulary (so that they collide often) and compares Rampart's answers
// with direct calls of the scheduler's helpers.

var vocab = map[string][]string{
	"pool":  {"public", "internal", "restricted", "other"},
	"tier":  {"secure", "plain"},
	"zone":  {"a", "b"},
	"cores": {"2", "4", "8", "x"},
	"disk":  {"ssd", ""},
}

var vocabKeys = []string{"pool", "tier", "zone", "cores", "disk"}

var taintPool = []corev1.Taint{
	{Key: "pool", Value: "public", Effect: corev1.TaintEffectNoSchedule},
	{Key: "pool", Value: "internal", Effect: corev1.TaintEffectPreferNoSchedule},
	{Key: "restricted", Value: "true", Effect: corev1.TaintEffectNoExecute},
	{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule},
	{Key: "zone-x", Effect: corev1.TaintEffectNoExecute},
	{Key: "level", Value: "5", Effect: corev1.TaintEffectNoSchedule},
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func genLabels(r *rand.Rand) map[string]string {
	ls := map[string]string{}
	for _, k := range vocabKeys {
		if r.IntN(2) == 0 {
			ls[k] = pick(r, vocab[k])
		}
	}
	return ls
}

func genNode(r *rand.Rand, i int) *corev1.Node {
	n := &corev1.Node{}
	n.Name = pick(r, []string{"n1", "n2", fmt.Sprintf("node-%d", i)})
	n.Labels = genLabels(r)
	for _, t := range taintPool {
		if r.IntN(4) == 0 {
			n.Spec.Taints = append(n.Spec.Taints, t)
		}
	}
	return n
}

var operators = []corev1.NodeSelectorOperator{"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"}

func genRequirement(r *rand.Rand) corev1.NodeSelectorRequirement {
	k := pick(r, vocabKeys)
	req := corev1.NodeSelectorRequirement{Key: k, Operator: pick(r, operators)}
	switch req.Operator {
	case "In", "NotIn":
		for range 1 + r.IntN(2) {
			req.Values = append(req.Values, pick(r, vocab[k]))
		}
	case "Gt", "Lt":
		req.Values = []string{pick(r, []string{"1", "3", "4", "8", "9"})}
	}
	if r.IntN(40) == 0 { // now and then, something that does not parse
		req.Operator = pick(r, []corev1.NodeSelectorOperator{"Like", "Gt", "In"})
		req.Values = pick(r, [][]string{nil, {"a", "b"}, {"x"}})
	}
	return req
}

func genSpec(r *rand.Rand) Spec {
	s := Spec{Path: "spec"}
	if r.IntN(3) == 0 {
		s.NodeSelector = map[string]string{}
		for range 1 + r.IntN(2) {
			k := pick(r, vocabKeys)
			s.NodeSelector[k] = pick(r, vocab[k])
		}
	}
	if r.IntN(3) != 0 {
		ns := &corev1.NodeSelector{}
		for range r.IntN(4) {
			var term corev1.NodeSelectorTerm
			for range r.IntN(4) {
				term.MatchExpressions = append(term.MatchExpressions, genRequirement(r))
			}
			if r.IntN(6) == 0 {
				term.MatchFields = append(term.MatchFields, corev1.NodeSelectorRequirement{
					Key: "metadata.name", Operator: pick(r, []corev1.NodeSelectorOperator{"In", "NotIn"}), Values: []string{pick(r, []string{"n1", "n2"})}})
			}
			ns.NodeSelectorTerms = append(ns.NodeSelectorTerms, term)
		}
		s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: ns}}
	}
	for range r.IntN(4) {
		t := pick(r, taintPool)
		tol := corev1.Toleration{Key: t.Key, Value: t.Value, Effect: t.Effect}
		switch r.IntN(6) {
		case 0:
			tol = corev1.Toleration{Operator: corev1.TolerationOpExists}
		case 1:
			tol.Operator, tol.Value = corev1.TolerationOpExists, ""
		case 2:
			tol.Effect = ""
		case 3:
			tol.Value = "other"
		case 4:
			tol.Operator, tol.Value = corev1.TolerationOpGt, pick(r, []string{"3", "7"})
		}
		s.Tolerations = append(s.Tolerations, tol)
	}
	return s
}

// upstream answers with direct calls of the scheduler's helpers.
func upstream(s Spec, n *corev1.Node) bool {
	pod := &corev1.Pod{Spec: corev1.PodSpec{NodeSelector: s.NodeSelector, Affinity: s.Affinity, Tolerations: s.Tolerations}}
	ok, _ := nodeaffinity.GetRequiredNodeAffinity(pod).Match(n)
	if !ok {
		return false
	}
	logger := logr.Discard()
	for i := range n.Spec.Taints {
		t := &n.Spec.Taints[i]
		if t.Effect == corev1.TaintEffectPreferNoSchedule {
			continue
		}
		if !corev1helpers.TolerationsTolerateTaint(logger, s.Tolerations, t, true) {
			return false
		}
	}
	return true
}

// targets are every kind of node the checks ask about.
func targets(pools []Pool) []Target {
	ts := []Target{UnpooledTarget(pools)}
	for i := range pools {
		ts = append(ts, PoolTarget(&pools[i]))
		for j := range pools {
			if i != j {
				ts = append(ts, Target{Pool: &pools[i], Avoid: []Pool{pools[j]}})
			}
		}
	}
	return ts
}

// shape turns a random node into a node of the target: its pool's labels
// and taint, and nothing of an avoided pool (ok false when impossible).
func shape(n *corev1.Node, t Target) (*corev1.Node, bool) {
	m := n.DeepCopy()
	if t.Pool != nil {
		for k, v := range t.Pool.Selector {
			m.Labels[k] = v
		}
	}
	m.Spec.Taints = t.taints()
	return m, inRegion(m.Labels, t)
}

func TestDifferentialAgainstScheduler(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 4))
	s := testSensitivity()
	pools := Pools(&s)
	ts := targets(pools)
	const specs, nodesPerSpec = 1500, 24
	var fitsNode, missNode, fitsTarget, missTarget int
	for i := range specs {
		sp := genSpec(r)
		nodes := make([]*corev1.Node, nodesPerSpec)
		for j := range nodes {
			nodes[j] = genNode(r, j)
		}
		// 1. A real node: OnNode is the scheduler's answer.
		for _, n := range nodes {
			want := upstream(sp, n)
			d := sp.OnNode(n)
			if d.Fits != want {
				t.Fatalf("spec %d: OnNode(%v, taints %v) = %v (%s), scheduler says %v\nspec: %+v", i, n.Labels, n.Spec.Taints, d.Fits, d.Reason, want, sp)
			}
			if want {
				fitsNode++
			} else {
				missNode++
			}
		}
		// 2. A kind of node: a "no" must hold for every node of that kind,
		// and a "yes" must come with a node of that kind the scheduler accepts.
		for _, tg := range ts {
			d, w := sp.OnTarget(tg)
			if d.Fits {
				fitsTarget++
				if w == nil || !inRegion(w.Labels, tg) || !upstream(sp, w) || len(w.Spec.Taints) != len(tg.taints()) {
					t.Fatalf("spec %d target %s: witness %+v is not a node of the target the scheduler accepts\nspec: %+v", i, tg.Name(), w, sp)
				}
				continue
			}
			missTarget++
			for _, n := range nodes {
				m, ok := shape(n, tg)
				if ok && upstream(sp, m) {
					t.Fatalf("spec %d target %s (avoid %v): Rampart says no (%s) but the scheduler accepts node %s %v taints %v\nspec: %+v affinity %+v",
						i, tg.Name(), tg.Avoid, d.Reason, m.Name, m.Labels, m.Spec.Taints, sp, sp.Affinity)
				}
			}
		}
	}
	t.Logf("nodes: %d fit, %d do not; targets: %d reachable, %d not", fitsNode, missNode, fitsTarget, missTarget)
	if fitsNode < 1000 || missNode < 1000 || fitsTarget < 1000 || missTarget < 1000 {
		t.Errorf("the generator is too lopsided to test both answers: %d/%d nodes, %d/%d targets", fitsNode, missNode, fitsTarget, missTarget)
	}
}
