package placement

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/go-logr/logr"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

// ComparisonOperators says whether tolerations with the Gt and Lt
// operators tolerate taints, as the scheduler's
// TaintTolerationComparisonOperators feature does. Rampart assumes the
// feature is on: a toleration it enables lets a pod onto more nodes, and
// a placement check must not miss a node a pod could reach.
const ComparisonOperators = true

// logger is handed to the upstream toleration helpers, which log only
// when a numeric toleration value does not parse; that is not worth a
// line on the user's terminal.
var logger = logr.Discard()

// Spec is what decides where a pod may run: its node selector, required
// node affinity and tolerations, with where each stands in the object.
type Spec struct {
	NodeSelector map[string]string
	Affinity     *corev1.Affinity
	Tolerations  []corev1.Toleration
	// Path is the pod spec's path in the object (spec, spec.template.spec …).
	Path inventory.FieldPath
}

// SpecOf returns the scheduling part of a workload's pod.
func SpecOf(p *inventory.Pod) Spec {
	return Spec{NodeSelector: p.Spec.NodeSelector, Affinity: p.Spec.Affinity, Tolerations: p.Spec.Tolerations, Path: p.SpecPath}
}

// requiredTerms returns the required node affinity, or nil when the pod
// has none (then the node selector alone decides).
func (s Spec) requiredTerms() *corev1.NodeSelector {
	if s.Affinity == nil || s.Affinity.NodeAffinity == nil {
		return nil
	}
	return s.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
}

// NodeSelectorPath is the path of one node selector key.
func (s Spec) NodeSelectorPath(key string) inventory.FieldPath {
	return s.Path.Key("nodeSelector").Key(key)
}

// TermPath is the path of one required node affinity term.
func (s Spec) TermPath(i int) inventory.FieldPath {
	return s.Path.Keys("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms").Index(i)
}

// TolerationPath is the path of one toleration.
func (s Spec) TolerationPath(i int) inventory.FieldPath {
	return s.Path.Key("tolerations").Index(i)
}

// repels reports whether a taint keeps pods off a node at scheduling time:
// NoSchedule and NoExecute do, PreferNoSchedule only discourages.
func repels(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

// Untolerated returns the first taint of taints that repels pods and that
// none of the tolerations tolerates, as the scheduler's TaintToleration
// filter decides it.
func Untolerated(taints []corev1.Taint, tolerations []corev1.Toleration) (corev1.Taint, bool) {
	return corev1helpers.FindMatchingUntoleratedTaint(logger, taints, tolerations, repels, ComparisonOperators)
}

// Toleration returns the index of the first toleration that tolerates the
// taint, or -1.
func Toleration(tolerations []corev1.Toleration, taint *corev1.Taint) int {
	for i := range tolerations {
		if tolerations[i].ToleratesTaint(logger, taint, ComparisonOperators) {
			return i
		}
	}
	return -1
}

// Matches reports whether the node's labels and name satisfy the pod's
// node selector and required node affinity, exactly as the scheduler's
// NodeAffinity filter decides (a term that does not parse never matches).
func (s Spec) Matches(node *corev1.Node) bool {
	ok, _ := nodeaffinity.NewRequiredNodeAffinity(s.NodeSelector, s.Affinity).Match(node)
	return ok
}

// Schedulable reports whether the scheduler's NodeAffinity and
// TaintToleration filters both let the pod onto the node.
func (s Spec) Schedulable(node *corev1.Node) bool {
	if !s.Matches(node) {
		return false
	}
	_, bad := Untolerated(node.Spec.Taints, s.Tolerations)
	return !bad
}

// Decision says whether a pod can run on a node (or a kind of node) and
// what decides it.
type Decision struct {
	Fits bool `json:"fits"`
	// Reason is a short sentence: which selector key, affinity term or
	// taint decides.
	Reason string `json:"reason"`
	// Path is the field of the pod spec that decides ("" when nothing in
	// the spec does, e.g. a pod with no selector at all fits anywhere).
	Path inventory.FieldPath `json:"path,omitempty"`
	// Term is the index of the required node affinity term that admits
	// the node, or -1.
	Term int `json:"term"`
	// Toleration is the index of the toleration that lets the pod past the
	// node's repelling taint, or -1.
	Toleration int `json:"toleration"`
}

// OnNode decides whether the pod can be scheduled on a real node, and
// explains the answer by the selector key, affinity term or taint that
// decides it. The answer is Schedulable's; the explanation re-evaluates
// the parts one at a time with the same upstream helpers.
func (s Spec) OnNode(node *corev1.Node) Decision {
	d := Decision{Term: -1, Toleration: -1}
	if !s.Matches(node) {
		d.Reason, d.Path = s.whyNot(node)
		return d
	}
	if t, bad := Untolerated(node.Spec.Taints, s.Tolerations); bad {
		d.Reason = fmt.Sprintf("taint %s is not tolerated", TaintString(t))
		d.Path = s.Path.Key("tolerations")
		return d
	}
	d.Fits = true
	d.Reason, d.Path, d.Term = s.whyMatch(node)
	if why, i := s.tolerated(node.Spec.Taints); i >= 0 {
		d.Toleration = i
		d.Reason += "; " + why
		if d.Path == "" {
			d.Path = s.TolerationPath(i)
		}
	}
	return d
}

// whyNot names the first part of the pod's node constraints the node
// fails: a node selector key, or for each required term its first failing
// expression.
func (s Spec) whyNot(node *corev1.Node) (string, inventory.FieldPath) {
	for _, k := range slices.Sorted(maps.Keys(s.NodeSelector)) {
		if v, ok := node.Labels[k]; !ok || v != s.NodeSelector[k] {
			return fmt.Sprintf("nodeSelector %s=%s does not match (node has %s)", k, s.NodeSelector[k], labelValue(node.Labels, k)), s.NodeSelectorPath(k)
		}
	}
	ns := s.requiredTerms()
	if ns == nil {
		return "", "" // not reached: Matches said no
	}
	if len(ns.NodeSelectorTerms) == 0 {
		return "required node affinity has no terms, which matches no node", s.Path.Keys("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
	}
	var why []string
	for i := range ns.NodeSelectorTerms {
		why = append(why, fmt.Sprintf("term %d: %s", i, termMiss(&ns.NodeSelectorTerms[i], node)))
	}
	return "no required node affinity term matches (" + strings.Join(why, "; ") + ")", s.TermPath(0)
}

// termMiss says why one term does not match a node.
func termMiss(term *corev1.NodeSelectorTerm, node *corev1.Node) string {
	if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
		return "an empty term matches no node"
	}
	if _, err := nodeaffinity.NewNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{*term}}); err != nil {
		return "does not parse, so it matches no node: " + err.Error()
	}
	for i, r := range term.MatchExpressions {
		one := corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{r}}
		if !termMatches(&one, node) {
			return fmt.Sprintf("matchExpressions[%d] %s fails (node has %s)", i, RequirementString(r), labelValue(node.Labels, r.Key))
		}
	}
	for i, r := range term.MatchFields {
		one := corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{r}}
		if !termMatches(&one, node) {
			return fmt.Sprintf("matchFields[%d] %s fails (node is %q)", i, RequirementString(r), node.Name)
		}
	}
	return "does not match"
}

