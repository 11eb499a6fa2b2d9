package placement

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

// The scheduler answers "does this pod fit this node?". A placement check
// asks something no library answers: "is there any node of this kind
// (carrying a pool's labels, or no pool's labels) that the pod fits?",
// where the node's other labels are unknown. The solver below answers it
// by building a witness node: for every label key that the pod or the
// pools mention it tries a finite set of values that represents every
// case the operators can tell apart (absent, each value mentioned, each
// integer bound and its neighbours, and one value mentioned nowhere); keys
// nobody mentions cannot change the answer. Every witness it finds is
// then checked with the upstream matcher, so a "fits" answer is always
// the scheduler's own.

// pred is one requirement a term puts on one label key (or, for key "",
// on the node's name).
type pred struct {
	desc  string
	match func(value string, present bool) bool
	// mentions are the values the requirement names, used as candidates.
	mentions []string
}

// term is one alternative of a pod's node constraints: the node selector
// ANDed with one required affinity term (or alone when there is none).
type term struct {
	index  int // the affinity term's index, or -1 for the node selector alone
	labels map[string][]pred
	name   []pred
	// broken says why the term can match no node ("" when it can).
	broken string
}

// terms returns the alternatives of a pod's node constraints; nil when
// required node affinity is set with no terms at all (nothing matches).
func (s Spec) terms() []term {
	base := map[string][]pred{}
	for _, k := range slices.Sorted(maps.Keys(s.NodeSelector)) {
		want := s.NodeSelector[k]
		base[k] = append(base[k], pred{
			desc:     fmt.Sprintf("nodeSelector %s=%s", k, want),
			match:    func(v string, present bool) bool { return present && v == want },
			mentions: []string{want},
		})
	}
	ns := s.requiredTerms()
	if ns == nil {
		return []term{{index: -1, labels: base}}
	}
	var out []term
	for i := range ns.NodeSelectorTerms {
		out = append(out, newTerm(i, base, &ns.NodeSelectorTerms[i]))
	}
	return out
}

func newTerm(i int, base map[string][]pred, nt *corev1.NodeSelectorTerm) term {
	t := term{index: i, labels: make(map[string][]pred, len(base)+len(nt.MatchExpressions))}
	for k, ps := range base {
		t.labels[k] = append([]pred(nil), ps...)
	}
	if len(nt.MatchExpressions) == 0 && len(nt.MatchFields) == 0 {
		t.broken = "it is empty, and an empty term matches no node"
		return t
	}
	// Parse errors make the scheduler skip the term; ask it, not a copy.
	if _, err := nodeaffinity.NewNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{*nt}}); err != nil {
		t.broken = "it does not parse, so it matches no node: " + err.Error()
		return t
	}
	for j, r := range nt.MatchExpressions {
		req, err := labels.NewRequirement(r.Key, selectionOp(r.Operator), r.Values)
		if err != nil { // not reached: the term parsed above
			t.broken = err.Error()
			return t
		}
		key := r.Key
		mentions := append([]string(nil), r.Values...)
		if r.Operator == corev1.NodeSelectorOpGt || r.Operator == corev1.NodeSelectorOpLt {
			mentions = append(mentions, neighbours(r.Values[0])...)
		}
		t.labels[key] = append(t.labels[key], pred{
			desc: fmt.Sprintf("matchExpressions[%d] %s", j, RequirementString(r)),
			match: func(v string, present bool) bool {
				if !present {
					return req.Matches(labels.Set{})
				}
				return req.Matches(labels.Set{key: v})
			},
			mentions: mentions,
		})
	}
	for j, r := range nt.MatchFields {
		var sel fields.Selector
		if r.Operator == corev1.NodeSelectorOpIn {
			sel = fields.OneTermEqualSelector(r.Key, r.Values[0])
		} else {
			sel = fields.OneTermNotEqualSelector(r.Key, r.Values[0])
		}
		var mentions []string
		if r.Key == "metadata.name" {
			mentions = r.Values
		}
		t.name = append(t.name, pred{
			desc:     fmt.Sprintf("matchFields[%d] %s", j, RequirementString(r)),
			match:    func(v string, _ bool) bool { return sel.Matches(fields.Set{"metadata.name": v}) },
			mentions: mentions,
		})
	}
	return t
}

