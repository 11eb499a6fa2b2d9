package rbac

import "testing"

const defaultPublicInfoViewer = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:public-info-viewer"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:public-info-viewer"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:unauthenticated"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:public-info-viewer"}
rules:
- nonResourceURLs: [/healthz, /livez, /readyz, /version, /version/]
  verbs: [get]
`

func TestAnonymousAccess(t *testing.T) {
	runRBACCases(t, "anonymous-access", []rbacCase{
		{name: "cluster-admin to system:anonymous", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: oops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: User, name: alice}
- {kind: User, name: "system:anonymous"}
`, want: []string{"ClusterRoleBinding/oops subjects[1] critical"},
			contains: []string{`ClusterRoleBinding "oops" grants ClusterRole "cluster-admin" cluster-wide to User system:anonymous`, "cluster-admin is full control"}},
		{name: "wildcard role to system:unauthenticated", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: everything, namespace: app}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
- {apiGroups: [""], resources: ["*"], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: open, namespace: app}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: everything}
subjects:
- {kind: Group, name: "system:unauthenticated"}
`, want: []string{"app/RoleBinding/open subjects[0] critical"},
			contains: []string{`in namespace "app" to Group system:unauthenticated`, "wildcard rule: verbs [get,list] on resources [*]"}},
		{name: "specific role", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: read-pods}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects:
- {kind: Group, name: "system:unauthenticated"}
- {kind: User, name: "system:anonymous"}
`, want: []string{"ClusterRoleBinding/read-pods subjects[0] high"},
			contains: []string{"Group system:unauthenticated and User system:anonymous"}},
		{name: "role not in the inventory", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: anon-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: User, name: "system:anonymous"}
`, want: []string{"ClusterRoleBinding/anon-view subjects[0] high"}, contains: []string{"the role was not found"}},
		{name: "default public-info-viewer", manifest: defaultPublicInfoViewer},
		{name: "public-info-viewer name on another role", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:public-info-viewer"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: Group, name: "system:unauthenticated"}
`, want: []string{"ClusterRoleBinding/system:public-info-viewer subjects[0] critical"}},
		{name: "named users and the system:anonymous group name are not anonymous", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: fine}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: User, name: alice}
- {kind: User, name: "system:unauthenticated"}
- {kind: ServiceAccount, name: anonymous, namespace: default}
`},
	})
}

func TestAuthenticatedGroupAccess(t *testing.T) {
	runRBACCases(t, "authenticated-group-access", []rbacCase{
		{name: "cluster role to everyone", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-views}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: User, name: bob}
- {kind: Group, name: "system:authenticated"}
`, want: []string{"ClusterRoleBinding/everyone-views subjects[1] high"},
			contains: []string{`ClusterRoleBinding "everyone-views" grants ClusterRole "view" cluster-wide to Group system:authenticated`}},
		{name: "role binding in a namespace", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: everyone-edits, namespace: shared}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {kind: Group, name: "system:authenticated"}
`, want: []string{"shared/RoleBinding/everyone-edits subjects[0] high"}, contains: []string{`in namespace "shared"`}},
		{name: "the defaults", manifest: defaultPublicInfoViewer + `
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:basic-user"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:basic-user"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:discovery"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:discovery"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}
`},
		{name: "a default name bound to another role", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:basic-user"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {kind: Group, name: "system:authenticated"}
`, want: []string{"ClusterRoleBinding/system:basic-user subjects[0] high"}},
		{name: "a default name as a RoleBinding", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "system:discovery", namespace: app}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:discovery"}
subjects:
- {kind: Group, name: "system:authenticated"}
`, want: []string{"app/RoleBinding/system:discovery subjects[0] high"}},
		{name: "other groups", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: sa-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: Group, name: "system:serviceaccounts:ci"}
- {kind: User, name: "system:authenticated"}
`},
	})
}

func TestClusterAdminBinding(t *testing.T) {
	runRBACCases(t, "cluster-admin-binding", []rbacCase{
		{name: "default binding to system:masters", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:masters"}
`},
		{name: "users, groups and service accounts", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: admins}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: Group, name: "system:masters"}
- {kind: User, name: alice}
- {kind: Group, name: platform}
- {kind: ServiceAccount, name: deployer, namespace: ci}
`, want: []string{"ClusterRoleBinding/admins subjects[1] high"},
			contains: []string{`ClusterRoleBinding "admins" grants cluster-admin (full control of the whole cluster) to User alice, Group platform, ServiceAccount ci/deployer`}},
		{name: "role binding to the cluster role", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ns-admin, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: ServiceAccount, name: ops}
`, want: []string{"team/RoleBinding/ns-admin subjects[0] high"},
			contains: []string{`full control of namespace "team", including the namespace itself) to ServiceAccount team/ops`}},
		{name: "a Role that happens to be called cluster-admin", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: local, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cluster-admin}
subjects:
- {kind: User, name: alice}
`},
		{name: "other roles", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: viewers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects:
- {kind: User, name: alice}
`},
		{name: "no subjects", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: empty}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
`},
	})
}

