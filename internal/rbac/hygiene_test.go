package rbac

import "testing"

func serviceAccount(ns, name string) string {
	return "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: " + name + ", namespace: " + ns + "}\n"
}

func namespace(name string) string {
	return "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + "}\n"
}

func TestBindingMissingServiceAccount(t *testing.T) {
	view := clusterRole("viewer", `{apiGroups: [""], resources: [pods], verbs: [get]}`)
	runRBACCases(t, "rbac-binding-missing-service-account", []rbacCase{
		{name: "live: missing account, missing namespace, default account", cluster: liveCluster,
			manifest: view + namespace("app") + serviceAccount("app", "web") +
				crb("c", "ClusterRole", "viewer", saSubject("app", "web"), saSubject("app", "gone"), saSubject("app", "default"), saSubject("old", "job"), alice),
			want:     []string{"ClusterRoleBinding/c subjects[1] medium", "ClusterRoleBinding/c subjects[3] medium"},
			contains: []string{`grants ClusterRole "viewer" to ServiceAccount app/gone, which does not exist`, `ServiceAccount old/job, but namespace "old" does not exist`}},
		{name: "manifests: only namespaces whose accounts they define",
			manifest: view + serviceAccount("app", "web") + rb("app", "r", "ClusterRole", "viewer", "{kind: ServiceAccount, name: gone}", "{kind: ServiceAccount, name: default}") +
				rb("other", "r", "ClusterRole", "viewer", "{kind: ServiceAccount, name: elsewhere}"),
			want: []string{"app/RoleBinding/r subjects[0] medium"}, contains: []string{"ServiceAccount app/gone, which does not exist"}},
		{name: "user named like a service account is not checked", cluster: liveCluster,
			manifest: view + namespace("app") + crb("c", "ClusterRole", "viewer", "{kind: User, name: \"system:serviceaccount:app:gone\"}")},
	})
}

func TestBindingMissingRole(t *testing.T) {
	runRBACCases(t, "rbac-binding-missing-role", []rbacCase{
		{name: "live", cluster: liveCluster, manifest: crb("c", "ClusterRole", "gone", alice) + rb("app", "r", "Role", "gone", alice) + crb("role-ref", "Role", "x", alice),
			want:     []string{"ClusterRoleBinding/c roleRef medium", "app/RoleBinding/r roleRef medium", "ClusterRoleBinding/role-ref roleRef medium"},
			contains: []string{`ClusterRoleBinding "c" refers to ClusterRole "gone", which does not exist`, `RoleBinding "r" refers to Role "gone", which does not exist in namespace "app"`, "can only refer to a ClusterRole"}},
		{name: "manifests: built-in roles and unmanaged kinds", manifest: clusterRole("mine") + crb("ok1", "ClusterRole", "view", alice) + crb("ok2", "ClusterRole", "system:auth-delegator", alice) +
			crb("bad", "ClusterRole", "typo", alice) + rb("app", "unmanaged", "Role", "elsewhere", alice) + crb("ok3", "ClusterRole", "mine", alice),
			want: []string{"ClusterRoleBinding/bad roleRef medium"}},
		{name: "manifests without cluster roles", manifest: crb("c", "ClusterRole", "from-another-chart", alice)},
	})
}

func TestUnusedRole(t *testing.T) {
	runRBACCases(t, "rbac-unused-role", []rbacCase{
		{name: "live", cluster: liveCluster, manifest: clusterRole("orphan") + nsRole("app", "orphan") + clusterRole("used") + crb("c", "ClusterRole", "used", alice) +
			nsRole("app", "used") + rb("app", "r", "Role", "used", alice) + clusterRole("view") + clusterRole("system:foo") + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agg}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {part-of: agg}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: part, labels: {part-of: agg}}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: crd-view, labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}}
`,
			want:     []string{"ClusterRole/orphan  low", "app/Role/orphan  low", "ClusterRole/agg  low"},
			contains: []string{`ClusterRole "orphan" is bound to no one`}},
		{name: "manifests", manifest: clusterRole("orphan"), want: []string{"ClusterRole/orphan  info"}, contains: []string{"a binding may live elsewhere"}},
		{name: "a role binding of a cluster role uses it", manifest: clusterRole("used") + rb("app", "r", "ClusterRole", "used", alice)},
	})
}

func TestDuplicateGrant(t *testing.T) {
	view := clusterRole("viewer", `{apiGroups: [""], resources: [pods], verbs: [get]}`)
	runRBACCases(t, "rbac-duplicate-grant", []rbacCase{
		{name: "cluster-wide then namespaced", manifest: view + crb("c", "ClusterRole", "viewer", alice) + rb("app", "r", "ClusterRole", "viewer", alice, devs),
			want: []string{"app/RoleBinding/r subjects[0] low"}, contains: []string{`User alice already holds ClusterRole "viewer" cluster-wide (so in namespace "app" too): ClusterRoleBinding "c" also grants it`}},
		{name: "twice in one binding, service account spelt two ways", manifest: view + rb("app", "r", "ClusterRole", "viewer", "{kind: ServiceAccount, name: web}", "{kind: User, name: \"system:serviceaccount:app:web\"}"),
			want: []string{"app/RoleBinding/r subjects[1] low"}, contains: []string{"the binding lists the subject twice"}},
		{name: "different namespaces and roles", manifest: view + clusterRole("other") + rb("app", "r", "ClusterRole", "viewer", alice) + rb("web", "r", "ClusterRole", "viewer", alice) +
			rb("app", "o", "ClusterRole", "other", alice)},
	})
}
