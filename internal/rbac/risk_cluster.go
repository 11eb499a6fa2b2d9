package rbac

import (
	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
)

// Cluster-scoped resources that change how the whole cluster behaves. A
// RoleBinding never grants them.
func init() {
	registerRisks(
		&risk{check: &audit.Check{
			ID:          "rbac-nodes-proxy",
			Title:       "Subject can use nodes/proxy",
			Description: "Fires for each subject of a ClusterRoleBinding whose role allows any verb on nodes/proxy: the subject talks to every kubelet's API through the API server, including /exec and /run in any container, and kubelet requests bypass admission and audit of the pods they touch.",
			Severity:    finding.Critical,
			Remediation: "Grant the fine-grained node subresources (nodes/metrics, nodes/stats, nodes/log, nodes/healthz, nodes/pods) that monitoring needs instead of nodes/proxy.",
			Controls:    []string{"NIST-800-190:4.3.1", "NIST-800-190:4.3.5", "CIS-K8S:5.1.10"},
			Section:     "4.3.1",
		}, clusterOnly: true, requests: dangerous("", []string{"get", "create", "update", "patch", "delete"}, "nodes/proxy")},
		&risk{check: &audit.Check{
			ID:          "rbac-patch-nodes",
			Title:       "Subject can change nodes",
			Description: "Fires for each subject of a ClusterRoleBinding whose role allows update or patch on nodes (or on nodes/status): the subject relabels and taints nodes, which steers sensitive pods onto nodes it controls and defeats node-pool isolation.",
			Severity:    finding.High,
			Remediation: "Keep write access to nodes to the node's own kubelet (through the Node authorizer) and to cluster administrators.",
			Controls:    []string{"NIST-800-190:4.3.1", "NIST-800-190:4.3.4"},
			Section:     "4.3.1",
		}, clusterOnly: true, requests: dangerous("", []string{"update", "patch"}, "nodes", "nodes/status")},
		&risk{check: &audit.Check{
			ID:          "rbac-write-admission-webhooks",
			Title:       "Subject can change admission webhooks and policies",
			Description: "Fires for each subject of a ClusterRoleBinding whose role allows create, update, patch or delete on validating or mutating webhook configurations or admission policies: the subject turns admission control off, or sends every object written to the cluster (secrets included) to a server of its choosing and rewrites it.",
			Severity:    finding.High,
			Remediation: "Keep write access to admission configuration to cluster administrators and the operators that install their own webhooks, restricted by resourceNames where possible.",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.12"},
			Section:     "4.3.1",
		}, clusterOnly: true, requests: dangerous("admissionregistration.k8s.io", []string{"create", "update", "patch", "delete"},
			"validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies",
			"validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings")},
		&risk{check: &audit.Check{
			ID:          "rbac-create-persistent-volumes",
			Title:       "Subject can create persistent volumes",
			Description: "Fires for each subject of a ClusterRoleBinding whose role allows create on persistentvolumes: a hostPath persistent volume mounts any directory of a node into a pod, around Pod Security admission, which checks pods and not volumes.",
			Severity:    finding.High,
			Remediation: "Let a StorageClass provisioner create persistent volumes; grant create persistentvolumes only to storage administrators.",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.9"},
			Section:     "4.3.1",
		}, clusterOnly: true, requests: dangerous("", []string{"create"}, "persistentvolumes")},
		&risk{check: &audit.Check{
			ID:          "rbac-write-crds",
			Title:       "Subject can change custom resource definitions",
			Description: "Fires for each subject of a ClusterRoleBinding whose role allows create, update, patch or delete on customresourcedefinitions: deleting one deletes every object of that kind, and changing one changes what operators reconcile (conversion webhooks see every object).",
			Severity:    finding.High,
			Remediation: "Install CRDs through a reviewed pipeline; keep write access to them to cluster administrators.",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Section:     "4.3.1",
		}, clusterOnly: true, requests: dangerous("apiextensions.k8s.io", []string{"create", "update", "patch", "delete"}, "customresourcedefinitions")},
		&risk{check: &audit.Check{
			ID:          "rbac-write-api-services",
			Title:       "Subject can change API services",
			Description: "Fires for each subject of a ClusterRoleBinding whose role allows create, update, patch or delete on apiservices: the subject routes an API group to a server of its choosing, which then sees the requests (and credentials) of every client of that group.",
			Severity:    finding.Critical,
			Remediation: "Keep write access to apiservices to cluster administrators.",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Section:     "4.3.1",
		}, clusterOnly: true, requests: dangerous("apiregistration.k8s.io", []string{"create", "update", "patch", "delete"}, "apiservices")},
	)
}
