package rbac

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/inventory"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// benchResources are (group, resource) pairs of a realistic cluster.
var benchResources = [][2]string{
	{"", "pods"}, {"", "pods/log"}, {"", "pods/exec"}, {"", "services"}, {"", "configmaps"}, {"", "secrets"},
	{"", "serviceaccounts"}, {"", "persistentvolumeclaims"}, {"", "events"}, {"", "endpoints"}, {"", "nodes"},
	{"", "namespaces"}, {"apps", "deployments"}, {"apps", "deployments/scale"}, {"apps", "statefulsets"},
	{"apps", "daemonsets"}, {"apps", "replicasets"}, {"batch", "jobs"}, {"batch", "cronjobs"},
	{"networking.k8s.io", "ingresses"}, {"networking.k8s.io", "networkpolicies"}, {"rbac.authorization.k8s.io", "roles"},
	{"rbac.authorization.k8s.io", "rolebindings"}, {"policy", "poddisruptionbudgets"}, {"coordination.k8s.io", "leases"},
}

var benchVerbSets = [][]string{
	{"get", "list", "watch"}, {"get", "list", "watch", "create", "update", "patch", "delete"}, {"get"}, {"create"}, {"*"},
}

// benchWorld generates nRoles roles (half Roles across namespaces, half
// ClusterRoles, one in fifty ClusterRoles aggregating others) and
// nBindings bindings (one in twenty a ClusterRoleBinding) whose subjects
// are drawn from nSubjects users, groups and service accounts.
func benchWorld(seed uint64, nRoles, nBindings, nSubjects int) *inventory.Inventory {
	r := rand.New(rand.NewPCG(seed, seed))
	nNS := max(nRoles/40, 1)
	inv := &inventory.Inventory{}
	add := func(kind, ns, name string, labels map[string]string, typed any) {
		o := &inventory.Object{APIVersion: "rbac.authorization.k8s.io/v1", Kind: kind, Namespace: ns, Name: name, Labels: labels}
		switch t := typed.(type) {
		case *rbacv1.Role:
			t.ObjectMeta = metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
			o.Typed = t
		case *rbacv1.ClusterRole:
			t.ObjectMeta = metav1.ObjectMeta{Name: name, Labels: labels}
			o.Typed = t
		case *rbacv1.RoleBinding:
			t.ObjectMeta = metav1.ObjectMeta{Name: name, Namespace: ns}
			o.Typed = t
		case *rbacv1.ClusterRoleBinding:
			t.ObjectMeta = metav1.ObjectMeta{Name: name}
			o.Typed = t
		}
		inv.Objects = append(inv.Objects, o)
	}
	rules := func() []rbacv1.PolicyRule {
		var out []rbacv1.PolicyRule
		for range 1 + r.IntN(5) {
			gr := benchResources[r.IntN(len(benchResources))]
			rule := rbacv1.PolicyRule{APIGroups: []string{gr[0]}, Resources: []string{gr[1]}, Verbs: benchVerbSets[r.IntN(len(benchVerbSets))]}
			if r.IntN(10) == 0 {
				rule.ResourceNames = []string{fmt.Sprintf("obj-%d", r.IntN(100))}
			}
			if r.IntN(200) == 0 {
				rule = rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}
			}
			out = append(out, rule)
		}
		return out
	}
	ns := func(i int) string { return fmt.Sprintf("ns-%d", i%nNS) }
	nClusterRoles := nRoles / 2
	for i := range nRoles - nClusterRoles {
		add("Role", ns(i), fmt.Sprintf("role-%d", i), nil, &rbacv1.Role{Rules: rules()})
	}
	for i := range nClusterRoles {
		labels := map[string]string{"agg": fmt.Sprint(i % 20)}
		cr := &rbacv1.ClusterRole{Rules: rules()}
		if i%50 == 0 {
			cr.Rules = nil
			cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": fmt.Sprint(r.IntN(20))}}}}
			labels = nil
		}
		add("ClusterRole", "", fmt.Sprintf("clusterrole-%d", i), labels, cr)
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
	for i := range nBindings {
		subjects := []rbacv1.Subject{subject()}
		if r.IntN(3) == 0 {
			subjects = append(subjects, subject())
		}
		if i%20 == 0 {
			ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("clusterrole-%d", r.IntN(nClusterRoles))}
			add("ClusterRoleBinding", "", fmt.Sprintf("crb-%d", i), nil, &rbacv1.ClusterRoleBinding{RoleRef: ref, Subjects: subjects})
			continue
		}
		n := r.IntN(nNS)
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("clusterrole-%d", r.IntN(nClusterRoles))}
		if r.IntN(2) == 0 {
			// A Role of the binding's namespace: Roles i, i+nNS, ... live in ns-i.
			k := n + nNS*r.IntN(max((nRoles-nClusterRoles)/nNS, 1))
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("role-%d", k)}
		}
		add("RoleBinding", ns(n), fmt.Sprintf("rb-%d", i), nil, &rbacv1.RoleBinding{RoleRef: ref, Subjects: subjects})
	}
	return inv
}

