package rbac

import (
	"fmt"
	"testing"
)

// riskSpec describes a coverage check for riskCases: a rule that must
// fire, rules that must not, and the severities of a ClusterRoleBinding
// and a RoleBinding grant ("" when a RoleBinding never grants it).
type riskSpec struct {
	rule     string
	misses   []string
	sev, ns  string
	contains string
}

// riskCases are the cases every catalog check shares: a ClusterRoleBinding
// fires on each subject but system:masters; a RoleBinding of the same
// ClusterRole fires in its namespace, or not at all for cluster-scoped
// resources; near misses (resourceNames, another API group, another verb)
// do not fire; and Kubernetes' own bootstrap bindings are left alone.
func riskCases(s riskSpec) []rbacCase {
	cases := []rbacCase{
		{name: "cluster role binding", manifest: clusterRole("risky", s.rule) + crb("grant", "ClusterRole", "risky", masters, alice, saSubject("ci", "builder")),
			want: []string{
				// Same line: sorted by message, ServiceAccount before User.
				"ClusterRoleBinding/grant subjects[2] " + s.sev,
				"ClusterRoleBinding/grant subjects[1] " + s.sev,
			},
			contains: []string{"User alice can ", "ServiceAccount ci/builder can ", "cluster-wide: ClusterRoleBinding \"grant\" grants ClusterRole \"risky\", whose rules[0] is {", s.contains}},
		{name: "bootstrap binding", manifest: clusterRole("system:risky", s.rule) + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: "system:risky"
  annotations: {rbac.authorization.kubernetes.io/autoupdate: "true"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:risky"}
subjects: [{kind: User, name: "system:kube-scheduler"}]
`},
		{name: "unbound role", manifest: clusterRole("risky", s.rule)},
		{name: "missing role", manifest: crb("grant", "ClusterRole", "risky", alice)},
		{name: "administrator rule is left to the wildcard checks", manifest: clusterRole("admin-like", `{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}`) + crb("grant", "ClusterRole", "admin-like", alice)},
	}
	rbCase := rbacCase{name: "role binding of the cluster role", manifest: clusterRole("risky", s.rule) + rb("team", "grant", "ClusterRole", "risky", "{kind: ServiceAccount, name: app}")}
	if s.ns != "" {
		rbCase.want = []string{"team/RoleBinding/grant subjects[0] " + s.ns}
		rbCase.contains = []string{`ServiceAccount team/app can `, `in namespace "team": RoleBinding "grant"`}
	}
	cases = append(cases, rbCase)
	if s.ns != "" {
		cases = append(cases, rbacCase{name: "role in a namespace", manifest: nsRole("team", "local", s.rule) + rb("team", "grant", "Role", "local", devs),
			want: []string{"team/RoleBinding/grant subjects[0] " + s.ns}, contains: []string{`Group devs can `, `Role "local"`}})
	}
	for i, m := range s.misses {
		cases = append(cases, rbacCase{name: fmt.Sprintf("near miss %d", i), manifest: clusterRole("fine", m) + crb("grant", "ClusterRole", "fine", alice)})
	}
	return cases
}

func TestReadSecrets(t *testing.T) {
	runRBACCases(t, "rbac-read-secrets", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [configmaps, secrets], verbs: [list]}`, sev: "critical", ns: "high", contains: "can list secrets cluster-wide",
		misses: []string{
			`{apiGroups: [""], resources: [secrets], resourceNames: [app-tls], verbs: [get, list, watch]}`,
			`{apiGroups: [apps], resources: [secrets], verbs: [get]}`,
			`{apiGroups: [""], resources: [secrets], verbs: [create, delete]}`,
			`{apiGroups: [""], resources: [configmaps], verbs: ["*"]}`,
		},
	}))
	runRBACCases(t, "rbac-read-secrets", []rbacCase{
		{name: "wildcard resources in the core group", manifest: clusterRole("core-reader", `{apiGroups: [""], resources: ["*"], verbs: [get, watch]}`) + crb("r", "ClusterRole", "core-reader", alice),
			want: []string{"ClusterRoleBinding/r subjects[0] critical"}, contains: []string{"can get, watch secrets cluster-wide", `rules[0] is {apiGroups: [""], resources: ["*"], verbs: [get, watch]}`}},
		{name: "two risky rules", manifest: clusterRole("two", `{apiGroups: [""], resources: [secrets], verbs: [get]}`, `{apiGroups: ["*"], resources: [secrets], verbs: [list]}`) + crb("r", "ClusterRole", "two", alice),
			want: []string{"ClusterRoleBinding/r subjects[0] critical"}, contains: []string{"(and 1 more rule)"}},
		{name: "aggregated role", manifest: `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rampart.dev/aggregate-to-reader: "true"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secret-part
  labels: {rampart.dev/aggregate-to-reader: "true"}
rules: [{apiGroups: [""], resources: [secrets], verbs: [list]}]
` + crb("r", "ClusterRole", "reader", alice), want: []string{"ClusterRoleBinding/r subjects[0] critical"}, contains: []string{"aggregated from secret-part"}},
	})
}

