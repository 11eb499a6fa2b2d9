package rbac

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Privilege-escalation paths. The graph's nodes are subjects (users,
// groups, service accounts) and its edges say "can become": a subject that
// can create pods in a namespace can run a pod as any service account
// there; one that can read a namespace's secrets can take the legacy
// tokens they hold; one that can create serviceaccounts/token mints a
// token; one that can impersonate acts as whom it impersonates; and one
// that may both bind a role and write bindings grants itself the role.
// A path ends at a subject that is effectively cluster-admin (allowed
// every verb on every resource cluster-wide, system:masters included) or
// that holds a crown-jewel permission.
//
// The search runs backwards from the targets, breadth first, so every
// subject gets its shortest path in one pass over the graph (O(nodes +
// edges)) instead of one search per subject. Edges are never
// materialised per pair: "create pods in N" is one bucket that reaches
// every service account of N at once.

// EscalationOptions tune EscalationPaths.
type EscalationOptions struct {
	// CrownJewels are requests whose holders count as targets besides the
	// cluster-admin equivalents, e.g. get secrets in namespace payments.
	CrownJewels []Request
}

// Step is one "can become" move of a path.
type Step struct {
	// From is the subject that acts; Via is the subject named in the
	// binding that allows it: From itself or one of its groups.
	From, Via Subject
	// Action says what From does, e.g. "create pods in kube-system".
	Action string
	// To is who From becomes; zero when the action reaches the target
	// by itself (binding cluster-admin to oneself).
	To    Subject
	Grant Grant
}

// Path is a shortest chain of steps from a subject to a target.
type Path struct {
	Start Subject
	Steps []Step
	// Target names what the path reaches: "cluster-admin" or the crown
	// jewel's request.
	Target string
	// Holder is how the last subject holds the target; zero when the last
	// step reaches it by itself.
	Holder Grant
}

// String prints the path step by step.
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p.Steps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s.From.String())
		if s.Via != s.From {
			b.WriteString(" (as a member of " + s.Via.String() + ")")
		}
		b.WriteString(" can " + s.Action)
		if s.Grant.Binding != nil {
			fmt.Fprintf(&b, " (%s %q, %s %q)", s.Grant.Binding.Kind, s.Grant.Binding.Name, s.Grant.Role.Kind, s.Grant.Role.Name)
		}
		if s.To != (Subject{}) {
			b.WriteString(", so it can act as " + s.To.String())
		}
	}
	if last := p.Steps[len(p.Steps)-1]; last.To != (Subject{}) {
		b.WriteString(", which " + holderText(p.Holder, p.Target))
	}
	fmt.Fprintf(&b, "; so %s can become %s", p.Start, p.Target)
	if n := len(p.Steps); n > 1 {
		fmt.Fprintf(&b, " in %d steps", n)
	}
	return b.String()
}

func holderText(g Grant, target string) string {
	switch {
	case g.Masters:
		return "is in system:masters, allowed everything"
	case g.Binding != nil:
		return fmt.Sprintf("holds %s through %s %q (%s %q)", target, g.Binding.Kind, g.Binding.Name, g.Role.Kind, g.Role.Name)
	}
	return "holds " + target
}

// adminRequest matches only rules with "*" verbs, API groups and
// resources; asked with no namespace, only ClusterRoleBindings (and
// system:masters) allow it: effectively cluster-admin.
var adminRequest = Request{Verb: rbacv1.VerbAll, APIGroup: rbacv1.APIGroupAll, Resource: rbacv1.ResourceAll}

// escCapKind is a permission that opens an edge.
type escCapKind int

const (
	capPods escCapKind = iota // create pods or write pod controllers
	capSecrets
	capToken
	capImpUsers
	capImpGroups
	capImpSAs
	capBindRoles // bind any role (unnamed)
	capWriteRoleBindings
	capWriteClusterRoleBindings
	capEscalate
	capUpdateRoles
	capCount
)

// escProbe is how a capability is recognised: the requests that grant it.
type escProbe struct {
	kind escCapKind
	reqs []Request
	// cluster says the resource is cluster-scoped: only a ClusterRoleBinding grants it.
	cluster bool
}

