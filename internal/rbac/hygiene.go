package rbac

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Hygiene: grants that point at nothing, roles that serve no one, grants
// made twice. None is a risk today; each is a trap for tomorrow (a
// dangling grant goes to whoever creates the missing account or role
// next) or noise that hides real grants from review.
//
// A repository of manifests is rarely the whole cluster: it may bind a
// ServiceAccount another chart creates, or a ClusterRole Kubernetes ships.
// So on manifests, a missing object is reported only where the
// repository shows it manages that kind of object there (it defines some
// ServiceAccount of the namespace, some Role of the namespace, some
// ClusterRole); on a live cluster or a snapshot every object was read and
// any missing one is reported.
func init() {
	registry.Register(
		&audit.Check{
			ID:    "rbac-binding-missing-service-account",
			Title: "Binding to a service account that does not exist",
			Description: "Fires for each ServiceAccount subject of a binding when no such ServiceAccount exists: the grant waits for whoever creates an account of that name, which anyone allowed to create service accounts in the namespace can do. " +
				"On a live cluster or snapshot every namespace is checked (a namespace's default account exists when the namespace does); on manifests only namespaces in which the manifests define some ServiceAccount, since others may be created elsewhere. Kubernetes' own bootstrap bindings do not fire.",
			Severity:    finding.Medium,
			Remediation: "Remove the subject from the binding (or delete the binding), or create the service account if the grant is still wanted.",
			Controls:    []string{"NIST-800-190:4.3.1", "NIST-800-190:4.3.2"},
			Section:     "4.3.1",
			Needs:       withNeeds("serviceaccounts", "namespaces"),
			Scan:        true,
			Run: func(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
				return analysisOf(inv, cfg).hygieneFindings()[hygMissingSA]
			},
		},
		&audit.Check{
			ID:    "rbac-binding-missing-role",
			Title: "Binding to a role that does not exist",
			Description: "Fires for each binding whose roleRef names a Role or ClusterRole that does not exist (or a Role from a ClusterRoleBinding, which can only refer to a ClusterRole): the binding grants nothing now and grants whatever a role of that name holds once someone creates it. " +
				"On manifests the ClusterRoles Kubernetes ships (cluster-admin, admin, edit, view, system:*) count as existing, and a role is reported only when the manifests define some role of the same kind (and namespace).",
			Severity:    finding.Medium,
			Remediation: "Delete the binding, or create the role it refers to if the grant is still wanted.",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Section:     "4.3.1",
			Needs:       rbacNeeds,
			Scan:        true,
			Run: func(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
				return analysisOf(inv, cfg).hygieneFindings()[hygMissingRole]
			},
		},
		&audit.Check{
			ID:    "rbac-unused-role",
			Title: "Role bound to no one",
			Description: "Fires for each Role or ClusterRole that no binding refers to and that is not aggregated into another ClusterRole: it grants nothing, but a later binding grants all of it, and unused roles make RBAC harder to review. " +
				"Kubernetes' own roles (system:*, the aggregated admin, edit and view and their aggregate-to parts) do not fire. Low on a live cluster; info on manifests, whose bindings may live elsewhere.",
			Severity:    finding.Low,
			Remediation: "Delete the role if nothing needs it.",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Section:     "4.3.1",
			Needs:       rbacNeeds,
			Scan:        true,
			Run: func(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
				return analysisOf(inv, cfg).hygieneFindings()[hygUnusedRole]
			},
		},
		&audit.Check{
			ID:    "rbac-duplicate-grant",
			Title: "Role granted twice to the same subject",
			Description: "Fires for each subject that a binding grants a role the subject already holds in the same scope: the same role in the same namespace twice, a role listed twice in one binding, or a ClusterRole granted in a namespace that a ClusterRoleBinding already grants cluster-wide. " +
				"Removing one of the grants leaves the subject's access unchanged, so the duplicate hides which grant is meant.",
			Severity:    finding.Low,
			Remediation: "Remove the subject from one of the bindings.",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Section:     "4.3.1",
			Needs:       rbacNeeds,
			Scan:        true,
			Run: func(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
				return analysisOf(inv, cfg).hygieneFindings()[hygDuplicate]
			},
		},
	)
}

