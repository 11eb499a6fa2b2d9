package rbac

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/inventory"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// indexOf builds an Index from YAML manifests.
func indexOf(t testing.TB, manifests string) *Index {
	t.Helper()
	objs, notes := inventory.ParseBytes("test.yaml", []byte(manifests), inventory.Limits{})
	for _, n := range notes {
		t.Fatalf("fixture: %s", n.Message)
	}
	return Build(&inventory.Inventory{Objects: objs})
}

func user(name string, groups ...string) User {
	return User{Name: name, Groups: append([]string{GroupAuthenticated}, groups...)}
}

func sa(ns, name string) User {
	return IdentityOf(Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name})
}

// trapWorld holds one binding per trap of the issue; each case below
// exercises one.
const trapWorld = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: url-reader}
rules:
- nonResourceURLs: ["/healthz", "/metrics*"]
  verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-reader}
rules:
- apiGroups: [""]
  resources: ["nodes"]
  verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb-url-and-nodes, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: url-reader}
subjects:
- {kind: User, name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb-nodes, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-reader}
subjects:
- {kind: User, name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: builder, namespace: ci}
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["create"]
- apiGroups: [""]
  resources: ["secrets"]
  resourceNames: ["ci-token"]
  verbs: ["get", "list", "watch", "create", "deletecollection"]
- apiGroups: ["*"]
  resources: ["*/scale"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder, namespace: ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: builder}
subjects:
- {kind: Group, name: nobody-group}
- {kind: ServiceAccount, name: builder}
- {kind: User, name: "*"}
- {kind: User, name: bob}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: sa-without-namespace}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-reader}
subjects:
- {kind: ServiceAccount, name: builder}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: binder}
rules:
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["clusterroles"]
  verbs: ["bind", "escalate"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: binder}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: binder}
subjects:
- {kind: Group, name: "system:serviceaccounts:ci"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-urls}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: url-reader}
subjects:
- {kind: Group, name: "system:authenticated"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: public}
rules:
- nonResourceURLs: ["/version"]
  verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: public}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: public}
