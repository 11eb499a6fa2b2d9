package rbac

import (
	"slices"
	"testing"
)

func ruleVerbs(r *Role) []string {
	var out []string
	for _, rule := range r.Rules {
		out = append(out, rule.Verbs...)
	}
	return out
}

func TestAggregation(t *testing.T) {
	const world = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: top}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {agg/top: "true"}
rules:
- {apiGroups: [""], resources: ["stale"], verbs: ["stale"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: middle
  labels: {agg/top: "true"}
aggregationRule:
  clusterRoleSelectors:
  - matchExpressions:
    - {key: tier, operator: In, values: [low, lower]}
    - {key: skip, operator: DoesNotExist}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: low-b
  labels: {tier: low}
rules:
- {apiGroups: [""], resources: ["pods"], verbs: ["b"]}
- {apiGroups: [""], resources: ["pods"], verbs: ["a"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: low-a
  labels: {tier: lower}
rules:
- {apiGroups: [""], resources: ["pods"], verbs: ["a"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: skipped
  labels: {tier: low, skip: "yes"}
rules:
- {apiGroups: [""], resources: ["pods"], verbs: ["skipped"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: named-like-a-label
  labels: {top: "true"}
rules:
- {apiGroups: [""], resources: ["pods"], verbs: ["by-name"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: self
  labels: {me: "true"}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {me: "true"}
rules:
- {apiGroups: [""], resources: ["pods"], verbs: ["own"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: bad-selector}
aggregationRule:
  clusterRoleSelectors:
  - matchExpressions:
    - {key: tier, operator: Bogus}
rules:
- {apiGroups: [""], resources: ["pods"], verbs: ["kept"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: no-selectors}
aggregationRule:
  clusterRoleSelectors: []
rules:
- {apiGroups: [""], resources: ["pods"], verbs: ["cleared"]}
`
	ix := indexOf(t, world)
	cases := []struct {
		role      string
		wantVerbs []string
		wantFrom  []string
	}{
		// middle: selected by expressions, ordered by ClusterRole name
		// (low-a before low-b), duplicates dropped.
		{"middle", []string{"a", "b"}, []string{"low-a", "low-b"}},
		// top: chains through middle (an aggregated role) and its own
		// rules are replaced, as the controller does.
		{"top", []string{"a", "b"}, []string{"middle"}},
		// A role does not aggregate itself.
		{"self", nil, nil},
		{"bad-selector", []string{"kept"}, nil},
		{"no-selectors", nil, nil},
		{"low-b", []string{"b", "a"}, nil},
	}
	for _, c := range cases {
		r := ix.Role("ClusterRole", "", c.role)
		if r == nil {
			t.Fatalf("no role %s", c.role)
		}
		if got := ruleVerbs(r); !slices.Equal(got, c.wantVerbs) {
			t.Errorf("%s rules verbs = %v, want %v", c.role, got, c.wantVerbs)
		}
		if !slices.Equal(r.AggregatedFrom, c.wantFrom) {
			t.Errorf("%s aggregated from %v, want %v", c.role, r.AggregatedFrom, c.wantFrom)
		}
	}
	// The aggregated rules are used for decisions.
	const bind = `
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: top}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: top}
subjects: [{kind: User, name: u}]
`
	ix = indexOf(t, world+bind)
	if ok, _ := ix.Allowed(user("u"), Request{Verb: "b", Resource: "pods"}); !ok {
		t.Error("aggregated rule not granted")
	}
	if ok, _ := ix.Allowed(user("u"), Request{Verb: "stale", Resource: "stale"}); ok {
		t.Error("replaced rule still granted")
	}
}

// TestAggregationChainOrder: a chain of aggregations settles whatever the
// order the roles are read in.
func TestAggregationChainOrder(t *testing.T) {
	docs := []string{`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: a, labels: {l: a}}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {l: b}}]}`, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: b, labels: {l: b}}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {l: c}}]}`, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: c, labels: {l: c}}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {l: d}}]}`, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: d, labels: {l: d}}
rules: [{apiGroups: [""], resources: ["pods"], verbs: ["deep"]}]`}
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 3, 0, 2}} {
		var s string
		for _, i := range order {
			s += docs[i] + "\n---\n"
		}
		ix := indexOf(t, s)
		for _, name := range []string{"a", "b", "c"} {
			if got := ruleVerbs(ix.Role("ClusterRole", "", name)); !slices.Equal(got, []string{"deep"}) {
				t.Errorf("order %v: %s = %v", order, name, got)
			}
		}
	}
}
