package rbac

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/measure"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// riskBenchRules is the rule vocabulary of the generated world: mostly
// harmless, with the risky grants the catalog and the escalation paths
// look for at realistic rates.
var riskBenchRules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"pods", "services", "configmaps"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{""}, Resources: []string{"pods/log", "events"}, Verbs: []string{"get", "list"}},
	{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "update", "create"}},
	{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: []string{"get", "list"}},
	{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"tls"}, Verbs: []string{"get"}},
	{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"*"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"create", "update", "patch", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}},
	{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/portforward"}, Verbs: []string{"create"}},
	{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}},
	{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings"}, Verbs: []string{"create", "update"}},
	{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}},
	{APIGroups: []string{""}, Resources: []string{"users", "groups"}, Verbs: []string{"impersonate"}},
	{APIGroups: []string{""}, Resources: []string{"nodes/proxy"}, Verbs: []string{"get"}},
	{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
}

// riskBenchWorld generates nRoles roles (a tenth ClusterRoles), nBindings
// bindings (a twentieth ClusterRoleBindings) with one to three subjects
// drawn from nSubjects users, groups and service accounts, the service
// accounts themselves, a legacy token Secret for one account in fifty,
// and cluster-admin bound to a few service accounts, so that escalation
// paths exist.
func riskBenchWorld(seed uint64, nRoles, nBindings, nSubjects int) *inventory.Inventory {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	nNS := max(nSubjects/100, 1)
	inv := &inventory.Inventory{}
	add := func(apiVersion, kind, ns, name string, typed any) *inventory.Object {
		o := &inventory.Object{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name}
		meta := metav1.ObjectMeta{Name: name, Namespace: ns}
		switch t := typed.(type) {
		case *rbacv1.Role:
			t.ObjectMeta = meta
			o.Typed = t
		case *rbacv1.ClusterRole:
			t.ObjectMeta = meta
			o.Typed = t
		case *rbacv1.RoleBinding:
			t.ObjectMeta = meta
			o.Typed = t
		case *rbacv1.ClusterRoleBinding:
			t.ObjectMeta = meta
			o.Typed = t
		case *corev1.ServiceAccount:
			t.ObjectMeta = meta
			o.Typed = t
		case *corev1.Namespace:
			t.ObjectMeta = meta
			o.Typed = t
		case *corev1.Secret:
			t.ObjectMeta = meta
			o.Typed = t
		}
		inv.Objects = append(inv.Objects, o)
		return o
	}
	ns := func(i int) string { return fmt.Sprintf("ns-%d", i%nNS) }
	for i := range nNS {
		add("v1", "Namespace", "", ns(i), &corev1.Namespace{})
	}
	rules := func() []rbacv1.PolicyRule {
		var out []rbacv1.PolicyRule
		for range 1 + r.IntN(4) {
			// Harmless rules ten times as often as risky ones.
			k := r.IntN(len(riskBenchRules))
			if k >= 6 && r.IntN(10) != 0 {
				k = r.IntN(6)
			}
			out = append(out, riskBenchRules[k])
		}
		return out
	}
	nCluster := nRoles / 10
	for i := range nCluster {
		add("rbac.authorization.k8s.io/v1", "ClusterRole", "", fmt.Sprintf("clusterrole-%d", i), &rbacv1.ClusterRole{Rules: rules()})
	}
	add("rbac.authorization.k8s.io/v1", "ClusterRole", "", "cluster-admin", &rbacv1.ClusterRole{Rules: []rbacv1.PolicyRule{riskBenchRules[len(riskBenchRules)-1]}})
	for i := range nRoles - nCluster - 1 {
		add("rbac.authorization.k8s.io/v1", "Role", ns(i), fmt.Sprintf("role-%d", i), &rbacv1.Role{Rules: rules()})
	}
	for i := range nSubjects {
		if i%5 >= 3 {
			name := fmt.Sprintf("sa-%d", i)
			add("v1", "ServiceAccount", ns(i), name, &corev1.ServiceAccount{})
			if i%50 == 3 {
				add("v1", "Secret", ns(i), name+"-token", &corev1.Secret{Type: corev1.SecretTypeServiceAccountToken}).Annotations =
					map[string]string{corev1.ServiceAccountNameKey: name}
			}
		}
	}
	subject := func() rbacv1.Subject {
		i := r.IntN(nSubjects)
		switch i % 5 {
		case 0, 1:
			return rbacv1.Subject{Kind: rbacv1.UserKind, Name: fmt.Sprintf("user-%d", i)}
		case 2:
			return rbacv1.Subject{Kind: rbacv1.GroupKind, Name: fmt.Sprintf("group-%d", i)}
		}
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns(i), Name: fmt.Sprintf("sa-%d", i)}
	}
	nRoleObjs := nRoles - nCluster - 1
	for i := range nBindings {
		subjects := []rbacv1.Subject{subject()}
		for range r.IntN(3) {
			subjects = append(subjects, subject())
		}
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("clusterrole-%d", r.IntN(nCluster))}
		if i%2000 == 0 {
			ref.Name = "cluster-admin"
		}
		if i%20 == 0 {
			add("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", fmt.Sprintf("crb-%d", i), &rbacv1.ClusterRoleBinding{RoleRef: ref, Subjects: subjects})
			continue
		}
		n := r.IntN(nNS)
		if r.IntN(2) == 0 {
			// Roles k, k+nNS, ... live in ns-k.
			k := n + nNS*r.IntN(max(nRoleObjs/nNS, 1))
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("role-%d", k)}
		}
		add("rbac.authorization.k8s.io/v1", "RoleBinding", ns(n), fmt.Sprintf("rb-%d", i), &rbacv1.RoleBinding{RoleRef: ref, Subjects: subjects})
	}
	return inv
}

