package rbac

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/testcluster"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// kube-controller-manager runs so that aggregated ClusterRoles are filled
// by the real controller, which the differential test compares with.
func TestMain(m *testing.M) { testcluster.Main(m, testcluster.Options{ControllerManager: true}) }

var (
	seedFlag   = flag.Uint64("seed", 0, "seed of the differential test's random RBAC world (0: from the clock)")
	tuplesFlag = flag.Int("tuples", 12000, "requests the differential test compares with SubjectAccessReviews")
)

// diffVocab is the small vocabulary the random world and the random
// requests draw from, so that requests often hit rules.
var diffVocab = struct {
	namespaces, users, groups, saNames, apiGroups, resources, subresources, names, verbs, urls, ruleURLs []string
}{
	namespaces:   []string{"diff-a", "diff-b", "diff-c"},
	users:        []string{"alice", "bob", "carol", "dave", "*", "system:anonymous"},
	groups:       []string{"dev", "ops", "qa", "system:authenticated", "system:unauthenticated", "system:serviceaccounts", "system:serviceaccounts:diff-a"},
	saNames:      []string{"app", "builder", "default"},
	apiGroups:    []string{"", "apps", "rbac.authorization.k8s.io", "example.com"},
	resources:    []string{"pods", "secrets", "deployments", "nodes", "clusterroles", "widgets"},
	subresources: []string{"status", "log", "scale", "exec"},
	names:        []string{"one", "two", "three"},
	verbs:        []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "bind", "escalate", "impersonate"},
	urls:         []string{"/healthz", "/healthz/etcd", "/metrics", "/logs", "/logs/kubelet", "/logsx", "/api", "/version", "/apis/apps"},
	ruleURLs:     []string{"/healthz", "/healthz/*", "/metrics", "/logs*", "/logs/*", "/api", "/apis/*", "*"},
}

// diffGen draws a random RBAC world.
type diffGen struct{ r *rand.Rand }

func (g diffGen) pick(s []string) string { return s[g.r.IntN(len(s))] }

// some returns 1 to max distinct items of s, with "*" instead at the
// given odds.
func (g diffGen) some(s []string, max int, wildOdds float64) []string {
	if g.r.Float64() < wildOdds {
		return []string{"*"}
	}
	n := 1 + g.r.IntN(max)
	seen := map[string]bool{}
	var out []string
	for range n {
		v := g.pick(s)
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func (g diffGen) resourceRule() rbacv1.PolicyRule {
	var resources []string
	for range 1 + g.r.IntN(3) {
		switch g.r.IntN(40) {
		case 0:
			resources = append(resources, "*")
		case 1, 2, 3, 4, 5, 6, 7, 8:
			resources = append(resources, g.pick(diffVocab.resources)+"/"+g.pick(diffVocab.subresources))
		case 9, 10, 11:
			resources = append(resources, "*/"+g.pick(diffVocab.subresources))
		case 12, 13:
			resources = append(resources, g.pick(diffVocab.resources)+"/*")
		default:
			resources = append(resources, g.pick(diffVocab.resources))
		}
	}
	rule := rbacv1.PolicyRule{
		Verbs:     g.some(diffVocab.verbs, 3, 0.03),
		APIGroups: g.some(diffVocab.apiGroups, 2, 0.05),
		Resources: resources,
	}
	if g.r.IntN(4) == 0 {
		rule.ResourceNames = g.some(diffVocab.names, 2, 0)
	}
	return rule
}

func (g diffGen) rules(cluster bool) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for range 1 + g.r.IntN(3) {
		if cluster && g.r.IntN(5) == 0 {
			out = append(out, rbacv1.PolicyRule{Verbs: g.some([]string{"get", "post", "put", "delete"}, 2, 0.2), NonResourceURLs: g.some(diffVocab.ruleURLs, 2, 0)})
			continue
		}
		out = append(out, g.resourceRule())
	}
	return out
}

func (g diffGen) subjects(namespaced bool) []rbacv1.Subject {
	var out []rbacv1.Subject
	for range 1 + g.r.IntN(3) {
		switch g.r.IntN(3) {
		case 0:
			out = append(out, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: g.pick(diffVocab.users)})
		case 1:
			out = append(out, rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: g.pick(diffVocab.groups)})
		default:
			s := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: g.pick(diffVocab.saNames), Namespace: g.pick(diffVocab.namespaces)}
			if namespaced && g.r.IntN(2) == 0 {
				s.Namespace = "" // defaults to the binding's namespace
			}
			out = append(out, s)
		}
	}
	return out
}

