package rbac

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// aggregated is a ClusterRole with an aggregationRule and its parsed
// selectors.
type aggregated struct {
	role      *Role
	selectors []labels.Selector
}

// aggregate fills the rules of ClusterRoles that have an aggregationRule,
// as kube-controller-manager's clusterrole-aggregation controller does: the
// role's rules become the union (first occurrence kept, in selector order
// then ClusterRole name order) of the rules of every other ClusterRole one
// of its label selectors selects, replacing what the role had. Aggregated
// roles can select other aggregated roles, so this repeats until nothing
// changes, as the controller's re-syncs do. A role whose selector does
// not parse keeps its rules: the controller fails on it and writes nothing.
//
// The controller cannot be imported (it lives in k8s.io/kubernetes), so
// its sync is rewritten here; selectors are apimachinery's.
func aggregate(clusterRoles []*Role) {
	byName := slices.Clone(clusterRoles)
	slices.SortFunc(byName, func(a, b *Role) int { return strings.Compare(a.Name, b.Name) })
	var aggs []aggregated
	for _, r := range byName {
		if r.Object == nil {
			continue
		}
		cr, ok := r.Object.Typed.(*rbacv1.ClusterRole)
		if !ok || cr.AggregationRule == nil {
			continue
		}
		a := aggregated{role: r}
		valid := true
		for i := range cr.AggregationRule.ClusterRoleSelectors {
			sel, err := metav1.LabelSelectorAsSelector(&cr.AggregationRule.ClusterRoleSelectors[i])
			if err != nil {
				valid = false
				break
			}
			a.selectors = append(a.selectors, sel)
		}
		if valid {
			aggs = append(aggs, a)
		}
	}
	if len(aggs) == 0 {
		return
	}
	// What each selector selects does not change from round to round
	// (labels stay), only the rules of what it selects: match once.
	selected := make([][]*Role, len(aggs))
	for i, a := range aggs {
		selected[i] = a.selection(byName)
		a.role.AggregatedFrom = names(selected[i])
	}
	keys := map[*Role][]string{}
	keysOf := func(r *Role) []string {
		k, ok := keys[r]
		if !ok {
			k = make([]string, len(r.Rules))
			for i, rule := range r.Rules {
				k[i] = ruleKey(rule)
			}
			keys[r] = k
		}
		return k
	}
	// Each round can only propagate rules one aggregation level further,
	// so len(aggs)+1 rounds reach the fixed point of any acyclic chain;
	// cycles that never settle stop there too.
	for round := 0; round <= len(aggs); round++ {
		changed := false
		for i, a := range aggs {
			rules := []rbacv1.PolicyRule{}
			var ruleKeys []string
			seen := map[string]bool{}
			for _, r := range selected[i] {
				for j, k := range keysOf(r) {
					if !seen[k] {
						seen[k] = true
						rules = append(rules, r.Rules[j])
						ruleKeys = append(ruleKeys, k)
					}
				}
			}
			if !slices.Equal(ruleKeys, keysOf(a.role)) {
				a.role.Rules = rules
				keys[a.role] = ruleKeys
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

// selection returns the ClusterRoles a's selectors select, in selector
// order then name order, as the controller walks them (a role selected by
// two selectors comes twice; its rules are deduplicated anyway).
func (a aggregated) selection(byName []*Role) []*Role {
	var out []*Role
	for _, sel := range a.selectors {
		for _, r := range byName {
			if r == a.role || r.Object == nil || !sel.Matches(labels.Set(r.Object.Labels)) {
				continue
			}
			out = append(out, r)
		}
	}
	return out
}

func names(roles []*Role) []string {
	var out []string
	for _, r := range roles {
		out = append(out, r.Name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sameRules compares as equality.Semantic.DeepEqual does for rules (a nil
// and an empty list are equal).
func sameRules(a, b []rbacv1.PolicyRule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if ruleKey(a[i]) != ruleKey(b[i]) {
			return false
		}
	}
	return true
}

// ruleKey identifies a rule by its contents, in order, as the controller's
// semantic DeepEqual compares them.
func ruleKey(r rbacv1.PolicyRule) string {
	var b strings.Builder
	for _, list := range [][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs} {
		for _, s := range list {
			b.WriteString(s)
			b.WriteByte(0)
		}
		b.WriteByte(1)
	}
	return b.String()
}