const (
	riskBenchRoles    = 20000
	riskBenchBindings = 100000
	riskBenchSubjects = 50000
)

// BenchmarkRiskAnalysis runs every RBAC check (the risky-grant catalog,
// escalation paths and hygiene, index build included) through the audit
// engine, as rampart audit does. Target: under 10 s.
func BenchmarkRiskAnalysis(b *testing.B) {
	inv := riskBenchWorld(1, riskBenchRoles, riskBenchBindings, riskBenchSubjects)
	checks := Checks()
	var findings int
	var cpu time.Duration
	for b.Loop() {
		start := measure.CPU()
		findings = len(audit.RunChecks(inv, nil, checks).Findings)
		cpu += measure.CPU() - start
	}
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkRiskParts times the parts apart, on an index already built.
func BenchmarkRiskParts(b *testing.B) {
	inv := riskBenchWorld(1, riskBenchRoles, riskBenchBindings, riskBenchSubjects)
	ix := Build(inv)
	part := func(name string, fn func() int, unit string) {
		b.Run(name, func(b *testing.B) {
			var n int
			var cpu time.Duration
			for b.Loop() {
				start := measure.CPU()
				n = fn()
				cpu += measure.CPU() - start
			}
			b.ReportMetric(float64(n), unit)
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
	part("catalog", func() int {
		n := 0
		for _, fs := range computeRisks(ix) {
			n += len(fs)
		}
		return n
	}, "findings")
	sas, tokens := escalationInputs(inv)
	part("escalation", func() int { return len(ix.EscalationPaths(sas, tokens, EscalationOptions{})) }, "paths")
	part("hygiene", func() int {
		a := &analysis{inv: inv, ix: ix}
		a.ixOnce.Do(func() {})
		n := 0
		for _, fs := range a.hygieneFindings() {
			n += len(fs)
		}
		return n
	}, "findings")
}

// TestRiskBenchWorldShape keeps the generated world honest: the sizes the
// benchmark claims, and escalation paths to find.
func TestRiskBenchWorldShape(t *testing.T) {
	inv := riskBenchWorld(1, 2000, 10000, 5000)
	ix := Build(inv)
	if len(ix.Roles()) != 2000 || len(ix.Bindings()) != 10000 {
		t.Fatalf("%d roles, %d bindings", len(ix.Roles()), len(ix.Bindings()))
	}
	sas, tokens := escalationInputs(inv)
	if len(ix.EscalationPaths(sas, tokens, EscalationOptions{})) == 0 {
		t.Error("no escalation path in the generated world")
	}
}