type diffWorld struct {
	roles               []*rbacv1.Role
	clusterRoles        []*rbacv1.ClusterRole
	roleBindings        []*rbacv1.RoleBinding
	clusterRoleBindings []*rbacv1.ClusterRoleBinding
}

// world generates nRoles Roles and as many ClusterRoles (a fifth of them
// aggregating others by label selectors, in two levels so that
// aggregation chains), and twice as many bindings of each kind.
func (g diffGen) world(nRoles int) diffWorld {
	var w diffWorld
	tiers := []string{"t1", "t2", "t3"}
	for i := range nRoles {
		ns := g.pick(diffVocab.namespaces)
		w.roles = append(w.roles, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("r%d", i), Namespace: ns}, Rules: g.rules(false)})
	}
	for i := range nRoles {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("diff-cr%d", i), Labels: map[string]string{}}}
		switch {
		case i%10 == 0: // level 2: aggregates aggregated roles
			cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
				{MatchLabels: map[string]string{"diff-level": "1", "diff-tier": g.pick(tiers)}},
			}}
		case i%10 == 5: // level 1: aggregates plain roles
			cr.Labels["diff-level"] = "1"
			cr.Labels["diff-tier"] = g.pick(tiers)
			cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
				{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "diff-agg", Operator: metav1.LabelSelectorOpIn, Values: g.some([]string{"x", "y", "z"}, 2, 0)},
					{Key: "diff-off", Operator: metav1.LabelSelectorOpDoesNotExist},
				}},
				{MatchLabels: map[string]string{"diff-agg": "w"}},
			}}
		default:
			cr.Rules = g.rules(true)
			if g.r.IntN(2) == 0 {
				cr.Labels["diff-agg"] = g.pick([]string{"x", "y", "z", "w"})
			}
			if g.r.IntN(6) == 0 {
				cr.Labels["diff-off"] = "true"
			}
		}
		w.clusterRoles = append(w.clusterRoles, cr)
	}
	for i := range 2 * nRoles {
		ns := g.pick(diffVocab.namespaces)
		var ref rbacv1.RoleRef
		switch g.r.IntN(10) {
		case 0: // missing role
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "missing"}
		case 1, 2, 3, 4:
			r := w.roles[g.r.IntN(len(w.roles))]
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: r.Name}
			ns = r.Namespace
		default:
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: w.clusterRoles[g.r.IntN(len(w.clusterRoles))].Name}
		}
		w.roleBindings = append(w.roleBindings, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb%d", i), Namespace: ns}, RoleRef: ref, Subjects: g.subjects(true)})
	}
	for i := range nRoles / 6 {
		subjects := g.subjects(false)
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: w.clusterRoles[g.r.IntN(len(w.clusterRoles))].Name}
		w.clusterRoleBindings = append(w.clusterRoleBindings, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("diff-crb%d", i)}, RoleRef: ref, Subjects: subjects})
	}
	return w
}