var escProbes = []escProbe{
	{kind: capPods, reqs: append(dangerous("", []string{"create"}, "pods"), dangerous("apps", []string{"create", "update", "patch"}, "deployments", "statefulsets", "daemonsets", "replicasets")...)},
	{kind: capPods, reqs: append(dangerous("batch", []string{"create", "update", "patch"}, "jobs", "cronjobs"), dangerous("", []string{"create", "update", "patch"}, "replicationcontrollers")...)},
	{kind: capSecrets, reqs: dangerous("", []string{"get", "list", "watch"}, "secrets")},
	{kind: capToken, reqs: dangerous("", []string{"create"}, "serviceaccounts/token")},
	{kind: capImpUsers, reqs: dangerous("", []string{"impersonate"}, "users"), cluster: true},
	{kind: capImpGroups, reqs: dangerous("", []string{"impersonate"}, "groups"), cluster: true},
	{kind: capImpSAs, reqs: dangerous("", []string{"impersonate"}, "serviceaccounts")},
	{kind: capBindRoles, reqs: dangerous("rbac.authorization.k8s.io", []string{"bind"}, "clusterroles", "roles")},
	{kind: capWriteRoleBindings, reqs: dangerous("rbac.authorization.k8s.io", []string{"create", "update", "patch"}, "rolebindings")},
	{kind: capWriteClusterRoleBindings, reqs: dangerous("rbac.authorization.k8s.io", []string{"create", "update", "patch"}, "clusterrolebindings"), cluster: true},
	{kind: capEscalate, reqs: dangerous("rbac.authorization.k8s.io", []string{"escalate"}, "clusterroles", "roles")},
	{kind: capUpdateRoles, reqs: dangerous("rbac.authorization.k8s.io", []string{"update", "patch"}, "clusterroles", "roles")},
}

// escCap is one capability a role's rule gives: unrestricted (names nil)
// or for the objects it names.
type escCap struct {
	kind escCapKind
	// cluster: only a ClusterRoleBinding grants it.
	cluster bool
	names   []string
	rule    int
	req     Request
}

// capsOf finds the capabilities of a role's rules. A named request counts
// only for the names the rule lists, exactly as the authorizer matches
// them.
func capsOf(role *Role) []escCap {
	var out []escCap
	for i, rule := range role.Rules {
		for _, p := range escProbes {
			for _, req := range p.reqs {
				if RuleAllows(rule, req) {
					out = append(out, escCap{kind: p.kind, cluster: p.cluster, rule: i, req: req})
					break
				}
				var names []string
				for _, n := range rule.ResourceNames {
					named := req
					named.Name = n
					if RuleAllows(rule, named) {
						names = append(names, n)
					}
				}
				if len(names) > 0 {
					out = append(out, escCap{kind: p.kind, cluster: p.cluster, names: names, rule: i, req: req})
					break
				}
			}
		}
	}
	return out
}

// escHeld is a capability a grantee holds through one binding (whose
// namespace is where; "" for cluster-wide). It is kept small: there is
// one per capability per grant.
type escHeld struct {
	cap       *escCap
	namespace string
	binding   *Binding
	subject   Subject
}

// grant is the grant that gives the capability.
func (h escHeld) grant() Grant {
	return Grant{Subject: h.subject, Binding: h.binding, Role: h.binding.Role, Rule: h.cap.rule}
}

func (h escHeld) allows(name string) bool {
	return h.cap.names == nil || slices.Contains(h.cap.names, name)
}

// escEntry is one grantee of a bucket and the action it takes.
type escEntry struct {
	grantee Subject
	grant   Grant
	// action renders what the grantee does to reach a node.
	action func(to Subject) string
}

// escGraph is the reversed graph of one index.
type escGraph struct {
	ix *Index
	// nodes are the identities, in a stable order.
	nodes []Subject
	known map[Subject]bool
	// members maps a grantee (a binding's subject) to the identities that
	// have its grants: itself, and for a group its members.
	members map[Subject][]Subject
	// held are the capabilities of each grantee.
	held map[Subject][]escHeld
	// buckets are the grantees that reach a node, by key (see keysOf).
	buckets map[string][]escEntry
	// tokens are the legacy token Secrets of each service account.
	tokens map[Subject][]string
}

// serviceAccountSubject returns the service account a user name stands
// for, as the authorizer treats system:serviceaccount:NS:NAME.
func serviceAccountSubject(s Subject) Subject {
	if s.Kind == rbacv1.UserKind {
		if rest, ok := strings.CutPrefix(s.Name, saUserPrefix); ok {
			if ns, name, ok := strings.Cut(rest, ":"); ok && ns != "" && name != "" {
				return Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
			}
		}
	}
	return s
}

