package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	rbacv1 "k8s.io/api/rbac/v1"
)

var bindingResources = []string{"rolebindings.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io"}

func init() {
	register(
		&Check{
			ID:    "anonymous-access",
			Title: "Access granted to anonymous users",
			Description: "Fires when a RoleBinding or ClusterRoleBinding grants a role to User system:anonymous or Group system:unauthenticated, that is to anyone who can reach the API server without credentials. " +
				"Critical when the role is cluster-admin or has a wildcard (*) in the verbs, API groups, resources or URLs of a rule, high otherwise (also when the role could not be read). " +
				"The default system:public-info-viewer binding, which lets anyone read /healthz, /livez, /readyz and /version, does not fire.",
			Severity:    finding.Critical,
			Remediation: "Remove the anonymous subjects from the binding (or delete it), and turn anonymous authentication off with --anonymous-auth=false or an AuthenticationConfiguration anonymous section limited to health endpoints.",
			Controls:    []string{"NIST-800-190:4.3.2", "NIST-800-190:4.3.1", "CIS-K8S:1.2.1"},
			Section:     "4.3.2",
			Needs:       bindingResources,
			Run:         runAnonymousAccess,
		},
		&Check{
			ID:    "authenticated-group-access",
			Title: "Access granted to every authenticated user",
			Description: "Fires when a RoleBinding or ClusterRoleBinding grants a role to Group system:authenticated, which holds every user and every service account of every namespace that can authenticate. " +
				"The default ClusterRoleBindings system:basic-user, system:discovery and system:public-info-viewer (bound to the ClusterRoles of the same name) do not fire.",
			Severity:    finding.High,
			Remediation: "Bind the role to the users, groups or service accounts that need it instead of system:authenticated.",
			Controls:    []string{"NIST-800-190:4.3.2", "NIST-800-190:4.3.1"},
			Section:     "4.3.2",
			Needs:       bindingResources,
			Run:         runAuthenticatedGroupAccess,
		},
		&Check{
			ID:    "cluster-admin-binding",
			Title: "cluster-admin bound outside system:masters",
			Description: "Fires when a ClusterRoleBinding or RoleBinding grants the cluster-admin ClusterRole to any subject other than Group system:masters: " +
				"full control of the whole cluster, or with a RoleBinding of the binding's namespace including the namespace itself. Every such subject is listed for review.",
			Severity:    finding.High,
			Remediation: "Bind the subjects to a role with only the permissions they need (admin or edit in a namespace, or a custom role), then delete the cluster-admin binding.",
			Controls:    []string{"NIST-800-190:4.3.2", "NIST-800-190:4.3.1", "CIS-K8S:5.1.1"},
			Section:     "4.3.2",
			Needs:       bindingResources,
			Run:         runClusterAdminBinding,
		},
	)
}

// binding is a RoleBinding or a ClusterRoleBinding.
type binding struct {
	obj      *inventory.Object
	subjects []rbacv1.Subject
	roleRef  rbacv1.RoleRef
}

func (b binding) cluster() bool { return b.obj.Kind == "ClusterRoleBinding" }

// role names the bound role, e.g. ClusterRole "view".
func (b binding) role() string { return fmt.Sprintf("%s %q", b.roleRef.Kind, b.roleRef.Name) }

// where says where the binding grants: cluster-wide or in its namespace.
func (b binding) where() string {
	if b.cluster() {
		return "cluster-wide"
	}
	return fmt.Sprintf("in namespace %q", b.obj.Namespace)
}