// identity draws who asks: a vocabulary subject as the API server would
// authenticate it, or a user with random groups.
func (g diffGen) identity() User {
	switch g.r.IntN(4) {
	case 0:
		return IdentityOf(Subject{Kind: rbacv1.ServiceAccountKind, Namespace: g.pick(append([]string{"elsewhere"}, diffVocab.namespaces...)), Name: g.pick(diffVocab.saNames)})
	case 1:
		return IdentityOf(Subject{Kind: rbacv1.GroupKind, Name: g.pick(diffVocab.groups)})
	case 2:
		return IdentityOf(Subject{Kind: rbacv1.UserKind, Name: g.pick(diffVocab.users)})
	}
	u := User{Name: g.pick(diffVocab.users)}
	for range g.r.IntN(3) {
		u.Groups = append(u.Groups, g.pick(diffVocab.groups))
	}
	if g.r.IntN(50) == 0 {
		u.Groups = append(u.Groups, GroupMasters)
	}
	return u
}

func (g diffGen) request() Request {
	if g.r.IntN(5) == 0 {
		return Request{Verb: g.pick([]string{"get", "post", "put", "delete"}), NonResourceURL: g.pick(diffVocab.urls)}
	}
	req := Request{Verb: g.pick(diffVocab.verbs), APIGroup: g.pick(diffVocab.apiGroups), Resource: g.pick(diffVocab.resources)}
	if g.r.IntN(3) == 0 {
		req.Subresource = g.pick(append([]string{"*"}, diffVocab.subresources...))
	}
	if g.r.IntN(5) != 0 {
		req.Namespace = g.pick(append([]string{"elsewhere"}, diffVocab.namespaces...))
	}
	if g.r.IntN(2) == 0 {
		req.Name = g.pick(diffVocab.names)
	}
	return req
}

func sar(u User, req Request) *authorizationv1.SubjectAccessReview {
	spec := authorizationv1.SubjectAccessReviewSpec{User: u.Name, Groups: u.Groups}
	if req.IsResourceRequest() {
		spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
			Namespace: req.Namespace, Verb: req.Verb, Group: req.APIGroup,
			Resource: req.Resource, Subresource: req.Subresource, Name: req.Name,
		}
	} else {
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: req.NonResourceURL, Verb: req.Verb}
	}
	return &authorizationv1.SubjectAccessReview{Spec: spec}
}

// parallel runs fn(i) for i in [0, n) on workers goroutines and returns
// the first error.
func parallel(n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

func createWorld(ctx context.Context, cs kubernetes.Interface, w diffWorld) error {
	rbac := cs.RbacV1()
	var creates []func() error
	for _, o := range w.roles {
		creates = append(creates, func() error { _, err := rbac.Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); return err })
	}
	for _, o := range w.clusterRoles {
		creates = append(creates, func() error { _, err := rbac.ClusterRoles().Create(ctx, o, metav1.CreateOptions{}); return err })
	}
	for _, o := range w.roleBindings {
		creates = append(creates, func() error {
			_, err := rbac.RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			return err
		})
	}
	for _, o := range w.clusterRoleBindings {
		creates = append(creates, func() error {
			_, err := rbac.ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
			return err
		})
	}
	return parallel(len(creates), 8, func(i int) error {
		if err := creates[i](); err != nil {
			return fmt.Errorf("create: %w", err)
		}
		return nil
	})
}

// awaitAggregation waits until kube-controller-manager has written every
// aggregated ClusterRole as Rampart computes it from the selectors, and
// returns the cluster's inventory then. That Rampart's aggregation and the
// controller's agree is itself part of the test.
func awaitAggregation(ctx context.Context, t *testing.T, c *testcluster.Cluster) *inventory.Inventory {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		inv, err := inventory.LoadCluster(ctx, c.Config(), inventory.ClusterOptions{})
		if err != nil {
			t.Fatalf("read cluster: %v", err)
		}
		ix := Build(inv)
		var pending []string
		for _, o := range inv.ByKind("ClusterRole") {
			cr := o.Typed.(*rbacv1.ClusterRole)
			if cr.AggregationRule != nil && !sameRules(cr.Rules, ix.Role("ClusterRole", "", o.Name).Rules) {
				pending = append(pending, o.Name)
			}
		}
		if len(pending) == 0 {
			return inv
		}
		if time.Now().After(deadline) {
			t.Fatalf("aggregated ClusterRoles still differ from Rampart's aggregation after 90s: %s", strings.Join(pending, ", "))
		}
		time.Sleep(time.Second)
	}
}

