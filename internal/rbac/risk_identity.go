package rbac

import (
	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
)

// Rights over identities and over RBAC itself: each lets a subject gain
// permissions it was not given.
func init() {
	const rbacGroup = "rbac.authorization.k8s.io"
	registerRisks(
		&risk{check: &audit.Check{
			ID:    "rbac-impersonate",
			Title: "Subject can impersonate users, groups or service accounts",
			Description: "Fires for each subject of a binding whose role allows impersonate on users, groups, serviceaccounts or uids without naming them: the subject acts as anyone, system:masters included when it may impersonate groups. " +
				"Critical for a ClusterRoleBinding, high for a RoleBinding (which can only grant impersonation of the namespace's service accounts).",
			Severity:    finding.Critical,
			Remediation: "Remove impersonate from the role, or restrict it by resourceNames to the identities the subject must act as.",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.8"},
			Section:     "4.3.1",
		}, nsSeverity: finding.High, requests: append(dangerous("", []string{"impersonate"}, "users", "groups", "serviceaccounts"),
			dangerous("authentication.k8s.io", []string{"impersonate"}, "uids")...)},
		&risk{check: &audit.Check{
			ID:    "rbac-escalate",
			Title: "Subject can escalate roles",
			Description: "Fires for each subject of a binding whose role allows escalate on roles or clusterroles: the API server then lets the subject write roles with permissions it does not hold, and with update on a role bound to it, give itself anything. " +
				"Critical for a ClusterRoleBinding, high for a RoleBinding.",
			Severity:    finding.Critical,
			Remediation: "Remove escalate from the role; only the controllers that manage RBAC need it.",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.8"},
			Section:     "4.3.1",
		}, nsSeverity: finding.High, requests: dangerous(rbacGroup, []string{"escalate"}, "roles", "clusterroles")},
		&risk{check: &audit.Check{
			ID:    "rbac-bind",
			Title: "Subject can bind any role",
			Description: "Fires for each subject of a binding whose role allows bind on roles or clusterroles without naming them: the API server then lets the subject bind any role, cluster-admin included, to anyone it can write a binding for. " +
				"Critical for a ClusterRoleBinding, high for a RoleBinding. The check is on roles and clusterroles, where the API server checks bind, not on bindings.",
			Severity:    finding.Critical,
			Remediation: "Remove bind from the role, or restrict it by resourceNames to the roles the subject may hand out.",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.8"},
			Section:     "4.3.1",
		}, nsSeverity: finding.High, requests: dangerous(rbacGroup, []string{"bind"}, "roles", "clusterroles")},
		&risk{check: &audit.Check{
			ID:    "rbac-write-role-bindings",
			Title: "Subject can create or change role bindings",
			Description: "Fires for each subject of a binding whose role allows create, update or patch on rolebindings or clusterrolebindings: the subject can hand any role it holds (or may bind) to anyone, itself included, and add subjects to existing bindings. " +
				"High for a ClusterRoleBinding, medium for a RoleBinding.",
			Severity:    finding.High,
			Remediation: "Manage bindings through a reviewed pipeline and keep write access to them to the administrators of each namespace.",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.8"},
			Section:     "4.3.1",
		}, nsSeverity: finding.Medium, requests: dangerous(rbacGroup, []string{"create", "update", "patch"}, "rolebindings", "clusterrolebindings")},
		&risk{check: &audit.Check{
			ID:    "rbac-write-roles",
			Title: "Subject can create or change roles",
			Description: "Fires for each subject of a binding whose role allows create, update or patch on roles or clusterroles: changing a role changes what every subject bound to it may do. " +
				"The API server refuses rules the writer does not hold unless it also has escalate (rbac-escalate). Medium for a ClusterRoleBinding, low for a RoleBinding.",
			Severity:    finding.Medium,
			Remediation: "Manage roles through a reviewed pipeline and keep write access to them to administrators.",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Section:     "4.3.1",
		}, nsSeverity: finding.Low, requests: dangerous(rbacGroup, []string{"create", "update", "patch"}, "roles", "clusterroles")},
		&risk{check: &audit.Check{
			ID:    "rbac-approve-csr",
			Title: "Subject can approve certificate signing requests",
			Description: "Fires for each subject of a ClusterRoleBinding whose role allows update or patch on certificatesigningrequests/approval: with create on certificatesigningrequests (and approve on the signer), the subject issues itself a client certificate for any user or group, system:masters included. " +
				"A RoleBinding never grants these cluster-scoped resources.",
			Severity:    finding.High,
			Remediation: "Keep CSR approval to the controllers that need it (kube-controller-manager, a kubelet serving-certificate approver) and to cluster administrators.",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.11"},
			Section:     "4.3.1",
		}, clusterOnly: true, requests: dangerous("certificates.k8s.io", []string{"update", "patch"}, "certificatesigningrequests/approval")},
	)
}