const (
	benchRoles    = 20000
	benchBindings = 100000
	benchSubjects = 50000
)

func BenchmarkBuild(b *testing.B) {
	inv := benchWorld(1, benchRoles, benchBindings, benchSubjects)
	b.ResetTimer()
	for b.Loop() {
		Build(inv)
	}
}

// p50 returns the median of ds in milliseconds.
func p50(ds []time.Duration) float64 {
	slices.Sort(ds)
	return float64(ds[len(ds)/2]) / float64(time.Millisecond)
}

func BenchmarkWhoCan(b *testing.B) {
	ix := Build(benchWorld(1, benchRoles, benchBindings, benchSubjects))
	r := rand.New(rand.NewPCG(2, 2))
	verbs := []string{"get", "list", "create", "delete", "patch"}
	reqs := make([]Request, 1000)
	for i := range reqs {
		gr := benchResources[r.IntN(len(benchResources))]
		res, sub, _ := cutSlash(gr[1])
		reqs[i] = Request{Verb: verbs[r.IntN(len(verbs))], APIGroup: gr[0], Resource: res, Subresource: sub, Namespace: fmt.Sprintf("ns-%d", r.IntN(benchRoles/40))}
		reqs[i] = ix.Normalize(reqs[i])
	}
	var times []time.Duration
	grants := 0
	b.ResetTimer()
	for b.Loop() {
		for _, req := range reqs {
			start := time.Now()
			grants += len(ix.WhoCan(req))
			times = append(times, time.Since(start))
		}
	}
	b.ReportMetric(p50(times), "p50-ms/query")
	b.ReportMetric(float64(grants)/float64(len(times)), "grants/query")
}

func BenchmarkAccess(b *testing.B) {
	ix := Build(benchWorld(1, benchRoles, benchBindings, benchSubjects))
	r := rand.New(rand.NewPCG(3, 3))
	var times []time.Duration
	perms := 0
	b.ResetTimer()
	for b.Loop() {
		for range 1000 {
			i := r.IntN(benchSubjects)
			var u User
			switch i % 5 {
			case 0, 1:
				u = IdentityOf(Subject{Kind: rbacv1.UserKind, Name: fmt.Sprintf("user-%d", i)})
			case 2:
				u = IdentityOf(Subject{Kind: rbacv1.GroupKind, Name: fmt.Sprintf("group-%d", i)})
			default:
				u = IdentityOf(Subject{Kind: rbacv1.ServiceAccountKind, Namespace: fmt.Sprintf("ns-%d", i%(benchRoles/40)), Name: fmt.Sprintf("sa-%d", i)})
			}
			start := time.Now()
			perms += len(ix.Access(u))
			times = append(times, time.Since(start))
		}
	}
	b.ReportMetric(p50(times), "p50-ms/subject")
	b.ReportMetric(float64(perms)/float64(len(times)), "permissions/subject")
}

func cutSlash(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