// awaitAuthorizer waits until the RBAC authorizer has seen the whole world.
// It watches each of the four kinds on its own, in the order they were
// written: once it sees a Role, RoleBinding, ClusterRole and
// ClusterRoleBinding written after the world (and after the aggregation),
// it has seen everything before them. The sentinel user is not one the
// requests use, and its unlabelled ClusterRole is aggregated nowhere.
func awaitAuthorizer(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	ctx := t.Context()
	const name, ns = "diff-sentinel", "diff-a"
	rbac := c.Client().RbacV1()
	subjects := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}}
	rule := func(resource string) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{resource}, Verbs: []string{"get"}}}
	}
	var errs []error
	_, err := rbac.Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: rule("configmaps")}, metav1.CreateOptions{})
	errs = append(errs, err)
	_, err = rbac.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}, Subjects: subjects}, metav1.CreateOptions{})
	errs = append(errs, err)
	_, err = rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rule("endpoints")}, metav1.CreateOptions{})
	errs = append(errs, err)
	_, err = rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: subjects}, metav1.CreateOptions{})
	errs = append(errs, err)
	t.Cleanup(func() {
		ctx := context.Background()
		_ = rbac.ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{})
		_ = rbac.ClusterRoles().Delete(ctx, name, metav1.DeleteOptions{})
		_ = rbac.RoleBindings(ns).Delete(ctx, name, metav1.DeleteOptions{})
		_ = rbac.Roles(ns).Delete(ctx, name, metav1.DeleteOptions{})
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("sentinel grants: %v", err)
	}
	// Different resources, so that each answer needs its own binding.
	c.WaitAllowed(t, name, nil, authorizationv1.ResourceAttributes{Namespace: ns, Verb: "get", Resource: "configmaps"})
	c.WaitAllowed(t, name, nil, authorizationv1.ResourceAttributes{Verb: "get", Resource: "endpoints"})
}