func TestCreateServiceAccountTokens(t *testing.T) {
	runRBACCases(t, "rbac-create-service-account-tokens", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}`, sev: "critical", ns: "high", contains: "can create serviceaccounts/token",
		misses: []string{
			`{apiGroups: [""], resources: [serviceaccounts/token], resourceNames: [deployer], verbs: [create]}`,
			`{apiGroups: [""], resources: [serviceaccounts], verbs: [create]}`,
			`{apiGroups: [""], resources: [serviceaccounts/token], verbs: [get]}`,
		},
	}))
}

func TestCreatePods(t *testing.T) {
	runRBACCases(t, "rbac-create-pods", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [pods], verbs: [create]}`, sev: "critical", ns: "high", contains: "can create pods cluster-wide",
		misses: []string{
			`{apiGroups: [""], resources: [pods/status], verbs: [create]}`,
			`{apiGroups: [""], resources: [pods], verbs: [get, list, delete]}`,
			`{apiGroups: [apps], resources: [pods], verbs: [create]}`,
		},
	}))
}

func TestWritePodControllers(t *testing.T) {
	runRBACCases(t, "rbac-write-pod-controllers", riskCases(riskSpec{
		rule: `{apiGroups: [apps, batch], resources: [deployments, cronjobs], verbs: [patch]}`, sev: "high", ns: "medium", contains: "can patch deployments.apps; patch cronjobs.batch cluster-wide",
		misses: []string{
			`{apiGroups: [apps], resources: [deployments/scale], verbs: [patch]}`,
			`{apiGroups: [apps], resources: [deployments], verbs: [get, list, watch, delete]}`,
			`{apiGroups: [extensions], resources: [deployments], verbs: [create]}`,
		},
	}))
}

func TestPodExec(t *testing.T) {
	runRBACCases(t, "rbac-pod-exec", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [pods/exec], verbs: [get]}`, sev: "critical", ns: "high", contains: "can get pods/exec",
		misses: []string{
			`{apiGroups: [""], resources: [pods], verbs: ["*"]}`,
			`{apiGroups: [""], resources: [pods/log], verbs: [get]}`,
		},
	}))
	runRBACCases(t, "rbac-pod-exec", []rbacCase{
		{name: "every subresource", manifest: clusterRole("subs", `{apiGroups: [""], resources: ["*/exec"], verbs: [create]}`) + crb("r", "ClusterRole", "subs", alice),
			want: []string{"ClusterRoleBinding/r subjects[0] critical"}},
	})
}

func TestPodAttach(t *testing.T) {
	runRBACCases(t, "rbac-pod-attach", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [pods/attach], verbs: [create]}`, sev: "high", ns: "medium", contains: "can create pods/attach",
		misses: []string{`{apiGroups: [""], resources: [pods/attach], verbs: [list]}`},
	}))
}

func TestPodPortForward(t *testing.T) {
	runRBACCases(t, "rbac-pod-portforward", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [pods/portforward], verbs: [create]}`, sev: "high", ns: "medium", contains: "can create pods/portforward",
		misses: []string{`{apiGroups: [""], resources: [services/portforward], verbs: [create]}`},
	}))
}

func TestPodEphemeralContainers(t *testing.T) {
	runRBACCases(t, "rbac-pod-ephemeral-containers", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [pods/ephemeralcontainers], verbs: [patch]}`, sev: "high", ns: "high", contains: "can patch pods/ephemeralcontainers",
		misses: []string{`{apiGroups: [""], resources: [pods], verbs: [patch]}`, `{apiGroups: [""], resources: [pods/ephemeralcontainers], verbs: [get]}`},
	}))
}

