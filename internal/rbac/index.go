package rbac

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/inventory"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Role is a Role or ClusterRole with its effective rules.
type Role struct {
	Kind, Namespace, Name string // Kind "Role" or "ClusterRole"
	// Object is the object the role was read from; nil only for roles
	// Rampart synthesises.
	Object *inventory.Object
	// Rules are the effective rules: for a ClusterRole with an
	// aggregationRule, the rules aggregated from the ClusterRoles its
	// selectors select, as kube-controller-manager would write them.
	Rules []rbacv1.PolicyRule
	// AggregatedFrom names the ClusterRoles whose rules were aggregated in.
	AggregatedFrom []string
}

// Binding is a RoleBinding or ClusterRoleBinding with its role resolved.
type Binding struct {
	Kind, Namespace, Name string // "RoleBinding" (Namespace set) or "ClusterRoleBinding"
	Object                *inventory.Object
	// Subjects are as written; SubjectOf applies the authorizer's
	// defaulting of a service account's namespace.
	Subjects []rbacv1.Subject
	RoleRef  rbacv1.RoleRef
	// Role is nil when the referenced role does not exist.
	Role *Role

	// rank is the binding's position in Index.Bindings; subjects are its
	// subjects that can match someone, resolved, each once; both make
	// WhoCan's sorting integer comparisons.
	rank     int
	subjects []rankedSubject
}

type rankedSubject struct {
	Subject
	rank int
}

// Grant explains why a subject is allowed something.
type Grant struct {
	Subject Subject
	Binding *Binding // nil when Masters
	Role    *Role    // nil when Masters
	Rule    int      // index into Role.Rules
	// Masters is set when the subject is allowed because of the group
	// system:masters, which the API server allows everything before RBAC
	// runs.
	Masters bool
}

// Index answers RBAC questions over one inventory. It is read-only once
// built and safe for concurrent use.
type Index struct {
	roles    []*Role
	bindings []*Binding
	roleBy   map[roleKey]*Role

	// Subject index: bindings naming a user (service accounts under their
	// user name system:serviceaccount:NS:NAME, which is how the authorizer
	// compares them) or a group.
	byUser  map[string][]subjectRef
	byGroup map[string][]subjectRef

	// Role index: the bindings of each role, cluster-wide and per namespace.
	boundBy map[*Role]*roleBindings

	// Rule index: rules by (resource, verb) with "*" buckets; ClusterRole
	// rules apart from Role rules, which only count in their namespace.
	clusterRules ruleBuckets
	nsRules      map[string]ruleBuckets
	// Binding-rule index: the rules of each binding by scope, resource
	// and verb, for WhoCan in one namespace.
	bound            map[scopeKey][]boundRule
	boundNonResource []boundRule
	roleEntries      map[*Role][]roleEntry
	rvIDs            map[rvKey]int32
	nsIDs            map[string]int32

	clusterScoped map[groupResource]bool
	aws           *awsAuth
	mastersRank   int
}

type roleKey struct{ kind, namespace, name string }

type groupResource struct{ group, resource string }

// subjectRef is one subject of one binding.
type subjectRef struct {
	b *Binding
	i int
}

type roleBindings struct {
	cluster []*Binding            // ClusterRoleBindings
	byNS    map[string][]*Binding // RoleBindings, by namespace
}

// Build indexes the RBAC objects (and the EKS aws-auth ConfigMap) of inv.
// ClusterRoles with an aggregationRule get their aggregated rules computed
// from the label selectors, whether or not a controller has filled them.
func Build(inv *inventory.Inventory) *Index {
	ix := &Index{
		roleBy:        map[roleKey]*Role{},
		byUser:        map[string][]subjectRef{},
		byGroup:       map[string][]subjectRef{},
		boundBy:       map[*Role]*roleBindings{},
		nsRules:       map[string]ruleBuckets{},
		bound:         map[scopeKey][]boundRule{},
		roleEntries:   map[*Role][]roleEntry{},
		rvIDs:         map[rvKey]int32{},
		nsIDs:         map[string]int32{},
		clusterScoped: map[groupResource]bool{},
	}
	if inv == nil {
		return ix
	}
	var clusterRoles []*Role
	for _, o := range inv.Objects {
		switch t := o.Typed.(type) {
		case *rbacv1.Role:
			ix.addRole(&Role{Kind: "Role", Namespace: o.Namespace, Name: o.Name, Object: o, Rules: t.Rules})
		case *rbacv1.ClusterRole:
			r := &Role{Kind: "ClusterRole", Name: o.Name, Object: o, Rules: t.Rules}
			if ix.addRole(r) {
				clusterRoles = append(clusterRoles, r)
			}
		case *rbacv1.RoleBinding:
			ix.bindings = append(ix.bindings, &Binding{Kind: "RoleBinding", Namespace: o.Namespace, Name: o.Name, Object: o, Subjects: t.Subjects, RoleRef: t.RoleRef})
		case *rbacv1.ClusterRoleBinding:
			ix.bindings = append(ix.bindings, &Binding{Kind: "ClusterRoleBinding", Name: o.Name, Object: o, Subjects: t.Subjects, RoleRef: t.RoleRef})
		}
		ix.learnScope(o)
		if isAWSAuth(o) {
			ix.aws = parseAWSAuth(o)
		}
	}
	aggregate(clusterRoles)
	slices.SortStableFunc(ix.roles, compareRoles)
	slices.SortStableFunc(ix.bindings, compareBindings)
	ix.bindings = slices.CompactFunc(ix.bindings, func(a, b *Binding) bool { return compareBindings(a, b) == 0 })
	for _, r := range ix.roles {
		ix.indexRules(r)
	}
	for i, b := range ix.bindings {
		b.rank = i
		ix.indexBinding(b)
		ix.indexBindingRules(b)
	}
	ix.rankSubjects()
	return ix
}