func TestDefaultServiceAccountRights(t *testing.T) {
	runRBACCases(t, "rbac-default-service-account-rights", []rbacCase{
		{name: "default service account", manifest: nsRole("app", "reader", `{apiGroups: [""], resources: [configmaps], verbs: [get]}`) +
			rb("app", "r", "Role", "reader", "{kind: ServiceAccount, name: default}"),
			want: []string{"app/RoleBinding/r subjects[0] medium"}, contains: []string{`RoleBinding "r" grants Role "reader" in namespace "app" to ServiceAccount app/default, which every pod`}},
		{name: "risky role to every service account of a namespace", manifest: clusterRole("reader", `{apiGroups: [""], resources: [secrets], verbs: [list]}`) +
			crb("r", "ClusterRole", "reader", alice, "{kind: Group, name: \"system:serviceaccounts:app\"}"),
			want: []string{"ClusterRoleBinding/r subjects[1] high"}, contains: []string{"the role is risky (rbac-read-secrets)"}},
		{name: "cluster-only risk through a role binding is not risky", manifest: clusterRole("node-patcher", `{apiGroups: [""], resources: [nodes], verbs: [patch]}`) +
			rb("app", "r", "ClusterRole", "node-patcher", "{kind: ServiceAccount, name: default}"),
			want: []string{"app/RoleBinding/r subjects[0] medium"}},
		{name: "named service accounts and look-alikes", manifest: clusterRole("reader", `{apiGroups: [""], resources: [secrets], verbs: [list]}`) +
			crb("r", "ClusterRole", "reader", saSubject("app", "web"), "{kind: User, name: default}", "{kind: Group, name: default}", "{kind: ServiceAccount, name: default}")},
		{name: "empty role", manifest: clusterRole("nothing") + crb("r", "ClusterRole", "nothing", saSubject("app", "default"))},
	})
}

func TestWildcardVerbs(t *testing.T) {
	runRBACCases(t, "rbac-wildcard-verbs", []rbacCase{
		{name: "cluster and namespace", manifest: clusterRole("all-pods", `{apiGroups: [""], resources: [pods], verbs: ["*"]}`) +
			crb("c", "ClusterRole", "all-pods", alice) + rb("team", "n", "ClusterRole", "all-pods", devs),
			want:     []string{"ClusterRoleBinding/c subjects[0] high", "team/RoleBinding/n subjects[0] medium"},
			contains: []string{`User alice can do anything to pods in API group core (verbs: *) cluster-wide`}},
		{name: "administrator rule fires too", manifest: clusterRole("god", `{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}`) + crb("c", "ClusterRole", "god", alice),
			want: []string{"ClusterRoleBinding/c subjects[0] high"}, contains: []string{"do anything to every resource in every API group (verbs: *)"}},
		{name: "explicit verbs", manifest: clusterRole("reader", `{apiGroups: ["*"], resources: ["*"], verbs: [get, list]}`) + crb("c", "ClusterRole", "reader", alice)},
	})
}

func TestWildcardResources(t *testing.T) {
	runRBACCases(t, "rbac-wildcard-resources", []rbacCase{
		{name: "every resource of a group", manifest: clusterRole("apps", `{apiGroups: [apps], resources: ["*"], verbs: [get]}`) + crb("c", "ClusterRole", "apps", alice),
			want: []string{"ClusterRoleBinding/c subjects[0] high"}, contains: []string{"can get every resource in API group apps (resources: *)"}},
		{name: "every scale subresource", manifest: nsRole("team", "scaler", `{apiGroups: [apps], resources: ["*/scale"], verbs: [update]}`) + rb("team", "n", "Role", "scaler", alice),
			want: []string{"team/RoleBinding/n subjects[0] medium"}, contains: []string{"(resources: */scale)"}},
		{name: "explicit resources and URLs", manifest: clusterRole("fine", `{apiGroups: ["*"], resources: [pods], verbs: ["*"]}`, `{nonResourceURLs: ["*"], verbs: [get]}`) + crb("c", "ClusterRole", "fine", alice)},
	})
}

func TestWildcardAPIGroups(t *testing.T) {
	runRBACCases(t, "rbac-wildcard-api-groups", []rbacCase{
		{name: "deployments in every group", manifest: clusterRole("d", `{apiGroups: ["*"], resources: [deployments], verbs: [get]}`) + crb("c", "ClusterRole", "d", alice) + rb("team", "n", "ClusterRole", "d", alice),
			want: []string{"ClusterRoleBinding/c subjects[0] medium", "team/RoleBinding/n subjects[0] low"}, contains: []string{"can get deployments in every API group (apiGroups: *)"}},
		{name: "named groups", manifest: clusterRole("d", `{apiGroups: ["", apps], resources: ["*"], verbs: ["*"]}`) + crb("c", "ClusterRole", "d", alice)},
	})
}

func TestWildcardNonResourceURLs(t *testing.T) {
	runRBACCases(t, "rbac-wildcard-non-resource-urls", []rbacCase{
		{name: "every URL", manifest: clusterRole("urls", `{nonResourceURLs: ["*"], verbs: [get]}`) + crb("c", "ClusterRole", "urls", alice) + rb("team", "n", "ClusterRole", "urls", alice),
			want: []string{"ClusterRoleBinding/c subjects[0] medium"}, contains: []string{"can get every non-resource URL (nonResourceURLs: *) cluster-wide"}},
		{name: "a prefix", manifest: clusterRole("urls", `{nonResourceURLs: ["/metrics*", "/healthz"], verbs: [get]}`) + crb("c", "ClusterRole", "urls", alice)},
	})
}