const (
	hygMissingSA   = "missing-sa"
	hygMissingRole = "missing-role"
	hygUnusedRole  = "unused-role"
	hygDuplicate   = "duplicate"
)

// hygieneFindings computes every hygiene check of the inventory at once.
func (a *analysis) hygieneFindings() map[string][]finding.Finding {
	a.hygOnce.Do(func() {
		ix, inv := a.index(), a.inv
		a.hygiene = map[string][]finding.Finding{
			hygMissingSA:   missingServiceAccounts(ix, inv),
			hygMissingRole: missingRoles(ix, inv),
			hygUnusedRole:  unusedRoles(ix, inv),
			hygDuplicate:   duplicateGrants(ix),
		}
	})
	return a.hygiene
}

// readFromCluster reports whether inv was read from a cluster (or a snapshot of one).
func readFromCluster(inv *inventory.Inventory) bool { return inv.Cluster != nil }

func missingServiceAccounts(ix *Index, inv *inventory.Inventory) []finding.Finding {
	accounts := map[Subject]bool{}
	managed := map[string]bool{}    // namespaces whose accounts the inventory holds
	namespaces := map[string]bool{} // Namespace objects
	for _, o := range inv.Objects {
		switch o.Typed.(type) {
		case *corev1.ServiceAccount:
			accounts[Subject{Kind: rbacv1.ServiceAccountKind, Namespace: o.Namespace, Name: o.Name}] = true
			managed[o.Namespace] = true
		case *corev1.Namespace:
			namespaces[o.Name] = true
		}
	}
	var out []finding.Finding
	for _, b := range ix.Bindings() {
		if bootstrapBinding(b) {
			// Kubernetes binds its controllers' accounts whether or
			// not the controllers run with their own credentials.
			continue
		}
		for i, rs := range b.Subjects {
			s, ok := SubjectOf(rs, b.Namespace)
			if !ok || s.Kind != rbacv1.ServiceAccountKind || accounts[s] {
				continue
			}
			switch {
			case readFromCluster(inv) && !namespaces[s.Namespace]:
				out = append(out, reportAt(b.Object, subjectPath(i), finding.Medium,
					"%s %q grants %s to %s, but namespace %q does not exist", b.Kind, b.Name, roleRefText(b), bindingSubjectText(rs, b), s.Namespace))
			case s.Name == "default" && (namespaces[s.Namespace] || !readFromCluster(inv)):
				// Every namespace has its default account.
			case readFromCluster(inv) || managed[s.Namespace]:
				out = append(out, reportAt(b.Object, subjectPath(i), finding.Medium,
					"%s %q grants %s to %s, which does not exist: whoever creates it gets the grant", b.Kind, b.Name, roleRefText(b), bindingSubjectText(rs, b)))
			}
		}
	}
	return out
}

// builtinClusterRole reports whether Kubernetes creates a ClusterRole of
// this name.
func builtinClusterRole(name string) bool {
	return strings.HasPrefix(name, "system:") || slices.Contains([]string{"cluster-admin", "admin", "edit", "view"}, name)
}

