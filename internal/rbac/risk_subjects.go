package rbac

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Checks about who is granted, whatever the role: anyone, everyone, the
// default service accounts, and cluster-admin to anyone but
// system:masters. These report one finding per binding, naming every
// matching subject, and point at the first of them.
func init() {
	registry.Register(
		&audit.Check{
			ID:    "anonymous-access",
			Title: "Access granted to anonymous users",
			Description: "Fires when a RoleBinding or ClusterRoleBinding grants a role to User system:anonymous or Group system:unauthenticated, that is to anyone who can reach the API server without credentials. " +
				"Critical when the role is cluster-admin or has a wildcard (*) in the verbs, API groups, resources or URLs of a rule, high otherwise (also when the role could not be read). " +
				"The default system:public-info-viewer binding, which lets anyone read /healthz, /livez, /readyz and /version, does not fire.",
			Severity:    finding.Critical,
			Remediation: "Remove the anonymous subjects from the binding (or delete it), and turn anonymous authentication off with --anonymous-auth=false or an AuthenticationConfiguration anonymous section limited to health endpoints.",
			Controls:    []string{"NIST-800-190:4.3.2", "NIST-800-190:4.3.1", "CIS-K8S:1.2.1"},
			Section:     "4.3.2",
			Needs:       bindingNeeds,
			Scan:        true,
			Run:         runAnonymousAccess,
		},
		&audit.Check{
			ID:    "authenticated-group-access",
			Title: "Access granted to every authenticated user",
			Description: "Fires when a RoleBinding or ClusterRoleBinding grants a role to Group system:authenticated, which holds every user and every service account of every namespace that can authenticate. " +
				"The default ClusterRoleBindings system:basic-user, system:discovery and system:public-info-viewer (bound to the ClusterRoles of the same name) do not fire.",
			Severity:    finding.High,
			Remediation: "Bind the role to the users, groups or service accounts that need it instead of system:authenticated.",
			Controls:    []string{"NIST-800-190:4.3.2", "NIST-800-190:4.3.1"},
			Section:     "4.3.2",
			Needs:       bindingNeeds,
			Scan:        true,
			Run:         runAuthenticatedGroupAccess,
		},
		&audit.Check{
			ID:    "cluster-admin-binding",
			Title: "cluster-admin bound outside system:masters",
			Description: "Fires when a ClusterRoleBinding or RoleBinding grants the cluster-admin ClusterRole to any subject other than Group system:masters: " +
				"full control of the whole cluster, or with a RoleBinding of the binding's namespace including the namespace itself. Every such subject is listed for review.",
			Severity:    finding.High,
			Remediation: "Bind the subjects to a role with only the permissions they need (admin or edit in a namespace, or a custom role), then delete the cluster-admin binding.",
			Controls:    []string{"NIST-800-190:4.3.2", "NIST-800-190:4.3.1", "CIS-K8S:5.1.1"},
			Section:     "4.3.2",
			Needs:       bindingNeeds,
			Scan:        true,
			Run:         runClusterAdminBinding,
		},
		&audit.Check{
			ID:    "rbac-default-service-account-rights",
			Title: "Role granted to a default service account",
			Description: "Fires when a binding grants a role to a namespace's ServiceAccount \"default\", or to Group system:serviceaccounts or system:serviceaccounts:NAMESPACE, which hold it: every pod that names no service account runs as it, so the grant goes to every such workload, now and later. " +
				"Medium; high when the role allows anything another check of this catalog reports. Kubernetes' own bootstrap bindings do not fire.",
			Severity:    finding.High,
			Remediation: "Create a dedicated ServiceAccount for the workloads that need the role, bind the role to it, and leave the default service account without permissions.",
			Controls:    []string{"NIST-800-190:4.3.1", "NIST-800-190:4.3.2", "CIS-K8S:5.1.5"},
			Section:     "4.3.1",
			Needs:       bindingNeeds,
			Scan:        true,
			Run:         runDefaultServiceAccountRights,
		},
	)
}

// bindingNeeds are what the subject checks read: the bindings, and the
// roles for the detail of their messages.
var bindingNeeds = rbacNeeds

// matchingSubjects returns the index of the first subject of b that match
// accepts, and the rendering of every one, or -1.
func matchingSubjects(b *Binding, match func(rbacv1.Subject) bool) (first int, names []string) {
	first = -1
	for i, s := range b.Subjects {
		if match(s) {
			if first < 0 {
				first = i
			}
			names = append(names, bindingSubjectText(s, b))
		}
	}
	return first, names
}

// defaultBinding reports whether b is the ClusterRoleBinding Kubernetes
// creates under one of names, bound to the ClusterRole of the same name.
func defaultBinding(b *Binding, names ...string) bool {
	return b.Kind == "ClusterRoleBinding" && slices.Contains(names, b.Name) && b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == b.Name
}