// subject renders a subject the way kubectl describe does.
func (b binding) subject(s rbacv1.Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		ns := s.Namespace
		if ns == "" {
			ns = b.obj.Namespace
		}
		return "ServiceAccount " + ns + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// isDefault reports whether b is the ClusterRoleBinding Kubernetes
// creates under one of names, bound to the ClusterRole of the same name.
func (b binding) isDefault(names ...string) bool {
	return b.cluster() && slices.Contains(names, b.obj.Name) && b.roleRef.Kind == "ClusterRole" && b.roleRef.Name == b.obj.Name
}

// bindings returns every RoleBinding and ClusterRoleBinding.
func bindings(inv *inventory.Inventory) []binding {
	var out []binding
	for _, o := range inv.Objects {
		switch t := o.Typed.(type) {
		case *rbacv1.RoleBinding:
			out = append(out, binding{obj: o, subjects: t.Subjects, roleRef: t.RoleRef})
		case *rbacv1.ClusterRoleBinding:
			out = append(out, binding{obj: o, subjects: t.Subjects, roleRef: t.RoleRef})
		}
	}
	return out
}

// matching returns the indexes and renderings of b's subjects that match.
func (b binding) matching(match func(rbacv1.Subject) bool) (first int, names []string) {
	first = -1
	for i, s := range b.subjects {
		if match(s) {
			if first < 0 {
				first = i
			}
			names = append(names, b.subject(s))
		}
	}
	return first, names
}

// roleIndex finds the rules of Roles and ClusterRoles.
type roleIndex map[string][]rbacv1.PolicyRule

func roles(inv *inventory.Inventory) roleIndex {
	idx := roleIndex{}
	for _, o := range inv.Objects {
		switch t := o.Typed.(type) {
		case *rbacv1.Role:
			idx[o.Namespace+"/"+o.Name] = t.Rules
		case *rbacv1.ClusterRole:
			idx["/"+o.Name] = t.Rules
		}
	}
	return idx
}

// rules returns the rules of the role b refers to, and false when the
// inventory does not have it.
func (idx roleIndex) rules(b binding) ([]rbacv1.PolicyRule, bool) {
	key := "/" + b.roleRef.Name
	if b.roleRef.Kind == "Role" {
		key = b.obj.Namespace + "/" + b.roleRef.Name
	}
	r, ok := idx[key]
	return r, ok
}

// wildcard describes the first rule with a "*" in its verbs, API groups,
// resources or non-resource URLs, or returns "".
func wildcard(rules []rbacv1.PolicyRule) string {
	for _, r := range rules {
		star := func(l []string) bool {
			return slices.ContainsFunc(l, func(s string) bool { return strings.Contains(s, "*") })
		}
		if star(r.Verbs) || star(r.APIGroups) || star(r.Resources) || star(r.NonResourceURLs) {
			var parts []string
			parts = append(parts, "verbs ["+strings.Join(r.Verbs, ",")+"]")
			if len(r.Resources) > 0 {
				parts = append(parts, "on resources ["+strings.Join(r.Resources, ",")+"] of API groups ["+strings.Join(r.APIGroups, ",")+"]")
			}
			if len(r.NonResourceURLs) > 0 {
				parts = append(parts, "on URLs ["+strings.Join(r.NonResourceURLs, ",")+"]")
			}
			return strings.Join(parts, " ")
		}
	}
	return ""
}

func anonymousSubject(s rbacv1.Subject) bool {
	return (s.Kind == rbacv1.UserKind && s.Name == "system:anonymous") || (s.Kind == rbacv1.GroupKind && s.Name == "system:unauthenticated")
}

func runAnonymousAccess(inv *inventory.Inventory, _ *Config) []finding.Finding {
	var out []finding.Finding
	idx := roles(inv)
	for _, b := range bindings(inv) {
		first, who := b.matching(anonymousSubject)
		if first < 0 || b.isDefault("system:public-info-viewer") {
			continue
		}
		sev, detail := finding.High, ""
		rules, found := idx.rules(b)
		switch w := wildcard(rules); {
		case b.roleRef.Kind == "ClusterRole" && b.roleRef.Name == "cluster-admin":
			sev, detail = finding.Critical, "; cluster-admin is full control"
		case w != "":
			sev, detail = finding.Critical, "; the role has a wildcard rule: "+w
		case !found:
			detail = "; the role was not found, so its rules are unknown"
		}
		out = append(out, report(b.obj, inventory.FieldPath("subjects").Index(first), sev,
			"%s %q grants %s %s to %s, that is to anyone who can reach the API server without credentials%s",
			b.obj.Kind, b.obj.Name, b.role(), b.where(), strings.Join(who, " and "), detail))
	}
	return out
}

func runAuthenticatedGroupAccess(inv *inventory.Inventory, _ *Config) []finding.Finding {
	var out []finding.Finding
	for _, b := range bindings(inv) {
		first, _ := b.matching(func(s rbacv1.Subject) bool {
			return s.Kind == rbacv1.GroupKind && s.Name == "system:authenticated"
		})
		if first < 0 || b.isDefault("system:basic-user", "system:discovery", "system:public-info-viewer") {
			continue
		}
		out = append(out, report(b.obj, inventory.FieldPath("subjects").Index(first), finding.High,
			"%s %q grants %s %s to Group system:authenticated: every user and service account that can authenticate",
			b.obj.Kind, b.obj.Name, b.role(), b.where()))
	}
	return out
}

func runClusterAdminBinding(inv *inventory.Inventory, _ *Config) []finding.Finding {
	var out []finding.Finding
	for _, b := range bindings(inv) {
		if b.roleRef.Kind != "ClusterRole" || b.roleRef.Name != "cluster-admin" {
			continue
		}
		first, who := b.matching(func(s rbacv1.Subject) bool {
			return !(s.Kind == rbacv1.GroupKind && s.Name == "system:masters")
		})
		if first < 0 {
			continue
		}
		scope := "full control of the whole cluster"
		if !b.cluster() {
			scope = fmt.Sprintf("full control of namespace %q, including the namespace itself", b.obj.Namespace)
		}
		out = append(out, report(b.obj, inventory.FieldPath("subjects").Index(first), finding.High,
			"%s %q grants cluster-admin (%s) to %s", b.obj.Kind, b.obj.Name, scope, strings.Join(who, ", ")))
	}
	return out
}