// rankSubjects numbers every subject of every binding (and
// system:masters) in subject order.
func (ix *Index) rankSubjects() {
	type entry struct {
		s Subject
		b *Binding
	}
	all := []entry{{s: Subject{Kind: rbacv1.GroupKind, Name: GroupMasters}}}
	for _, b := range ix.bindings {
		for _, s := range b.Subjects {
			if sub, ok := SubjectOf(s, b.Namespace); ok {
				all = append(all, entry{sub, b})
			}
		}
	}
	slices.SortFunc(all, func(x, y entry) int { return compareSubjects(x.s, y.s) })
	rank := 0
	for i, e := range all {
		if i > 0 && e.s != all[i-1].s {
			rank++
		}
		if e.b == nil {
			if e.s.Kind == rbacv1.GroupKind && e.s.Name == GroupMasters {
				ix.mastersRank = rank
			}
			continue
		}
		// A subject listed twice in one binding sorts next to itself.
		if n := len(e.b.subjects); n > 0 && e.b.subjects[n-1].Subject == e.s {
			continue
		}
		e.b.subjects = append(e.b.subjects, rankedSubject{e.s, rank})
	}
}

// addRole records r unless a role of the same kind, namespace and name
// was already read (the first one wins, as with duplicate documents the
// API server would reject the second create).
func (ix *Index) addRole(r *Role) bool {
	k := roleKey{r.Kind, r.Namespace, r.Name}
	if ix.roleBy[k] != nil {
		return false
	}
	ix.roleBy[k] = r
	ix.roles = append(ix.roles, r)
	return true
}

func (ix *Index) indexBinding(b *Binding) {
	switch b.RoleRef.Kind {
	case "Role":
		// A ClusterRoleBinding cannot use a Role: the lookup with no
		// namespace finds nothing, as in the authorizer.
		b.Role = ix.roleBy[roleKey{"Role", b.Namespace, b.RoleRef.Name}]
	case "ClusterRole":
		b.Role = ix.roleBy[roleKey{"ClusterRole", "", b.RoleRef.Name}]
	}
	if b.Role != nil {
		rb := ix.boundBy[b.Role]
		if rb == nil {
			rb = &roleBindings{byNS: map[string][]*Binding{}}
			ix.boundBy[b.Role] = rb
		}
		if b.Kind == "ClusterRoleBinding" {
			rb.cluster = append(rb.cluster, b)
		} else {
			rb.byNS[b.Namespace] = append(rb.byNS[b.Namespace], b)
		}
	}
	for i, s := range b.Subjects {
		ns := ""
		if b.Kind == "RoleBinding" {
			ns = b.Namespace
		}
		switch s.Kind {
		case rbacv1.UserKind:
			ix.byUser[s.Name] = append(ix.byUser[s.Name], subjectRef{b, i})
		case rbacv1.GroupKind:
			ix.byGroup[s.Name] = append(ix.byGroup[s.Name], subjectRef{b, i})
		case rbacv1.ServiceAccountKind:
			if sub, ok := SubjectOf(s, ns); ok {
				u := ServiceAccountUsername(sub.Namespace, sub.Name)
				ix.byUser[u] = append(ix.byUser[u], subjectRef{b, i})
			}
		}
	}
}

