package rbac

import (
	"strings"
	"testing"
)

const adminBot = clusterRoleAdmin + `---
apiVersion: v1
kind: ServiceAccount
metadata: {name: admin-bot, namespace: kube-system}
` + "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: admin-bot}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: admin-bot, namespace: kube-system}]\n"

const clusterRoleAdmin = `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
- {nonResourceURLs: ["*"], verbs: ["*"]}
`

const adminBotToken = `---
apiVersion: v1
kind: Secret
metadata:
  name: admin-bot-token
  namespace: kube-system
  annotations: {kubernetes.io/service-account.name: admin-bot}
type: kubernetes.io/service-account-token
`

func escalationPaths(t *testing.T, manifest string, opts EscalationOptions) []string {
	t.Helper()
	inv := rbacInventory(t, manifest, nil)
	sas, tokens := escalationInputs(inv)
	var out []string
	for _, p := range Build(inv).EscalationPaths(sas, tokens, opts) {
		out = append(out, p.String())
	}
	return out
}

func TestEscalationPaths(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		opts     EscalationOptions
		want     []string
	}{
		{name: "create pods where an admin service account lives",
			manifest: adminBot + clusterRole("pod-creator", `{apiGroups: [""], resources: [pods], verbs: [create]}`) +
				rb("kube-system", "ci-deploys", "ClusterRole", "pod-creator", saSubject("ci", "builder")),
			want: []string{`sa:ci/builder can create pods in kube-system, where pods may run as sa:kube-system/admin-bot (RoleBinding "ci-deploys", ClusterRole "pod-creator"), so it can act as sa:kube-system/admin-bot, which holds cluster-admin through ClusterRoleBinding "admin-bot" (ClusterRole "cluster-admin"); so sa:ci/builder can become cluster-admin`}},
		{name: "create pods in a namespace without privileged accounts",
			manifest: adminBot + clusterRole("pod-creator", `{apiGroups: [""], resources: [pods], verbs: [create]}`) +
				rb("ci", "ci-deploys", "ClusterRole", "pod-creator", saSubject("ci", "builder"))},
		{name: "patch a deployment in kube-system",
			manifest: adminBot + nsRole("kube-system", "deployer", `{apiGroups: [apps], resources: [deployments], verbs: [patch]}`) +
				rb("kube-system", "d", "Role", "deployer", alice),
			want: []string{`user:alice can patch deployments.apps in kube-system, where pods may run as sa:kube-system/admin-bot (RoleBinding "d", Role "deployer"), so it can act as sa:kube-system/admin-bot, which holds cluster-admin through ClusterRoleBinding "admin-bot" (ClusterRole "cluster-admin"); so user:alice can become cluster-admin`}},
		{name: "list secrets holding an admin token",
			manifest: adminBot + adminBotToken + clusterRole("secret-reader", `{apiGroups: [""], resources: [secrets], verbs: [list]}`) +
				rb("kube-system", "read", "ClusterRole", "secret-reader", alice),
			want: []string{`user:alice can list secrets in kube-system, which holds a token of sa:kube-system/admin-bot (RoleBinding "read", ClusterRole "secret-reader"), so it can act as sa:kube-system/admin-bot, which holds cluster-admin through ClusterRoleBinding "admin-bot" (ClusterRole "cluster-admin"); so user:alice can become cluster-admin`}},
		{name: "list secrets without tokens",
			manifest: adminBot + clusterRole("secret-reader", `{apiGroups: [""], resources: [secrets], verbs: [list]}`) +
				rb("kube-system", "read", "ClusterRole", "secret-reader", alice)},
		{name: "get the token secret by name",
			manifest: adminBot + adminBotToken + nsRole("kube-system", "one-secret", `{apiGroups: [""], resources: [secrets], resourceNames: [admin-bot-token], verbs: [get]}`) +
				nsRole("kube-system", "other-secret", `{apiGroups: [""], resources: [secrets], resourceNames: [tls], verbs: [get]}`) +
				rb("kube-system", "one", "Role", "one-secret", alice) + rb("kube-system", "other", "Role", "other-secret", devs),
			want: []string{`user:alice can get secrets admin-bot-token in kube-system, a token of sa:kube-system/admin-bot`}},
		{name: "mint a token for one account",
			manifest: adminBot + nsRole("kube-system", "minter", `{apiGroups: [""], resources: [serviceaccounts/token], resourceNames: [admin-bot], verbs: [create]}`) +
				nsRole("kube-system", "other-minter", `{apiGroups: [""], resources: [serviceaccounts/token], resourceNames: [coredns], verbs: [create]}`) +
				rb("kube-system", "m", "Role", "minter", alice) + rb("kube-system", "o", "Role", "other-minter", devs),
			want: []string{`user:alice can create serviceaccounts/token for sa:kube-system/admin-bot (RoleBinding "m", Role "minter"), so it can act as sa:kube-system/admin-bot`}},
		{name: "impersonate system:masters",
			manifest: clusterRole("impersonator", `{apiGroups: [""], resources: [users, groups], verbs: [impersonate]}`) + crb("imp", "ClusterRole", "impersonator", alice),
			want:     []string{`user:alice can impersonate group:system:masters (ClusterRoleBinding "imp", ClusterRole "impersonator"), so it can act as group:system:masters, which is in system:masters, allowed everything; so user:alice can become cluster-admin`}},
		{name: "impersonating groups needs a user to impersonate",
			manifest: clusterRole("impersonator", `{apiGroups: [""], resources: [groups], verbs: [impersonate]}`) + crb("imp", "ClusterRole", "impersonator", alice)},
		{name: "a role binding grants no impersonation of users",
			manifest: clusterRole("impersonator", `{apiGroups: [""], resources: [users, groups], verbs: [impersonate]}`) + rb("team", "imp", "ClusterRole", "impersonator", alice)},
		{name: "bind cluster-admin with a binding it can write",
			manifest: clusterRoleAdmin + clusterRole("binder", `{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], resourceNames: [cluster-admin], verbs: [bind]}`,
				`{apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}`) + crb("b", "ClusterRole", "binder", alice),
			want: []string{`user:alice can bind ClusterRole cluster-admin to itself (bind on clusterroles and write access to clusterrolebindings) (ClusterRoleBinding "b", ClusterRole "binder"); so user:alice can become cluster-admin`}},
		{name: "bind without writing bindings",
			manifest: clusterRoleAdmin + clusterRole("binder", `{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}`) + crb("b", "ClusterRole", "binder", alice)},
		{name: "bind in a namespace with an admin service account",
			manifest: adminBot + clusterRole("ns-binder", `{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, rolebindings], verbs: [bind, create]}`) +
				rb("kube-system", "b", "ClusterRole", "ns-binder", alice),
			want: []string{`user:alice can bind any role in kube-system (bind on roles and write access to rolebindings), and so run pods as sa:kube-system/admin-bot`}},
		{name: "escalate a role bound to oneself",
			manifest: clusterRole("self-editor", `{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, update]}`) + crb("e", "ClusterRole", "self-editor", alice),
			want:     []string{`user:alice can escalate and update ClusterRole self-editor, which a ClusterRoleBinding grants it, to allow everything`}},
		{name: "two steps, shortest first, and group members",
			manifest: adminBot + clusterRole("pod-creator", `{apiGroups: [""], resources: [pods], verbs: [create]}`) +
				rb("kube-system", "ci-deploys", "ClusterRole", "pod-creator", "{kind: Group, name: \"system:serviceaccounts:ci\"}") +
				nsRole("ci", "impersonate-builder", `{apiGroups: [""], resources: [serviceaccounts], resourceNames: [builder], verbs: [impersonate]}`) +
				rb("ci", "imp", "Role", "impersonate-builder", alice) + rb("ci", "unrelated", "Role", "impersonate-builder", saSubject("ci", "builder")),
			want: []string{
				`group:system:serviceaccounts:ci can create pods in kube-system`,
				`sa:ci/builder (as a member of group:system:serviceaccounts:ci) can create pods in kube-system`,
				`user:alice can impersonate sa:ci/builder (RoleBinding "imp", Role "impersonate-builder"), so it can act as sa:ci/builder; sa:ci/builder (as a member of group:system:serviceaccounts:ci) can create pods in kube-system, where pods may run as sa:kube-system/admin-bot (RoleBinding "ci-deploys", ClusterRole "pod-creator"), so it can act as sa:kube-system/admin-bot, which holds cluster-admin through ClusterRoleBinding "admin-bot" (ClusterRole "cluster-admin"); so user:alice can become cluster-admin in 2 steps`,
			}},
		{name: "crown jewel",
			manifest: nsRole("payments", "db", `{apiGroups: [""], resources: [secrets], resourceNames: [db], verbs: [get]}`) + rb("payments", "db", "Role", "db", saSubject("payments", "api")) +
				clusterRole("pod-creator", `{apiGroups: [""], resources: [pods], verbs: [create]}`) + rb("payments", "dev", "ClusterRole", "pod-creator", devs),
			opts: EscalationOptions{CrownJewels: []Request{{Verb: "get", Resource: "secrets", Namespace: "payments", Name: "db"}}},
			want: []string{`group:devs can create pods in payments, where pods may run as sa:payments/api (RoleBinding "dev", ClusterRole "pod-creator"), so it can act as sa:payments/api, which holds get secrets db -n payments through RoleBinding "db" (Role "db"); so group:devs can become get secrets db -n payments`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := escalationPaths(t, tc.manifest, tc.opts)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d paths, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("path %d:\n got  %s\n want %s...", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestEscalationPathCheck(t *testing.T) {
	runRBACCases(t, "rbac-escalation-path", []rbacCase{
		{name: "builder becomes cluster-admin", manifest: adminBot + clusterRole("pod-creator", `{apiGroups: [""], resources: [pods], verbs: [create]}`) +
			rb("kube-system", "ci-deploys", "ClusterRole", "pod-creator", alice, saSubject("ci", "builder")),
			want:     []string{"kube-system/RoleBinding/ci-deploys subjects[1] critical", "kube-system/RoleBinding/ci-deploys subjects[0] critical"},
			contains: []string{"so sa:ci/builder can become cluster-admin", "so user:alice can become cluster-admin"}},
		{name: "a member reaching through its group is reported for the group", manifest: adminBot + clusterRole("pod-creator", `{apiGroups: [""], resources: [pods], verbs: [create]}`) +
			rb("kube-system", "ci-deploys", "ClusterRole", "pod-creator", "{kind: Group, name: \"system:serviceaccounts:ci\"}") +
			rb("ci", "other", "ClusterRole", "pod-creator", saSubject("ci", "builder")),
			want: []string{"kube-system/RoleBinding/ci-deploys subjects[0] critical"}},
		{name: "admins are not reported", manifest: adminBot + crb("more-admins", "ClusterRole", "cluster-admin", alice)},
	})
}

// TestAdminGranteesAgreeWithAllowed: the escalation search finds its
// cluster-admin targets from the ClusterRoleBindings once; that must be
// exactly what Allowed says for each subject.
func TestAdminGranteesAgreeWithAllowed(t *testing.T) {
	inv := riskBenchWorld(7, 400, 2000, 1000)
	inv.Objects = append(inv.Objects, rbacInventory(t, crb("u", "ClusterRole", "cluster-admin", `{kind: User, name: "system:serviceaccount:ns-1:sa-8"}`, "{kind: Group, name: \"system:serviceaccounts:ns-2\"}"), nil).Objects...)
	ix := Build(inv)
	isAdmin := ix.adminTest()
	sas, tokens := escalationInputs(inv)
	checked, admins := 0, 0
	for _, n := range buildEscGraph(ix, sas, tokens).nodes {
		want, _ := ix.Allowed(IdentityOf(n), adminRequest)
		if _, got := isAdmin(n); got != want {
			t.Errorf("%s: admin by ClusterRoleBindings = %v, Allowed = %v", n, got, want)
		}
		if want {
			admins++
		}
		checked++
	}
	if checked < 500 || admins < 2 {
		t.Fatalf("checked %d subjects, %d admins: the world is too small to mean anything", checked, admins)
	}
}