// groupsOf are the groups an identity is in, as grantees.
func groupsOf(s Subject) []Subject {
	if s.Kind == rbacv1.GroupKind {
		return nil
	}
	var out []Subject
	for _, g := range IdentityOf(s).Groups {
		out = append(out, Subject{Kind: rbacv1.GroupKind, Name: g})
	}
	return out
}

func buildEscGraph(ix *Index, sas map[string][]string, tokens map[Subject][]string) *escGraph {
	g := &escGraph{ix: ix, known: map[Subject]bool{}, members: map[Subject][]Subject{}, held: map[Subject][]escHeld{},
		buckets: map[string][]escEntry{}, tokens: tokens}
	add := func(s Subject) {
		s = serviceAccountSubject(s)
		if !g.known[s] {
			g.known[s] = true
			g.nodes = append(g.nodes, s)
		}
	}
	add(Subject{Kind: rbacv1.GroupKind, Name: GroupMasters})
	caps := map[*Role][]escCap{}
	for _, b := range ix.Bindings() {
		for _, rs := range b.Subjects {
			s, ok := SubjectOf(rs, b.Namespace)
			if !ok {
				continue
			}
			add(s)
			if b.Role == nil {
				continue
			}
			cs, seen := caps[b.Role]
			if !seen {
				cs = capsOf(b.Role)
				caps[b.Role] = cs
			}
			grantee := serviceAccountSubject(s)
			for i := range cs {
				if cs[i].cluster && b.Kind == "RoleBinding" {
					continue
				}
				g.held[grantee] = append(g.held[grantee], escHeld{cap: &cs[i], namespace: b.Namespace, binding: b, subject: s})
			}
		}
	}
	for ns, names := range sas {
		for _, n := range names {
			add(Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: n})
		}
	}
	slices.SortFunc(g.nodes, compareSubjects)
	for _, n := range g.nodes {
		g.members[n] = append(g.members[n], n)
		for _, grp := range groupsOf(n) {
			g.members[grp] = append(g.members[grp], n)
		}
	}
	for grantee, hs := range g.held {
		g.bucketize(grantee, hs)
	}
	return g
}

// bucketize files a grantee's capabilities under the keys of the nodes
// they reach.
func (g *escGraph) bucketize(grantee Subject, hs []escHeld) {
	has := func(kind escCapKind, ns string, cluster bool) []escHeld {
		var out []escHeld
		for _, h := range hs {
			if h.cap.kind == kind && (h.namespace == "" || (!cluster && h.namespace == ns)) {
				out = append(out, h)
			}
		}
		return out
	}
	put := func(key string, h escHeld, action func(Subject) string) {
		g.buckets[key] = append(g.buckets[key], escEntry{grantee: grantee, grant: h.grant(), action: action})
	}
	where := func(h escHeld) string { return h.namespace }
	canImpersonateUser := false
	for _, h := range hs {
		if h.cap.kind == capImpUsers || h.cap.kind == capImpSAs {
			canImpersonateUser = true
		}
	}
	for _, h := range hs {
		ns := where(h)
		scope := ns
		if scope == "" {
			scope = "*"
		}
		req := h.cap.req.String()
		switch h.cap.kind {
		case capPods:
			if h.cap.names == nil {
				put("pods/"+scope, h, func(to Subject) string { return req + " in " + to.Namespace + ", where pods may run as " + to.String() })
			}
		case capSecrets:
			if h.cap.names == nil {
				put("secrets/"+scope, h, func(to Subject) string {
					return req + " in " + to.Namespace + ", which holds a token of " + to.String()
				})
				continue
			}
			for _, n := range h.cap.names {
				put("secret/"+scope+"/"+n, h, func(to Subject) string { return req + " " + n + " in " + to.Namespace + ", a token of " + to.String() })
			}
		case capToken:
			g.putNamed(grantee, h, "token", scope, func(to Subject) string { return "create serviceaccounts/token for " + to.String() })
		case capImpSAs:
			g.putNamed(grantee, h, "impsa", scope, func(to Subject) string { return "impersonate " + to.String() })
		case capImpUsers:
			g.putNamed(grantee, h, "impuser", "*", func(to Subject) string { return "impersonate " + to.String() })
		case capImpGroups:
			if canImpersonateUser {
				g.putNamed(grantee, h, "impgroup", "*", func(to Subject) string { return "impersonate " + to.String() })
			}
		case capBindRoles:
			if h.cap.names != nil && !slices.Contains(h.cap.names, "cluster-admin") {
				continue
			}
			// Binding any role (or cluster-admin) with a binding the
			// grantee can write: cluster-wide it becomes cluster-admin,
			// in a namespace it controls the namespace (and so runs pods
			// as its service accounts).
			if ns == "" && len(has(capWriteClusterRoleBindings, "", true)) > 0 {
				put("direct", h, func(Subject) string {
					return "bind ClusterRole cluster-admin to itself (bind on clusterroles and write access to clusterrolebindings)"
				})
				continue
			}
			for _, w := range has(capWriteRoleBindings, ns, false) {
				at := ns
				if at == "" {
					at = where(w)
				}
				key := "*"
				if at != "" {
					key = at
				}
				put("pods/"+key, h, func(to Subject) string {
					return "bind any role in " + to.Namespace + " (bind on roles and write access to rolebindings), and so run pods as " + to.String()
				})
			}
		case capEscalate:
			g.escalate(grantee, h, has(capUpdateRoles, ns, false), put)
		}
	}
}