func missingRoles(ix *Index, inv *inventory.Inventory) []finding.Finding {
	clusterRoles := false
	rolesIn := map[string]bool{}
	for _, r := range ix.Roles() {
		if r.Kind == "ClusterRole" {
			clusterRoles = true
		} else {
			rolesIn[r.Namespace] = true
		}
	}
	var out []finding.Finding
	for _, b := range ix.Bindings() {
		if b.Role != nil {
			continue
		}
		ref := b.RoleRef
		switch {
		case b.Kind == "ClusterRoleBinding" && ref.Kind == "Role":
			out = append(out, reportAt(b.Object, "roleRef", finding.Medium,
				"ClusterRoleBinding %q refers to Role %q, but a ClusterRoleBinding can only refer to a ClusterRole: it grants nothing", b.Name, ref.Name))
		case ref.Kind == "ClusterRole" && (readFromCluster(inv) || (clusterRoles && !builtinClusterRole(ref.Name))):
			out = append(out, reportAt(b.Object, "roleRef", finding.Medium,
				"%s %q refers to ClusterRole %q, which does not exist: the binding grants whatever a ClusterRole of that name will hold", b.Kind, b.Name, ref.Name))
		case ref.Kind == "Role" && (readFromCluster(inv) || rolesIn[b.Namespace]):
			out = append(out, reportAt(b.Object, "roleRef", finding.Medium,
				"RoleBinding %q refers to Role %q, which does not exist in namespace %q: the binding grants whatever a Role of that name will hold", b.Name, ref.Name, b.Namespace))
		}
	}
	return out
}

// kubernetesRole reports whether r is one of Kubernetes' own roles, or a
// part aggregated into them.
func kubernetesRole(r *Role) bool {
	if r.Kind == "ClusterRole" && builtinClusterRole(r.Name) {
		return true
	}
	if r.Object == nil {
		return false
	}
	if r.Object.Annotations["rbac.authorization.kubernetes.io/autoupdate"] == "true" {
		return true
	}
	for k := range r.Object.Labels {
		if strings.HasPrefix(k, "rbac.authorization.k8s.io/aggregate-to-") {
			return true
		}
	}
	return false
}

func unusedRoles(ix *Index, inv *inventory.Inventory) []finding.Finding {
	aggregated := map[string]bool{}
	for _, r := range ix.Roles() {
		for _, from := range r.AggregatedFrom {
			aggregated[from] = true
		}
	}
	sev, where := finding.Info, "; the manifests bind it nowhere, though a binding may live elsewhere"
	if readFromCluster(inv) {
		sev, where = finding.Low, ""
	}
	var out []finding.Finding
	for _, r := range ix.Roles() {
		if kubernetesRole(r) || (r.Kind == "ClusterRole" && aggregated[r.Name]) || len(ix.BindingsOf(r)) > 0 {
			continue
		}
		out = append(out, reportAt(r.Object, "", sev, "%s %q is bound to no one%s", r.Kind, r.Name, where))
	}
	return out
}

func duplicateGrants(ix *Index) []finding.Finding {
	type grantKey struct {
		subject Subject
		role    *Role
		ns      string
	}
	type firstGrant struct {
		b *Binding
	}
	seen := map[grantKey]firstGrant{}
	var out []finding.Finding
	// Bindings come ClusterRoleBindings first, so a cluster-wide grant is
	// always seen before the namespaced grants it makes redundant.
	for _, b := range ix.Bindings() {
		if b.Role == nil {
			continue
		}
		for i, rs := range b.Subjects {
			s, ok := SubjectOf(rs, b.Namespace)
			if !ok {
				continue
			}
			s = serviceAccountSubject(s)
			key := grantKey{s, b.Role, b.Namespace}
			prev, dup := seen[key]
			scope := bindingScopeText(b)
			if !dup && b.Kind == "RoleBinding" {
				if p, ok := seen[grantKey{s, b.Role, ""}]; ok {
					prev, dup, scope = p, true, fmt.Sprintf("cluster-wide (so in namespace %q too)", b.Namespace)
				}
			}
			if !dup {
				seen[key] = firstGrant{b}
				continue
			}
			also := fmt.Sprintf("%s %q also grants it", prev.b.Kind, prev.b.Name)
			if prev.b == b {
				also = "the binding lists the subject twice"
			}
			out = append(out, reportAt(b.Object, subjectPath(i), finding.Low,
				"%s already holds %s %s: %s", bindingSubjectText(rs, b), roleRefText(b), scope, also))
		}
	}
	return out
}