// selectionOp maps a node selector operator the way the scheduler does.
func selectionOp(op corev1.NodeSelectorOperator) selection.Operator {
	switch op {
	case corev1.NodeSelectorOpIn:
		return selection.In
	case corev1.NodeSelectorOpNotIn:
		return selection.NotIn
	case corev1.NodeSelectorOpExists:
		return selection.Exists
	case corev1.NodeSelectorOpDoesNotExist:
		return selection.DoesNotExist
	case corev1.NodeSelectorOpGt:
		return selection.GreaterThan
	case corev1.NodeSelectorOpLt:
		return selection.LessThan
	}
	return selection.Operator(op)
}

// neighbours returns the integers next to an integer bound, so that a
// value strictly above or below it is always among the candidates.
func neighbours(v string) []string {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil
	}
	var out []string
	if n > math.MinInt64 {
		out = append(out, strconv.FormatInt(n-1, 10))
	}
	if n < math.MaxInt64 {
		out = append(out, strconv.FormatInt(n+1, 10))
	}
	return out
}

// value is a candidate label value; present false means the label is absent.
type value struct {
	v       string
	present bool
}

func (v value) String() string {
	if !v.present {
		return "absent"
	}
	return strconv.Quote(v.v)
}

// fresh returns a value that is none of the mentioned ones and no integer.
func fresh(prefix string, mentioned map[string]bool) string {
	v := prefix
	for i := 2; mentioned[v]; i++ {
		v = prefix + "-" + strconv.Itoa(i)
	}
	return v
}

// region is a kind of node to look for: carrying forced labels, outside
// every selector of avoid, with taints.
type region struct {
	forced map[string]string
	avoid  []map[string]string
}