// escalate files the escalate capability: with update on a role bound to
// the grantee, the grantee rewrites that role to hold anything.
func (g *escGraph) escalate(grantee Subject, h escHeld, updates []escHeld, put func(string, escHeld, func(Subject) string)) {
	for _, u := range updates {
		for _, hb := range g.held[grantee] {
			b := hb.binding
			if b.Role == nil || !u.allows(b.Role.Name) {
				continue
			}
			if b.Kind == "ClusterRoleBinding" && b.Role.Kind == "ClusterRole" && h.namespace == "" && u.namespace == "" {
				name := b.Role.Name
				put("direct", h, func(Subject) string {
					return "escalate and update ClusterRole " + name + ", which a ClusterRoleBinding grants it, to allow everything"
				})
				return
			}
		}
	}
}

// putNamed files a capability on named objects (service accounts, users,
// groups) under "kind/scope" when unrestricted, else "kind/scope/name".
func (g *escGraph) putNamed(grantee Subject, h escHeld, kind, scope string, action func(Subject) string) {
	e := escEntry{grantee: grantee, grant: h.grant(), action: action}
	if h.cap.names == nil {
		g.buckets[kind+"/"+scope] = append(g.buckets[kind+"/"+scope], e)
		return
	}
	for _, n := range h.cap.names {
		g.buckets[kind+"/"+scope+"/"+n] = append(g.buckets[kind+"/"+scope+"/"+n], e)
	}
}

// keysOf lists the buckets whose grantees can become node t.
func (g *escGraph) keysOf(t Subject) []string {
	switch t.Kind {
	case rbacv1.ServiceAccountKind:
		ns, n := t.Namespace, t.Name
		user := ServiceAccountUsername(ns, n)
		keys := []string{"pods/" + ns, "pods/*",
			"token/" + ns, "token/*", "token/" + ns + "/" + n, "token/*/" + n,
			"impsa/" + ns, "impsa/*", "impsa/" + ns + "/" + n, "impsa/*/" + n,
			"impuser/*", "impuser/*/" + user}
		if len(g.tokens[t]) > 0 {
			keys = append(keys, "secrets/"+ns, "secrets/*")
			for _, s := range g.tokens[t] {
				keys = append(keys, "secret/"+ns+"/"+s, "secret/*/"+s)
			}
		}
		return keys
	case rbacv1.UserKind:
		return []string{"impuser/*", "impuser/*/" + t.Name}
	case rbacv1.GroupKind:
		return []string{"impgroup/*", "impgroup/*/" + t.Name}
	}
	return nil
}

// escSearch is the result of the backward search for one target.
type escSearch struct {
	dist   map[Subject]int
	next   map[Subject]Step
	holder map[Subject]Grant
	target string
}

