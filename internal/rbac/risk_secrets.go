package rbac

import (
	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
)

func init() {
	registerRisks(
		&risk{check: &audit.Check{
			ID:    "rbac-read-secrets",
			Title: "Subject can read secrets",
			Description: "Fires for each subject of a binding whose role allows get, list or watch on secrets without naming them (list and watch return the values too): every credential of the scope, service account tokens included. " +
				"Critical for a ClusterRoleBinding, high for a RoleBinding. A rule restricted by resourceNames does not fire: it reads only the secrets it names.",
			Severity:    finding.Critical,
			Remediation: "Grant get on the secrets the subject needs by resourceNames, or mount them into its pods, instead of reading all secrets.",
			Controls:    []string{"NIST-800-190:4.3.1", "NIST-800-190:4.3.2", "CIS-K8S:5.1.2"},
			Section:     "4.3.1",
		}, nsSeverity: finding.High, requests: dangerous("", []string{"get", "list", "watch"}, "secrets")},
		&risk{check: &audit.Check{
			ID:    "rbac-create-service-account-tokens",
			Title: "Subject can create service account tokens",
			Description: "Fires for each subject of a binding whose role allows create on serviceaccounts/token without naming the accounts: the subject mints a token for any service account of the scope and acts as it. " +
				"Critical for a ClusterRoleBinding, high for a RoleBinding.",
			Severity:    finding.Critical,
			Remediation: "Remove serviceaccounts/token from the role, or restrict it by resourceNames to the accounts the subject must act as.",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.13"},
			Section:     "4.3.1",
		}, nsSeverity: finding.High, requests: dangerous("", []string{"create"}, "serviceaccounts/token")},
	)
}