// wildcardRule describes the first rule with a "*" in its verbs, API
// groups, resources or non-resource URLs, or returns "".
func wildcardRule(rules []rbacv1.PolicyRule) string {
	star := func(l []string) bool {
		return slices.ContainsFunc(l, func(s string) bool { return strings.Contains(s, "*") })
	}
	for _, r := range rules {
		if star(r.Verbs) || star(r.APIGroups) || star(r.Resources) || star(r.NonResourceURLs) {
			parts := []string{"verbs [" + strings.Join(r.Verbs, ",") + "]"}
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

func isClusterAdmin(b *Binding) bool {
	return b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == "cluster-admin"
}

func anonymousSubject(s rbacv1.Subject) bool {
	return (s.Kind == rbacv1.UserKind && s.Name == UserAnonymous) || (s.Kind == rbacv1.GroupKind && s.Name == GroupUnauthenticated)
}

func runAnonymousAccess(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	var out []finding.Finding
	for _, b := range analysisOf(inv, cfg).index().Bindings() {
		first, who := matchingSubjects(b, anonymousSubject)
		if first < 0 || defaultBinding(b, "system:public-info-viewer") {
			continue
		}
		sev, detail := finding.High, ""
		var w string
		if b.Role != nil {
			w = wildcardRule(b.Role.Rules)
		}
		switch {
		case isClusterAdmin(b):
			sev, detail = finding.Critical, "; cluster-admin is full control"
		case w != "":
			sev, detail = finding.Critical, "; the role has a wildcard rule: "+w
		case b.Role == nil:
			detail = "; the role was not found, so its rules are unknown"
		}
		out = append(out, reportAt(b.Object, subjectPath(first), sev,
			"%s %q grants %s %s to %s, that is to anyone who can reach the API server without credentials%s",
			b.Kind, b.Name, roleRefText(b), bindingScopeText(b), strings.Join(who, " and "), detail))
	}
	return out
}

func runAuthenticatedGroupAccess(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	var out []finding.Finding
	for _, b := range analysisOf(inv, cfg).index().Bindings() {
		first, _ := matchingSubjects(b, func(s rbacv1.Subject) bool {
			return s.Kind == rbacv1.GroupKind && s.Name == GroupAuthenticated
		})
		if first < 0 || defaultBinding(b, "system:basic-user", "system:discovery", "system:public-info-viewer") {
			continue
		}
		out = append(out, reportAt(b.Object, subjectPath(first), finding.High,
			"%s %q grants %s %s to Group system:authenticated: every user and service account that can authenticate",
			b.Kind, b.Name, roleRefText(b), bindingScopeText(b)))
	}
	return out
}

func runClusterAdminBinding(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	var out []finding.Finding
	for _, b := range analysisOf(inv, cfg).index().Bindings() {
		if !isClusterAdmin(b) {
			continue
		}
		first, who := matchingSubjects(b, func(s rbacv1.Subject) bool {
			return !(s.Kind == rbacv1.GroupKind && s.Name == GroupMasters)
		})
		if first < 0 {
			continue
		}
		scope := "full control of the whole cluster"
		if b.Kind != "ClusterRoleBinding" {
			scope = fmt.Sprintf("full control of namespace %q, including the namespace itself", b.Namespace)
		}
		out = append(out, reportAt(b.Object, subjectPath(first), finding.High,
			"%s %q grants cluster-admin (%s) to %s", b.Kind, b.Name, scope, strings.Join(who, ", ")))
	}
	return out
}

// holdsDefaultServiceAccount reports whether a subject of a binding in
// namespace bindingNS is, or holds, a namespace's default service account.
func holdsDefaultServiceAccount(s rbacv1.Subject, bindingNS string) bool {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		_, ok := SubjectOf(s, bindingNS)
		return ok && s.Name == "default"
	case rbacv1.GroupKind:
		return s.Name == GroupServiceAccounts || strings.HasPrefix(s.Name, GroupServiceAccounts+":")
	}
	return false
}

func runDefaultServiceAccountRights(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	a := analysisOf(inv, cfg)
	type roleScope struct {
		role    *Role
		cluster bool
	}
	risky := map[roleScope]string{}
	var out []finding.Finding
	for _, b := range a.index().Bindings() {
		if b.Role == nil || len(b.Role.Rules) == 0 || bootstrapBinding(b) {
			continue
		}
		first, who := matchingSubjects(b, func(s rbacv1.Subject) bool { return holdsDefaultServiceAccount(s, b.Namespace) })
		if first < 0 {
			continue
		}
		key := roleScope{b.Role, b.Kind == "ClusterRoleBinding"}
		what, ok := risky[key]
		if !ok {
			for _, h := range hitsOf(b.Role) {
				if b.Kind == "RoleBinding" && h.risk.clusterOnly {
					continue
				}
				what = h.risk.check.ID
				break
			}
			risky[key] = what
		}
		sev, detail := finding.Medium, ""
		if what != "" {
			sev, detail = finding.High, "; the role is risky ("+what+")"
		}
		out = append(out, reportAt(b.Object, subjectPath(first), sev,
			"%s %q grants %s %s to %s, which every pod that names no service account runs as%s",
			b.Kind, b.Name, roleRefText(b), bindingScopeText(b), strings.Join(who, " and "), detail))
	}
	return out
}