// search runs the backward breadth-first search from the nodes isTarget
// accepts.
func (g *escGraph) search(target string, isTarget func(Subject) (Grant, bool)) *escSearch {
	s := &escSearch{dist: map[Subject]int{}, next: map[Subject]Step{}, holder: map[Subject]Grant{}, target: target}
	var frontier []Subject
	for _, n := range g.nodes {
		if gr, ok := isTarget(n); ok {
			s.dist[n], s.holder[n] = 0, gr
			frontier = append(frontier, n)
		}
	}
	usedBucket := map[string]bool{}
	expanded := map[Subject]bool{}
	reach := func(e escEntry, to Subject, d int, next *[]Subject) {
		if expanded[e.grantee] {
			return
		}
		expanded[e.grantee] = true
		action := e.action(to)
		for _, m := range g.members[e.grantee] {
			if _, ok := s.dist[m]; ok {
				continue
			}
			s.dist[m] = d
			s.next[m] = Step{From: m, Via: e.grantee, Action: action, To: to, Grant: e.grant}
			*next = append(*next, m)
		}
	}
	// Grantees that reach the target by themselves are one step away.
	var level []Subject
	if target == adminTarget {
		for _, e := range g.buckets["direct"] {
			reach(e, Subject{}, 1, &level)
		}
	}
	for d := 1; len(frontier) > 0 || len(level) > 0; d++ {
		next := level
		level = nil
		for _, t := range frontier {
			for _, k := range g.keysOf(t) {
				if usedBucket[k] {
					continue
				}
				usedBucket[k] = true
				for _, e := range g.buckets[k] {
					reach(e, t, d, &next)
				}
			}
		}
		frontier = next
	}
	return s
}

// path rebuilds the path of a subject the search reached.
func (s *escSearch) path(start Subject) (Path, bool) {
	d, ok := s.dist[start]
	if !ok || d == 0 {
		return Path{}, false
	}
	p := Path{Start: start, Target: s.target}
	for cur := start; ; {
		st := s.next[cur]
		p.Steps = append(p.Steps, st)
		if st.To == (Subject{}) {
			return p, true
		}
		if s.dist[st.To] == 0 {
			p.Holder = s.holder[st.To]
			return p, true
		}
		cur = st.To
	}
}