// termMatches evaluates one term with the upstream selector.
func termMatches(term *corev1.NodeSelectorTerm, node *corev1.Node) bool {
	ok, _ := nodeaffinity.NewLazyErrorNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{*term}}).Match(node)
	return ok
}

// whyMatch names what lets a matching node in: the first required term
// that matches, else the node selector, else nothing at all.
func (s Spec) whyMatch(node *corev1.Node) (string, inventory.FieldPath, int) {
	if ns := s.requiredTerms(); ns != nil {
		for i := range ns.NodeSelectorTerms {
			if termMatches(&ns.NodeSelectorTerms[i], node) {
				return fmt.Sprintf("required node affinity term %d (%s) matches", i, TermString(&ns.NodeSelectorTerms[i])), s.TermPath(i), i
			}
		}
	}
	if len(s.NodeSelector) > 0 {
		return fmt.Sprintf("nodeSelector %s matches", labels.Set(s.NodeSelector).String()), s.Path.Key("nodeSelector"), -1
	}
	return "the pod has no node selector and no required node affinity", "", -1
}

// tolerated says which toleration lets the pod past the first repelling
// taint, or returns -1 when the node has no such taint.
func (s Spec) tolerated(taints []corev1.Taint) (string, int) {
	for i := range taints {
		if !repels(&taints[i]) {
			continue
		}
		if j := Toleration(s.Tolerations, &taints[i]); j >= 0 {
			return fmt.Sprintf("tolerations[%d] (%s) tolerates taint %s", j, TolerationString(s.Tolerations[j]), TaintString(taints[i])), j
		}
	}
	return "", -1
}

// TaintString spells a taint as kubectl does: key=value:Effect.
func TaintString(t corev1.Taint) string {
	if t.Value == "" {
		return t.Key + ":" + string(t.Effect)
	}
	return t.Key + "=" + t.Value + ":" + string(t.Effect)
}

// TolerationString spells a toleration compactly, with its wildcards.
func TolerationString(t corev1.Toleration) string {
	key := t.Key
	if key == "" {
		key = "<any key>"
	}
	op := string(t.Operator)
	if op == "" {
		op = string(corev1.TolerationOpEqual)
	}
	effect := string(t.Effect)
	if effect == "" {
		effect = "<any effect>"
	}
	switch t.Operator {
	case corev1.TolerationOpExists:
		return key + " Exists, " + effect
	default:
		return key + " " + op + " " + t.Value + ", " + effect
	}
}

// RequirementString spells one node selector requirement.
func RequirementString(r corev1.NodeSelectorRequirement) string {
	switch r.Operator {
	case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
		return r.Key + " " + string(r.Operator)
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		return r.Key + " " + string(r.Operator) + " " + strings.Join(r.Values, ",")
	}
	return r.Key + " " + string(r.Operator) + " [" + strings.Join(r.Values, ",") + "]"
}

// TermString spells a node selector term: its expressions and fields, ANDed.
func TermString(t *corev1.NodeSelectorTerm) string {
	var parts []string
	for _, r := range t.MatchExpressions {
		parts = append(parts, RequirementString(r))
	}
	for _, r := range t.MatchFields {
		parts = append(parts, "field "+RequirementString(r))
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, " and ")
}

func labelValue(ls map[string]string, k string) string {
	if v, ok := ls[k]; ok {
		return fmt.Sprintf("%s=%s", k, v)
	}
	return "no " + k + " label"
}