// witness looks for a node in region r that term t admits. It returns the
// node's labels and name, or why there is none.
func (t term) witness(r region) (map[string]string, string, bool, string) {
	if t.broken != "" {
		return nil, "", false, t.broken
	}
	keySet := map[string]bool{}
	for k := range t.labels {
		keySet[k] = true
	}
	for k := range r.forced {
		keySet[k] = true
	}
	for _, a := range r.avoid {
		for k := range a {
			keySet[k] = true
		}
	}
	keys := make([]string, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	// feasible values per key
	feasible := make(map[string][]value, len(keys))
	for _, k := range keys {
		mentioned := map[string]bool{}
		for _, p := range t.labels[k] {
			for _, m := range p.mentions {
				mentioned[m] = true
			}
		}
		if v, ok := r.forced[k]; ok {
			mentioned[v] = true
		}
		for _, a := range r.avoid {
			if v, ok := a[k]; ok {
				mentioned[v] = true
			}
		}
		cands := []value{{present: false}, {v: fresh("rampart-other", mentioned), present: true}}
		for _, m := range sortedSet(mentioned) {
			cands = append(cands, value{v: m, present: true})
		}
		var ok []value
		var blocker string
		for _, c := range cands {
			if want, forced := r.forced[k]; forced && (!c.present || c.v != want) {
				continue
			}
			pass := true
			for _, p := range t.labels[k] {
				if !p.match(c.v, c.present) {
					pass = false
					if blocker == "" {
						blocker = p.desc
					}
					break
				}
			}
			if pass {
				ok = append(ok, c)
			}
		}
		if len(ok) == 0 {
			if want, forced := r.forced[k]; forced {
				return nil, "", false, fmt.Sprintf("%s excludes the label %s=%s", blocker, k, want)
			}
			return nil, "", false, fmt.Sprintf("the requirements on %s contradict each other", k)
		}
		feasible[k] = ok
	}

	chosen, ok := cover(keys, feasible, r.avoid)
	if !ok {
		return nil, "", false, fmt.Sprintf("every node it admits carries %s", selectorString(firstUncoverable(keys, feasible, r.avoid)))
	}

	name, ok := t.nodeName()
	if !ok {
		return nil, "", false, "its matchFields admit no node name"
	}
	out := map[string]string{}
	for k, v := range chosen {
		if v.present {
			out[k] = v.v
		}
	}
	return out, name, true, ""
}

// nodeName picks a node name the term's matchFields admit.
func (t term) nodeName() (string, bool) {
	mentioned := map[string]bool{}
	for _, p := range t.name {
		for _, m := range p.mentions {
			mentioned[m] = true
		}
	}
	cands := []string{fresh("rampart-node", mentioned)}
	cands = append(cands, sortedSet(mentioned)...)
	for _, c := range cands {
		pass := true
		for _, p := range t.name {
			if !p.match(c, true) {
				pass = false
				break
			}
		}
		if pass {
			return c, true
		}
	}
	return "", false
}

// maxCombinations bounds the search over keys whose every allowed value
// is one of the avoided pools' values. Beyond it the search is greedy; a
// pod pinning more than a dozen pool keys to pool values at once is not
// a case worth exponential time.
const maxCombinations = 1 << 12

// cover chooses a value per key so that the node escapes every selector
// of avoid (differs from it on at least one of its keys).
func cover(keys []string, feasible map[string][]value, avoid []map[string]string) (map[string]value, bool) {
	chosen := make(map[string]value, len(keys))
	var open []string
	for _, k := range keys {
		vs := feasible[k]
		picked := false
		for _, v := range vs {
			if escapesAll(k, v, avoid) {
				chosen[k] = v
				picked = true
				break
			}
		}
		if !picked {
			chosen[k] = vs[0]
			open = append(open, k)
		}
	}
	if coversAll(chosen, avoid) {
		return chosen, true
	}
	combos := 1
	for _, k := range open {
		combos *= len(feasible[k])
		if combos > maxCombinations {
			break
		}
	}
	if combos <= maxCombinations {
		var try func(i int) bool
		try = func(i int) bool {
			if i == len(open) {
				return coversAll(chosen, avoid)
			}
			for _, v := range feasible[open[i]] {
				chosen[open[i]] = v
				if try(i + 1) {
					return true
				}
			}
			return false
		}
		return chosen, try(0)
	}
	for _, k := range open {
		best, bestN := feasible[k][0], -1
		for _, v := range feasible[k] {
			chosen[k] = v
			if n := escaped(chosen, avoid); n > bestN {
				best, bestN = v, n
			}
		}
		chosen[k] = best
	}
	return chosen, coversAll(chosen, avoid)
}

// escapesAll reports whether value v of key k differs from every avoided
// selector that names k.
func escapesAll(k string, v value, avoid []map[string]string) bool {
	for _, a := range avoid {
		if want, ok := a[k]; ok && v.present && v.v == want {
			return false
		}
	}
	return true
}

func inSelector(chosen map[string]value, a map[string]string) bool {
	for k, want := range a {
		v := chosen[k]
		if !v.present || v.v != want {
			return false
		}
	}
	return true
}

func coversAll(chosen map[string]value, avoid []map[string]string) bool {
	return escaped(chosen, avoid) == len(avoid)
}

func escaped(chosen map[string]value, avoid []map[string]string) int {
	n := 0
	for _, a := range avoid {
		if !inSelector(chosen, a) {
			n++
		}
	}
	return n
}

// firstUncoverable names an avoided selector the pod cannot escape, for
// the explanation: one whose every key is pinned to the selector's value.
func firstUncoverable(keys []string, feasible map[string][]value, avoid []map[string]string) map[string]string {
	for _, a := range avoid {
		pinned := true
		for k, want := range a {
			vs := feasible[k]
			if len(vs) != 1 || !vs[0].present || vs[0].v != want {
				pinned = false
				break
			}
		}
		if pinned {
			return a
		}
	}
	if len(avoid) > 0 {
		return avoid[0]
	}
	return nil
}

func selectorString(m map[string]string) string {
	if len(m) == 0 {
		return "the labels of a pool"
	}
	return labels.Set(m).String()
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
