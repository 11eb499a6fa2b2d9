package rbac

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

const queryWorld = `---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: payments}
` + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: db-secret, namespace: payments}
rules: [{apiGroups: [""], resources: [secrets], resourceNames: [db], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: api-db, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: db-secret}
subjects: [{kind: ServiceAccount, name: api}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: platform-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects: [{kind: Group, name: platform}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-secrets, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects: [{kind: ServiceAccount, name: deployer, namespace: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get]}
- {nonResourceURLs: [/metrics], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all-sa-pods}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects: [{kind: Group, name: "system:serviceaccounts"}, {kind: User, name: alice}]
`

func querier(t *testing.T) *Querier {
	t.Helper()
	inv := rbacInventory(t, queryWorld, nil)
	sas, _ := escalationInputs(inv)
	return Build(inv).NewQuerier(sas)
}

func TestQueryValues(t *testing.T) {
	q := querier(t)
	tests := []struct {
		expr string
		want string
	}{
		// Which subjects can read the secret payments/db?
		{`subjects.filter(s, can(s.id, "get", "secrets", "payments", "db")).map(s, s.id)`,
			"[group:platform sa:ci/deployer sa:payments/api]"},
		// The unnamed request is not allowed by the resourceNames rule.
		{`subjects.filter(s, can(s.id, "list", "secrets", "payments")).map(s, s.id)`, "[group:platform sa:ci/deployer]"},
		// Can any subject outside group platform read secrets in payments?
		{`subjects.exists(s, !("platform" in s.groups) && can(s.id, "list", "secrets", "payments"))`, "true"},
		{`subjects.exists(s, !("platform" in s.groups) && can(s.id, "list", "secrets", "kube-system"))`, "false"},
		// Group grants reach members: service accounts are in system:serviceaccounts.
		{`can("sa:payments/api", "get", "pods/log", "payments")`, "true"},
		{`can("sa:payments/api", "get", "pods/exec", "payments")`, "false"},
		{`can("user:alice", "get", "/metrics", "")`, "true"},
		{`whoCan("get", "pods", "web")`, "[group:system:masters group:system:serviceaccounts user:alice]"},
		// What can sa:ci/deployer access, its groups' grants included?
		{`access("sa:ci/deployer").filter(p, p.resource == "secrets").map(p, p.verb + " " + p.namespace)`, "[get payments list payments]"},
		{`access("sa:ci/deployer").exists(p, p.nonResourceURL == "/metrics" && p.subject == "group:system:serviceaccounts")`, "true"},
		{`permissions.filter(p, p.nonResourceURL != "").map(p, p.subject)`, "[group:system:serviceaccounts user:alice]"},
		{`size(subjects)`, "6"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			res, err := q.Query(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if res.Filter {
				t.Fatalf("evaluated as a filter: %+v", res)
			}
			if got := fmt.Sprint(res.Value); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestQueryFilter(t *testing.T) {
	res, err := querier(t).Query(`p.resource == "secrets" && p.verb == "list"`)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Filter {
		t.Fatal("not evaluated as a filter")
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, fmt.Sprintf("%s %s %s %q %v %s %s", r.Subject, r.Verb, r.Resource, r.Namespace, r.ClusterWide, r.Binding, r.Role))
	}
	want := []string{
		`group:platform list secrets "" true ClusterRoleBinding/platform-secrets ClusterRole/secret-reader`,
		`sa:ci/deployer list secrets "payments" false RoleBinding/payments/ci-secrets ClusterRole/secret-reader`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n got  %q\n want %q", got, want)
	}
}

func TestQueryErrors(t *testing.T) {
	q := querier(t)
	for _, expr := range []string{
		`p.verb`,                           // a filter must be a bool
		`subjects.filter(`,                 // syntax
		`can("nobody", "get", "pods", "")`, // bad subject at evaluation
		`unknownVar == 1`,
	} {
		if _, err := q.Query(expr); !errors.Is(err, ErrQuery) {
			t.Errorf("%s: error %v, want ErrQuery", expr, err)
		}
	}
}