// EscalationPaths returns, for every subject a binding names that is not
// itself a target, its shortest path to becoming cluster-admin (or to a
// crown jewel), shortest paths first. Service accounts are those of
// serviceAccounts (namespace → names; every namespace's "default" is
// added) plus those bindings name; tokens lists the legacy token Secrets
// of each service account.
func (ix *Index) EscalationPaths(serviceAccounts map[string][]string, tokens map[Subject][]string, opts EscalationOptions) []Path {
	g := buildEscGraph(ix, serviceAccounts, tokens)
	starts := map[Subject]bool{}
	for _, b := range ix.Bindings() {
		for _, rs := range b.Subjects {
			if s, ok := SubjectOf(rs, b.Namespace); ok {
				starts[serviceAccountSubject(s)] = true
			}
		}
	}
	searches := []*escSearch{g.search(adminTarget, ix.adminTest())}
	for _, j := range opts.CrownJewels {
		searches = append(searches, g.search(j.String(), func(n Subject) (Grant, bool) {
			ok, grants := ix.Allowed(IdentityOf(n), j)
			if !ok {
				return Grant{}, false
			}
			return grants[0], true
		}))
	}
	var out []Path
	for _, n := range g.nodes {
		if !starts[n] {
			continue
		}
		for _, s := range searches {
			if p, ok := s.path(n); ok {
				out = append(out, p)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Path) int {
		return cmp.Or(cmp.Compare(len(a.Steps), len(b.Steps)), compareSubjects(a.Start, b.Start), cmp.Compare(a.Target, b.Target))
	})
	return out
}

// adminTarget names the cluster-admin target.
const adminTarget = "cluster-admin"

// adminGrantees returns the subjects that ClusterRoleBindings make
// effectively cluster-admin, with the first such grant of each: the
// bindings whose role has a rule allowing adminRequest, which is what
// Allowed(identity, adminRequest) looks for, computed once for all
// subjects instead of once per subject.
func (ix *Index) adminGrantees() map[Subject]Grant {
	out := map[Subject]Grant{}
	for _, b := range ix.Bindings() {
		if b.Kind != "ClusterRoleBinding" || b.Role == nil {
			continue
		}
		rule := slices.IndexFunc(b.Role.Rules, func(r rbacv1.PolicyRule) bool { return RuleAllows(r, adminRequest) })
		if rule < 0 {
			continue
		}
		for _, rs := range b.Subjects {
			s, ok := SubjectOf(rs, b.Namespace)
			if !ok {
				continue
			}
			s = serviceAccountSubject(s)
			if _, seen := out[s]; !seen {
				out[s] = Grant{Subject: s, Binding: b, Role: b.Role, Rule: rule}
			}
		}
	}
	return out
}

// adminTest returns a test of whether a subject is effectively
// cluster-admin, and through which grant: it is system:masters, or it or
// one of its groups is an admin grantee.
func (ix *Index) adminTest() func(Subject) (Grant, bool) {
	admins := ix.adminGrantees()
	return func(n Subject) (Grant, bool) {
		if n.Kind == rbacv1.GroupKind && n.Name == GroupMasters {
			return mastersGrant(), true
		}
		if gr, ok := admins[n]; ok {
			return gr, true
		}
		for _, grp := range groupsOf(n) {
			if gr, ok := admins[grp]; ok {
				return gr, true
			}
		}
		return Grant{}, false
	}
}

// escalationInputs reads from an inventory the service accounts of each
// namespace (those it holds, plus "default" in every namespace it knows
// of) and the legacy token Secrets of each service account.
func escalationInputs(inv *inventory.Inventory) (map[string][]string, map[Subject][]string) {
	sas := map[string][]string{}
	seen := map[Subject]bool{}
	tokens := map[Subject][]string{}
	addSA := func(ns, name string) {
		s := Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
		if !seen[s] {
			seen[s] = true
			sas[ns] = append(sas[ns], name)
		}
	}
	for _, o := range inv.Objects {
		switch t := o.Typed.(type) {
		case *corev1.Namespace:
			addSA(o.Name, "default")
		case *corev1.ServiceAccount:
			addSA(o.Namespace, o.Name)
		case *corev1.Secret:
			if t.Type != corev1.SecretTypeServiceAccountToken || o.Annotations[corev1.ServiceAccountNameKey] == "" {
				continue
			}
			owner := Subject{Kind: rbacv1.ServiceAccountKind, Namespace: o.Namespace, Name: o.Annotations[corev1.ServiceAccountNameKey]}
			tokens[owner] = append(tokens[owner], o.Name)
		}
		if o.Namespace != "" {
			addSA(o.Namespace, "default")
		}
	}
	return sas, tokens
}

func init() {
	registry.Register(&audit.Check{
		ID:    "rbac-escalation-path",
		Title: "Subject can escalate to cluster-admin",
		Description: "Fires for each subject a binding names that is not cluster-admin itself but can become it, directly or through other subjects: " +
			"by creating pods (or pod controllers) in a namespace where a service account is more privileged, by reading the namespace's secrets that hold legacy service account tokens, " +
			"by creating tokens for service accounts, by impersonating users, groups or service accounts, by binding a role with bindings it can write, or by escalating a role bound to it. " +
			"Cluster-admin means allowed every verb on every resource cluster-wide, or being in system:masters. The message prints the shortest path step by step; " +
			"a subject whose path starts with a grant to one of its groups is reported once, for the group. Kubernetes' own bootstrap bindings are followed like any other, but a path whose first step one of them grants (a controller's) is not reported.",
		Severity:    finding.Critical,
		Remediation: "Break the first step of the path: remove the permission it uses from the subject's role, or move the privileged service account or secret it reaches to a namespace the subject cannot write.",
		Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.8"},
		Section:     "4.3.1",
		Needs:       withNeeds("serviceaccounts", "secrets", "namespaces"),
		Scan:        true,
		Run: func(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
			return analysisOf(inv, cfg).escalationFindings()
		},
	})
}

// escalationFindings reports each subject's shortest path to cluster-admin
// on the binding that allows its first step.
func (a *analysis) escalationFindings() []finding.Finding {
	a.escOnce.Do(func() {
		sas, tokens := escalationInputs(a.inv)
		for _, p := range a.index().EscalationPaths(sas, tokens, EscalationOptions{}) {
			first := p.Steps[0]
			b := first.Grant.Binding
			if first.Via != p.Start || b == nil || bootstrapBinding(b) {
				// Reported for the group instead; or a path of
				// Kubernetes' own controllers, powerful by design.
				continue
			}
			i := slices.IndexFunc(b.Subjects, func(rs rbacv1.Subject) bool {
				s, ok := SubjectOf(rs, b.Namespace)
				return ok && serviceAccountSubject(s) == first.Via
			})
			a.esc = append(a.esc, reportAt(b.Object, subjectPath(max(i, 0)), finding.Critical, "%s", p.String()))
		}
	})
	return a.esc
}