// Roles returns every Role and ClusterRole, sorted by kind, namespace and
// name.
func (ix *Index) Roles() []*Role { return ix.roles }

// Bindings returns every RoleBinding and ClusterRoleBinding, sorted by
// kind, namespace and name.
func (ix *Index) Bindings() []*Binding { return ix.bindings }

// Role returns the role of that kind ("Role" or "ClusterRole"), namespace
// and name, or nil.
func (ix *Index) Role(kind, namespace, name string) *Role {
	if kind == "ClusterRole" {
		namespace = ""
	}
	return ix.roleBy[roleKey{kind, namespace, name}]
}

// BindingsOf returns the bindings that reference r.
func (ix *Index) BindingsOf(r *Role) []*Binding {
	rb := ix.boundBy[r]
	if rb == nil {
		return nil
	}
	out := slices.Clone(rb.cluster)
	for _, bs := range rb.byNS {
		out = append(out, bs...)
	}
	slices.SortFunc(out, compareBindings)
	return out
}

// Allowed reports whether u may make req, with every grant that allows it
// (none when denied). It decides as the API server does with RBAC
// authorization: system:masters first, then ClusterRoleBindings, then the
// RoleBindings of the request's namespace.
func (ix *Index) Allowed(u User, req Request) (bool, []Grant) {
	if !req.IsResourceRequest() {
		// Non-resource requests have no namespace: RoleBindings never
		// grant them.
		req.Namespace = ""
	}
	var grants []Grant
	if slices.Contains(u.Groups, GroupMasters) {
		grants = append(grants, mastersGrant())
	}
	for _, ref := range ix.refsOf(u) {
		b := ref.b
		if b.Role == nil {
			continue
		}
		if b.Kind == "RoleBinding" && (req.Namespace == "" || b.Namespace != req.Namespace) {
			continue
		}
		sub, _ := SubjectOf(b.Subjects[ref.i], b.Namespace)
		for i, r := range b.Role.Rules {
			if RuleAllows(r, req) {
				grants = append(grants, Grant{Subject: sub, Binding: b, Role: b.Role, Rule: i})
			}
		}
	}
	sortGrants(grants)
	return len(grants) > 0, grants
}

// refsOf returns, for each binding naming u (by user name, service
// account or group), the first subject that names u, as the authorizer's
// appliesTo does.
func (ix *Index) refsOf(u User) []subjectRef {
	var refs []subjectRef
	if u.Name != "" {
		// An empty user name is a group-only identity: no real user has
		// it, and the API server rejects subjects with empty names.
		refs = append(refs, ix.byUser[u.Name]...)
	}
	for _, g := range u.Groups {
		refs = append(refs, ix.byGroup[g]...)
	}
	if len(refs) < 2 {
		return refs
	}
	slices.SortFunc(refs, func(a, b subjectRef) int {
		if c := compareBindings(a.b, b.b); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	return slices.CompactFunc(refs, func(a, b subjectRef) bool { return a.b == b.b })
}

func mastersGrant() Grant {
	return Grant{Subject: Subject{Kind: rbacv1.GroupKind, Name: GroupMasters}, Masters: true}
}

// compare3 compares (a1, a2, a3) with (b1, b2, b3); unlike cmp.Or it
// stops at the first difference, which matters in hot sorts.
func compare3(a1, a2, a3, b1, b2, b3 string) int {
	if a1 != b1 {
		return strings.Compare(a1, b1)
	}
	if a2 != b2 {
		return strings.Compare(a2, b2)
	}
	return strings.Compare(a3, b3)
}

func compareRoles(a, b *Role) int {
	return compare3(a.Kind, a.Namespace, a.Name, b.Kind, b.Namespace, b.Name)
}

func compareBindings(a, b *Binding) int {
	return compare3(a.Kind, a.Namespace, a.Name, b.Kind, b.Namespace, b.Name)
}

func compareSubjects(a, b Subject) int {
	return compare3(a.Kind, a.Namespace, a.Name, b.Kind, b.Namespace, b.Name)
}

// compareGrants orders grants by subject, then masters first, then
// binding, role and rule.
func compareGrants(a, b Grant) int {
	if c := compareSubjects(a.Subject, b.Subject); c != 0 {
		return c
	}
	if a.Masters != b.Masters {
		if a.Masters {
			return -1
		}
		return 1
	}
	if a.Binding != b.Binding {
		if a.Binding == nil {
			return -1
		}
		if b.Binding == nil {
			return 1
		}
		if c := compareBindings(a.Binding, b.Binding); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.Rule, b.Rule)
}

func sortGrants(g []Grant) { slices.SortStableFunc(g, compareGrants) }
