package rbac

import (
	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
)

// Rights that redirect or open traffic between workloads.
func init() {
	registerRisks(
		&risk{check: &audit.Check{
			ID:    "rbac-write-endpoints",
			Title: "Subject can write endpoints",
			Description: "Fires for each subject of a binding whose role allows create, update or patch on endpoints or endpointslices: the subject points a Service at addresses of its choosing and intercepts the Service's traffic. " +
				"Medium for a ClusterRoleBinding and for a RoleBinding.",
			Severity:    finding.Medium,
			Remediation: "Let the endpoint controllers write endpoints; remove the right from people and applications.",
			Controls:    []string{"NIST-800-190:4.3.1", "NIST-800-190:4.3.3"},
			Section:     "4.3.1",
		}, requests: append(dangerous("", []string{"create", "update", "patch"}, "endpoints"),
			dangerous("discovery.k8s.io", []string{"create", "update", "patch"}, "endpointslices")...)},
		&risk{check: &audit.Check{
			ID:    "rbac-services-proxy",
			Title: "Subject can proxy to services",
			Description: "Fires for each subject of a binding whose role allows services/proxy: the subject reaches the Services in scope through the API server, around NetworkPolicies, with the API server as the source of the traffic. " +
				"Medium for a ClusterRoleBinding, low for a RoleBinding.",
			Severity:    finding.Medium,
			Remediation: "Remove services/proxy from the role; expose what the subject needs through an ingress with its own authentication.",
			Controls:    []string{"NIST-800-190:4.3.1", "NIST-800-190:4.3.3"},
			Section:     "4.3.1",
		}, nsSeverity: finding.Low, requests: dangerous("", []string{"get", "create", "update", "patch", "delete"}, "services/proxy")},
		&risk{check: &audit.Check{
			ID:    "rbac-write-network-policies",
			Title: "Subject can weaken network policies",
			Description: "Fires for each subject of a binding whose role allows update, patch, delete or deletecollection on networkpolicies: the subject removes the segmentation that isolates workloads. " +
				"Medium for a ClusterRoleBinding and for a RoleBinding.",
			Severity:    finding.Medium,
			Remediation: "Manage NetworkPolicies through a reviewed pipeline; keep write access to them to the namespace's administrators.",
			Controls:    []string{"NIST-800-190:4.3.1", "NIST-800-190:4.3.3"},
			Section:     "4.3.1",
		}, requests: dangerous("networking.k8s.io", []string{"update", "patch", "delete", "deletecollection"}, "networkpolicies")},
	)
}