subjects:
- {kind: Group, name: "system:unauthenticated"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-reader, namespace: team-b}
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: carol-cm, namespace: team-b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
subjects:
- {kind: User, name: carol}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: missing-role, namespace: team-b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: not-there}
subjects:
- {kind: User, name: carol}
`

func TestAllowedTraps(t *testing.T) {
	ix := indexOf(t, trapWorld)
	cases := []struct {
		name string
		u    User
		req  Request
		want bool
	}{
		{"RoleBinding never grants nonResourceURLs", User{Name: "alice"}, Request{Verb: "get", NonResourceURL: "/healthz", Namespace: "team-a"}, false},
		{"ClusterRoleBinding grants nonResourceURLs", user("alice"), Request{Verb: "get", NonResourceURL: "/metrics/x"}, true},
		{"RoleBinding never grants cluster-scoped resources", user("alice"), ix.Normalize(Request{Verb: "get", Resource: "nodes", Namespace: "team-a"}), false},
		{"RoleBinding grants namespaced resources of a ClusterRole", user("alice"), Request{Verb: "list", Resource: "nodes", Namespace: "team-a"}, true},
		{"RoleBinding grants only in its namespace", user("alice"), Request{Verb: "list", Resource: "nodes", Namespace: "team-b"}, false},
		{"*/sub matches that subresource", user("bob"), Request{Verb: "update", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Namespace: "ci"}, true},
		{"*/sub needs the subresource", user("bob"), Request{Verb: "update", APIGroup: "apps", Resource: "deployments", Namespace: "ci"}, false},
		{"pods does not match pods/status", user("bob"), Request{Verb: "create", Resource: "pods", Subresource: "status", Namespace: "ci"}, false},
		{"pods matches pods", user("bob"), Request{Verb: "create", Resource: "pods", Namespace: "ci"}, true},
		{"named get matches resourceNames", user("bob"), Request{Verb: "get", Resource: "secrets", Name: "ci-token", Namespace: "ci"}, true},
		{"list never matches resourceNames", user("bob"), Request{Verb: "list", Resource: "secrets", Namespace: "ci"}, false},
		{"create never matches resourceNames", user("bob"), Request{Verb: "create", Resource: "secrets", Namespace: "ci"}, false},
		{"deletecollection never matches resourceNames", user("bob"), Request{Verb: "deletecollection", Resource: "secrets", Namespace: "ci"}, false},
		{"apiGroups honoured, core is empty", user("bob"), Request{Verb: "create", APIGroup: "apps", Resource: "pods", Namespace: "ci"}, false},
		{"SA without namespace takes the binding's", sa("ci", "builder"), Request{Verb: "create", Resource: "pods", Namespace: "ci"}, true},
		{"SA of another namespace is not it", sa("other", "builder"), Request{Verb: "create", Resource: "pods", Namespace: "ci"}, false},
		{"SA without namespace in a ClusterRoleBinding matches no one", sa("ci", "builder"), Request{Verb: "get", Resource: "nodes"}, false},
		{"User * matches nobody else", user("mallory"), Request{Verb: "create", Resource: "pods", Namespace: "ci"}, false},
		{"User * matches the user literally named *", User{Name: "*"}, Request{Verb: "create", Resource: "pods", Namespace: "ci"}, true},
		{"later subject of a binding counts", user("bob"), Request{Verb: "create", Resource: "pods", Namespace: "ci"}, true},
		{"system:masters allowed everything", User{Name: "root", Groups: []string{GroupMasters}}, Request{Verb: "delete", Resource: "anything", APIGroup: "x.io"}, true},
		{"system:masters allowed any URL", User{Name: "root", Groups: []string{GroupMasters}}, Request{Verb: "post", NonResourceURL: "/x"}, true},
		{"system:authenticated expanded for users", IdentityOf(Subject{Kind: rbacv1.UserKind, Name: "dave"}), Request{Verb: "get", NonResourceURL: "/healthz"}, true},
		{"system:authenticated expanded for service accounts", sa("x", "y"), Request{Verb: "get", NonResourceURL: "/healthz"}, true},
		{"system:serviceaccounts:ns expanded", sa("ci", "other"), Request{Verb: "bind", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"}, true},
		{"system:unauthenticated expanded for anonymous", IdentityOf(Subject{Kind: rbacv1.UserKind, Name: UserAnonymous}), Request{Verb: "get", NonResourceURL: "/version"}, true},
		{"anonymous is not authenticated", IdentityOf(Subject{Kind: rbacv1.UserKind, Name: UserAnonymous}), Request{Verb: "get", NonResourceURL: "/healthz"}, false},
		{"bind is checked on clusterroles", sa("ci", "x"), Request{Verb: "escalate", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "admin"}, true},
		{"bind is not a verb on bindings", sa("ci", "x"), Request{Verb: "bind", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}, false},
		{"binding to a missing role grants nothing", user("carol"), Request{Verb: "list", Resource: "configmaps", Namespace: "team-b"}, false},
		{"group identity holds only its group", User{Groups: []string{"system:serviceaccounts:ci"}}, Request{Verb: "bind", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, grants := ix.Allowed(c.u, c.req)
			if got != c.want {
				t.Fatalf("Allowed(%+v, %v) = %v, want %v (grants %v)", c.u, c.req, got, c.want, grantStrings(grants))
			}
			if got != (len(grants) > 0) {
				t.Fatalf("allowed %v with %d grants", got, len(grants))
			}
		})
	}
}

func grantStrings(gs []Grant) []string {
	var out []string
	for _, g := range gs {
		if g.Masters {
			out = append(out, g.Subject.String()+" masters")
			continue
		}
		out = append(out, g.Subject.String()+" "+g.Binding.Kind+"/"+g.Binding.Namespace+"/"+g.Binding.Name+" "+g.Role.Name)
	}
	return out
}

func TestAllowedGrantNamesBindingAndRule(t *testing.T) {
	ix := indexOf(t, trapWorld)
	ok, grants := ix.Allowed(user("bob"), Request{Verb: "get", Resource: "secrets", Name: "ci-token", Namespace: "ci"})
	if !ok || len(grants) != 1 {
		t.Fatalf("want one grant, got %v", grantStrings(grants))
	}
	g := grants[0]
	if g.Subject != (Subject{Kind: rbacv1.UserKind, Name: "bob"}) || g.Binding.Name != "builder" || g.Role.Name != "builder" || g.Rule != 1 {
		t.Errorf("grant = %+v", g)
	}
	ok, grants = ix.Allowed(User{Name: "root", Groups: []string{GroupMasters}}, Request{Verb: "get", Resource: "pods"})
	if !ok || !grants[0].Masters || grants[0].Binding != nil {
		t.Errorf("masters grant = %v", grantStrings(grants))
	}
}

func TestWhoCan(t *testing.T) {
	ix := indexOf(t, trapWorld)
	cases := []struct {
		name string
		req  Request
		any  bool
		want []string
	}{
		{"all subjects of a binding, SA defaulted, masters reported",
			Request{Verb: "create", Resource: "pods", Namespace: "ci"}, false,
			[]string{"group:nobody-group", "group:system:masters", "sa:ci/builder", "user:*", "user:bob"}},
		{"RoleBindings only in the request namespace",
			Request{Verb: "create", Resource: "pods", Namespace: "team-a"}, false,
			[]string{"group:system:masters"}},
		{"-A includes RoleBindings",
			Request{Verb: "create", Resource: "pods"}, true,
			[]string{"group:nobody-group", "group:system:masters", "sa:ci/builder", "user:*", "user:bob"}},
		{"no namespace: ClusterRoleBindings only",
			Request{Verb: "create", Resource: "pods"}, false,
			[]string{"group:system:masters"}},
		{"non-resource URL: never RoleBindings, even with -A",
			Request{Verb: "get", NonResourceURL: "/healthz"}, true,
			[]string{"group:system:authenticated", "group:system:masters"}},
		{"ClusterRole through RoleBinding in the namespace",
			Request{Verb: "get", Resource: "nodes", Namespace: "team-a"}, false,
			[]string{"group:system:masters", "user:alice"}},
		{"cluster-scoped request",
			ix.Normalize(Request{Verb: "get", Resource: "nodes", Namespace: "team-a"}), false,
			[]string{"group:system:masters"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var grants []Grant
			if c.any {
				grants = ix.WhoCanAnyNamespace(c.req)
			} else {
				grants = ix.WhoCan(c.req)
			}
			var got []string
			for _, s := range Subjects(grants) {
				got = append(got, s.String())
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("WhoCan(%v) = %v, want %v", c.req, got, c.want)
			}
			if !slices.IsSortedFunc(grants, compareGrants) {
				t.Errorf("grants not sorted")
			}
		})
	}
}

// TestWhoCanAgreesWithAllowed checks on every subject of the trap world
// that WhoCan's index finds exactly the subjects Allowed allows.
func TestWhoCanAgreesWithAllowed(t *testing.T) {
	ix := indexOf(t, trapWorld)
	reqs := []Request{
		{Verb: "create", Resource: "pods", Namespace: "ci"},
		{Verb: "get", Resource: "secrets", Name: "ci-token", Namespace: "ci"},
		{Verb: "patch", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Namespace: "ci"},
		{Verb: "list", Resource: "nodes", Namespace: "team-a"},
		{Verb: "get", NonResourceURL: "/metrics"},
		{Verb: "bind", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"},
		{Verb: "get", Resource: "configmaps", Namespace: "team-b"},
	}
	for _, req := range reqs {
		for _, g := range ix.WhoCan(req) {
			ok, _ := ix.Allowed(IdentityOf(g.Subject), req)
			if !ok {
				t.Errorf("WhoCan(%v) lists %v, which Allowed denies", req, g.Subject)
			}
		}
	}
}

func TestAccess(t *testing.T) {
	ix := indexOf(t, trapWorld)
	perms := ix.Access(sa("ci", "builder"))
	var got []string
	for _, p := range perms {
		got = append(got, p.Namespace+" "+p.Grant.Binding.Name+" "+strings.Join(p.Rule.Verbs, ","))
	}
	want := []string{
		" everyone-urls get",    // through system:authenticated
		" binder bind,escalate", // through system:serviceaccounts:ci
		"ci builder create",
		"ci builder get,list,watch,create,deletecollection",
		"ci builder *",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Access = %q, want %q", got, want)
	}
	// A RoleBinding's nonResourceURLs are never granted.
	for _, p := range ix.Access(user("alice")) {
		if p.Namespace != "" && len(p.Rule.NonResourceURLs) > 0 {
			t.Errorf("RoleBinding permission with URLs: %+v", p)
		}
	}
	masters := ix.Access(User{Name: "root", Groups: []string{GroupMasters}})
	if len(masters) != 2 || !masters[0].Grant.Masters {
		t.Errorf("masters access = %+v", masters)
	}
}

// naiveAllowed is the authorizer's algorithm as upstream writes it: every
// ClusterRoleBinding, then every RoleBinding of the request's namespace,
// first applying subject, every rule. The index must agree with it.
func naiveAllowed(ix *Index, u User, req Request) bool {
	if slices.Contains(u.Groups, GroupMasters) {
		return true
	}
	ns := req.Namespace
	if !req.IsResourceRequest() {
		ns = ""
	}
	for _, b := range ix.Bindings() {
		bindingNS := ""
		if b.Kind == "RoleBinding" {
			if ns == "" || b.Namespace != ns {
				continue
			}
			bindingNS = ns
		}
		if b.Role == nil || !slices.ContainsFunc(b.Subjects, func(s rbacv1.Subject) bool { return appliesTo(u, s, bindingNS) }) {
			continue
		}
		for _, r := range b.Role.Rules {
			if RuleAllows(r, req) {
				return true
			}
		}
	}
	return false
}

// TestIndexAgreesWithNaive compares the index with the plain algorithm on
// random worlds, offline and fast (the differential test checks the plain
// algorithm's answers against a real API server).
func TestIndexAgreesWithNaive(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		g := diffGen{rand.New(rand.NewPCG(seed, seed))}
		ix := Build(worldInventory(g.world(60)))
		for range 2000 {
			u, req := g.identity(), g.request()
			got, grants := ix.Allowed(u, req)
			if want := naiveAllowed(ix, u, req); got != want {
				t.Fatalf("seed %d: %+v %+v: index %v (%v), naive %v", seed, u, req, got, grantStrings(grants), want)
			}
			if msg := crossCheck(ix, u, req, got, grants); msg != "" {
				t.Fatalf("seed %d: %+v %+v: %s", seed, u, req, msg)
			}
		}
	}
}

// worldInventory turns a generated world into inventory objects, as if
// read from manifests.
func worldInventory(w diffWorld) *inventory.Inventory {
	inv := &inventory.Inventory{}
	add := func(kind string, m metav1.Object, typed runtime.Object) {
		inv.Objects = append(inv.Objects, &inventory.Object{APIVersion: "rbac.authorization.k8s.io/v1", Kind: kind,
			Namespace: m.GetNamespace(), Name: m.GetName(), Labels: m.GetLabels(), Typed: typed})
	}
	for _, o := range w.roles {
		add("Role", o, o)
	}
	for _, o := range w.clusterRoles {
		add("ClusterRole", o, o)
	}
	for _, o := range w.roleBindings {
		add("RoleBinding", o, o)
	}
	for _, o := range w.clusterRoleBindings {
		add("ClusterRoleBinding", o, o)
	}
	return inv
}

// TestConcurrentQueries: an Index is read-only once built (run with -race).
func TestConcurrentQueries(t *testing.T) {
	ix := indexOf(t, trapWorld)
	req := Request{Verb: "create", Resource: "pods", Namespace: "ci"}
	want := len(ix.WhoCan(req))
	done := make(chan int)
	for range 4 {
		go func() {
			n := 0
			for range 200 {
				n = len(ix.WhoCan(req))
				ix.WhoCanAnyNamespace(req)
				ix.Allowed(user("bob"), req)
				ix.Access(sa("ci", "builder"))
			}
			done <- n
		}()
	}
	for range 4 {
		if n := <-done; n != want {
			t.Errorf("concurrent WhoCan gave %d grants, want %d", n, want)
		}
	}
}
