package rbac

import (
	"cmp"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Permission is one thing a subject may do, and where.
type Permission struct {
	// Namespace is where the rule applies; "" means cluster-wide (a
	// ClusterRoleBinding, or system:masters).
	Namespace string
	Rule      rbacv1.PolicyRule
	Grant     Grant
}

// Access returns everything u may do: the rules of every binding that
// names u, its groups or (for a service account's user name) the service
// account, each with where it applies. Under a RoleBinding a rule's
// nonResourceURLs are dropped, since RoleBindings never grant them (a rule
// left with no resources is dropped). Members of system:masters get two
// permissions covering everything. Sorted by namespace ("" first), then
// as grants are.
func (ix *Index) Access(u User) []Permission {
	var out []Permission
	if slices.Contains(u.Groups, GroupMasters) {
		g := mastersGrant()
		out = append(out,
			Permission{Rule: rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, Grant: g},
			Permission{Rule: rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}, Grant: g})
	}
	for _, ref := range ix.refsOf(u) {
		b := ref.b
		if b.Role == nil {
			continue
		}
		sub, _ := SubjectOf(b.Subjects[ref.i], b.Namespace)
		for i, r := range b.Role.Rules {
			if b.Kind == "RoleBinding" && len(r.NonResourceURLs) > 0 {
				if len(r.Resources) == 0 {
					continue
				}
				r.NonResourceURLs = nil
			}
			out = append(out, Permission{Namespace: b.Namespace, Rule: r, Grant: Grant{Subject: sub, Binding: b, Role: b.Role, Rule: i}})
		}
	}
	slices.SortStableFunc(out, func(a, b Permission) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), compareGrants(a.Grant, b.Grant))
	})
	return out
}