// TestDifferentialSubjectAccessReview compares Allowed with the real API
// server's SubjectAccessReview on a random RBAC world. Replay a failure
// with -run TestDifferential -seed N.
func TestDifferentialSubjectAccessReview(t *testing.T) {
	if testing.Short() {
		t.Skip("differential test against a real API server")
	}
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	c := testcluster.Shared(t)
	ctx := t.Context()
	for _, ns := range diffVocab.namespaces {
		if err := c.CreateNamespace(ctx, ns); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	g := diffGen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	w := g.world(150)
	start := time.Now()
	if err := createWorld(ctx, c.Client(), w); err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	t.Cleanup(func() { deleteWorld(context.Background(), c.Client(), w) })
	inv := awaitAggregation(ctx, t, c)
	awaitAuthorizer(t, c)
	t.Logf("created %d roles, %d cluster roles, %d role bindings, %d cluster role bindings in %s",
		len(w.roles), len(w.clusterRoles), len(w.roleBindings), len(w.clusterRoleBindings), time.Since(start).Round(time.Millisecond))
	ix := Build(inv)

	type tuple struct {
		u   User
		req Request
	}
	tuples := make([]tuple, *tuplesFlag)
	for i := range tuples {
		tuples[i] = tuple{g.identity(), g.request()}
	}
	var allowed, mismatches atomic.Int64
	start = time.Now()
	err := parallel(len(tuples), 16, func(i int) error {
		tp := tuples[i]
		got, grants := ix.Allowed(tp.u, tp.req)
		res, err := c.Client().AuthorizationV1().SubjectAccessReviews().Create(ctx, sar(tp.u, tp.req), metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("SubjectAccessReview for %+v %v: %w", tp.u, tp.req, err)
		}
		if res.Status.Allowed {
			allowed.Add(1)
		}
		if got != res.Status.Allowed {
			if mismatches.Add(1) <= 10 {
				t.Errorf("seed %d: user %q groups %q request %+v: rampart %v (grants %v), API server %v (%s)",
					seed, tp.u.Name, tp.u.Groups, tp.req, got, grantStrings(grants), res.Status.Allowed, res.Status.Reason)
			}
		}
		if msg := crossCheck(ix, tp.u, tp.req, got, grants); msg != "" && mismatches.Add(1) <= 10 {
			t.Errorf("seed %d: user %q groups %q request %+v: %s", seed, tp.u.Name, tp.u.Groups, tp.req, msg)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	t.Logf("%d requests compared in %s: %d allowed, %d mismatches", len(tuples), time.Since(start).Round(time.Millisecond), allowed.Load(), mismatches.Load())
	if m := mismatches.Load(); m > 0 {
		t.Fatalf("seed %d: %d of %d decisions differ from the API server", seed, m, len(tuples))
	}
	// A world where almost everything is denied (or allowed) would prove
	// little: the generator must produce both answers in numbers.
	if a := allowed.Load(); a < int64(len(tuples))/10 || a > int64(len(tuples))*9/10 {
		t.Errorf("seed %d: %d of %d allowed: the random world is too lopsided to test much", seed, a, len(tuples))
	}
}

func deleteWorld(ctx context.Context, cs kubernetes.Interface, w diffWorld) {
	rbac := cs.RbacV1()
	for _, o := range w.clusterRoleBindings {
		_ = rbac.ClusterRoleBindings().Delete(ctx, o.Name, metav1.DeleteOptions{})
	}
	for _, o := range w.clusterRoles {
		_ = rbac.ClusterRoles().Delete(ctx, o.Name, metav1.DeleteOptions{})
	}
}

// crossCheck checks WhoCan and Access against Allowed (which the API
// server checks): every grant Allowed finds is among WhoCan's, every
// subject WhoCan lists is allowed, and Access holds a permission that
// allows the request exactly when Allowed says so.
func crossCheck(ix *Index, u User, req Request, allowed bool, grants []Grant) string {
	type key struct {
		s    Subject
		b    *Binding
		rule int
	}
	who := map[key]bool{}
	for _, g := range ix.WhoCan(req) {
		who[key{g.Subject, g.Binding, g.Rule}] = true
		if ok, _ := ix.Allowed(IdentityOf(g.Subject), req); !ok && !g.Masters {
			return fmt.Sprintf("WhoCan lists %v, which is not allowed", g.Subject)
		}
	}
	for _, g := range grants {
		if !who[key{g.Subject, g.Binding, g.Rule}] {
			return fmt.Sprintf("WhoCan misses grant %v", grantStrings([]Grant{g}))
		}
	}
	// -A: every grant holds in its binding's namespace, and the grants
	// found for the request's namespace are among them.
	anyNS := map[key]bool{}
	for _, g := range ix.WhoCanAnyNamespace(req) {
		anyNS[key{g.Subject, g.Binding, g.Rule}] = true
		if g.Masters {
			continue
		}
		r := req
		if g.Binding.Kind == "RoleBinding" {
			r.Namespace = g.Binding.Namespace
		}
		if ok, _ := ix.Allowed(IdentityOf(g.Subject), r); !ok {
			return fmt.Sprintf("WhoCanAnyNamespace lists %v via %s, which is not allowed", g.Subject, g.Binding.Name)
		}
	}
	for _, g := range grants {
		if !anyNS[key{g.Subject, g.Binding, g.Rule}] {
			return fmt.Sprintf("WhoCanAnyNamespace misses grant %v", grantStrings([]Grant{g}))
		}
	}
	viaAccess := false
	for _, p := range ix.Access(u) {
		inScope := p.Namespace == "" || (req.IsResourceRequest() && p.Namespace == req.Namespace)
		if inScope && RuleAllows(p.Rule, req) {
			viaAccess = true
			break
		}
	}
	if viaAccess != allowed {
		return fmt.Sprintf("Access says %v, Allowed %v", viaAccess, allowed)
	}
	return ""
}