func TestImpersonate(t *testing.T) {
	runRBACCases(t, "rbac-impersonate", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [groups], verbs: [impersonate]}`, sev: "critical", ns: "high", contains: "can impersonate groups",
		misses: []string{
			`{apiGroups: [""], resources: [users], resourceNames: [jane], verbs: [impersonate]}`,
			`{apiGroups: [""], resources: [users], verbs: [get]}`,
			`{apiGroups: [authentication.k8s.io], resources: [users], verbs: [impersonate]}`,
		},
	}))
}

func TestEscalate(t *testing.T) {
	runRBACCases(t, "rbac-escalate", riskCases(riskSpec{
		rule: `{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}`, sev: "critical", ns: "high", contains: "can escalate clusterroles.rbac.authorization.k8s.io",
		misses: []string{`{apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [escalate]}`},
	}))
}

func TestBind(t *testing.T) {
	runRBACCases(t, "rbac-bind", riskCases(riskSpec{
		rule: `{apiGroups: [rbac.authorization.k8s.io], resources: [roles, clusterroles], verbs: [bind]}`, sev: "critical", ns: "high", contains: "can bind roles.rbac.authorization.k8s.io; bind clusterroles.rbac.authorization.k8s.io",
		misses: []string{
			// bind is checked on roles, not on bindings.
			`{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings, clusterrolebindings], verbs: [bind]}`,
			`{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], resourceNames: [view], verbs: [bind]}`,
		},
	}))
}

func TestWriteRoleBindings(t *testing.T) {
	runRBACCases(t, "rbac-write-role-bindings", riskCases(riskSpec{
		rule: `{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}`, sev: "high", ns: "medium", contains: "can create rolebindings.rbac.authorization.k8s.io",
		misses: []string{`{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [get, list, delete]}`},
	}))
}

func TestWriteRoles(t *testing.T) {
	runRBACCases(t, "rbac-write-roles", riskCases(riskSpec{
		rule: `{apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [update]}`, sev: "medium", ns: "low", contains: "can update roles.rbac.authorization.k8s.io",
		misses: []string{`{apiGroups: [""], resources: [roles], verbs: [update]}`},
	}))
}

func TestApproveCSR(t *testing.T) {
	runRBACCases(t, "rbac-approve-csr", riskCases(riskSpec{
		rule: `{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}`, sev: "high", contains: "can update certificatesigningrequests.certificates.k8s.io/approval",
		misses: []string{`{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [update, create]}`},
	}))
}

func TestNodesProxy(t *testing.T) {
	runRBACCases(t, "rbac-nodes-proxy", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [nodes/proxy], verbs: [get]}`, sev: "critical", contains: "can get nodes/proxy cluster-wide",
		misses: []string{`{apiGroups: [""], resources: [nodes/metrics, nodes/stats, nodes], verbs: [get]}`},
	}))
}

func TestPatchNodes(t *testing.T) {
	runRBACCases(t, "rbac-patch-nodes", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [nodes], verbs: [patch]}`, sev: "high", contains: "can patch nodes",
		misses: []string{`{apiGroups: [""], resources: [nodes], verbs: [get, list, watch]}`},
	}))
}

func TestWriteAdmissionWebhooks(t *testing.T) {
	runRBACCases(t, "rbac-write-admission-webhooks", riskCases(riskSpec{
		rule: `{apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [update]}`, sev: "high", contains: "can update mutatingwebhookconfigurations.admissionregistration.k8s.io",
		misses: []string{
			`{apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], resourceNames: [my-operator], verbs: [update]}`,
			`{apiGroups: [admissionregistration.k8s.io], resources: ["*"], verbs: [get, list]}`,
		},
	}))
}

func TestCreatePersistentVolumes(t *testing.T) {
	runRBACCases(t, "rbac-create-persistent-volumes", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [persistentvolumes], verbs: [create]}`, sev: "high", contains: "can create persistentvolumes",
		misses: []string{`{apiGroups: [""], resources: [persistentvolumeclaims], verbs: [create]}`},
	}))
}

func TestWriteCRDs(t *testing.T) {
	runRBACCases(t, "rbac-write-crds", riskCases(riskSpec{
		rule: `{apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions], verbs: [delete]}`, sev: "high", contains: "can delete customresourcedefinitions.apiextensions.k8s.io",
		misses: []string{`{apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions], verbs: [get, list, watch]}`},
	}))
}

func TestWriteAPIServices(t *testing.T) {
	runRBACCases(t, "rbac-write-api-services", riskCases(riskSpec{
		rule: `{apiGroups: [apiregistration.k8s.io], resources: [apiservices], verbs: [create]}`, sev: "critical", contains: "can create apiservices.apiregistration.k8s.io",
		misses: []string{`{apiGroups: [apiregistration.k8s.io], resources: [apiservices/status], verbs: [create]}`},
	}))
}

func TestWriteEndpoints(t *testing.T) {
	runRBACCases(t, "rbac-write-endpoints", riskCases(riskSpec{
		rule: `{apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [create]}`, sev: "medium", ns: "medium", contains: "can create endpointslices.discovery.k8s.io",
		misses: []string{`{apiGroups: [""], resources: [endpointslices], verbs: [create]}`, `{apiGroups: [""], resources: [endpoints], verbs: [get, list, watch]}`},
	}))
}

func TestServicesProxy(t *testing.T) {
	runRBACCases(t, "rbac-services-proxy", riskCases(riskSpec{
		rule: `{apiGroups: [""], resources: [services/proxy], verbs: [get]}`, sev: "medium", ns: "low", contains: "can get services/proxy",
		misses: []string{`{apiGroups: [""], resources: [services], verbs: [get]}`},
	}))
}

func TestWriteNetworkPolicies(t *testing.T) {
	runRBACCases(t, "rbac-write-network-policies", riskCases(riskSpec{
		rule: `{apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [delete]}`, sev: "medium", ns: "medium", contains: "can delete networkpolicies.networking.k8s.io",
		misses: []string{`{apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [create, get]}`, `{apiGroups: [extensions], resources: [networkpolicies], verbs: [delete]}`},
	}))
}
