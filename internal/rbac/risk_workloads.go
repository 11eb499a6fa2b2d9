package rbac

import (
	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
)

// Running code in the cluster: whoever starts a pod chooses its service
// account (and so its token and permissions), its host mounts and its
// privileges, as far as admission lets it.
func init() {
	podControllers := append(append(append(
		dangerous("apps", []string{"create", "update", "patch"}, "deployments", "statefulsets", "daemonsets", "replicasets"),
		dangerous("batch", []string{"create", "update", "patch"}, "jobs", "cronjobs")...),
		dangerous("", []string{"create", "update", "patch"}, "replicationcontrollers")...),
		dangerous("", []string{"create", "update", "patch"}, "podtemplates")...)
	registerRisks(
		&risk{check: &audit.Check{
			ID:    "rbac-create-pods",
			Title: "Subject can create pods",
			Description: "Fires for each subject of a binding whose role allows create on pods. A pod runs as any service account of its namespace, so its creator gets every permission those accounts hold, and mounts whatever admission allows (hostPath, privileged). " +
				"Critical for a ClusterRoleBinding (every namespace, kube-system included), high for a RoleBinding. Rules restricted by resourceNames do not fire: create is never restricted by name.",
			Severity:    finding.Critical,
			Remediation: "Let a controller create pods (Deployment, Job) and grant people and CI the right to change those through reviewed manifests, or restrict create pods to the namespaces where it is needed.",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.4"},
			Section:     "4.3.1",
		}, nsSeverity: finding.High, requests: dangerous("", []string{"create"}, "pods")},
		&risk{check: &audit.Check{
			ID:    "rbac-write-pod-controllers",
			Title: "Subject can create or change pod controllers",
			Description: "Fires for each subject of a binding whose role allows create, update or patch on Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, ReplicationControllers or PodTemplates: the controller then creates pods from a template the subject writes, with any service account of the namespace, which is the same power as creating pods. " +
				"High for a ClusterRoleBinding, medium for a RoleBinding.",
			Severity:    finding.High,
			Remediation: "Deploy through a reviewed pipeline (GitOps) and keep direct write access to workloads to the namespaces and people that need it.",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.4"},
			Section:     "4.3.1",
		}, nsSeverity: finding.Medium, requests: podControllers},
		&risk{check: &audit.Check{
			ID:    "rbac-pod-exec",
			Title: "Subject can exec into pods",
			Description: "Fires for each subject of a binding whose role allows pods/exec (create, or get which WebSocket clients use): a shell in any container of the scope, with its service account token, its secrets and its network position. " +
				"Critical for a ClusterRoleBinding, high for a RoleBinding.",
			Severity:    finding.Critical,
			Remediation: "Remove pods/exec from the role; grant it for a limited time to named people in the namespaces they operate, and audit its use.",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Section:     "4.3.1",
		}, nsSeverity: finding.High, requests: dangerous("", []string{"create", "get"}, "pods/exec")},
		&risk{check: &audit.Check{
			ID:    "rbac-pod-attach",
			Title: "Subject can attach to pods",
			Description: "Fires for each subject of a binding whose role allows pods/attach (create or get): the subject reads and writes the standard streams of running containers, often a shell. " +
				"High for a ClusterRoleBinding, medium for a RoleBinding.",
			Severity:    finding.High,
			Remediation: "Remove pods/attach from the role unless the subject debugs those workloads.",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Section:     "4.3.1",
		}, nsSeverity: finding.Medium, requests: dangerous("", []string{"create", "get"}, "pods/attach")},
		&risk{check: &audit.Check{
			ID:    "rbac-pod-portforward",
			Title: "Subject can port-forward to pods",
			Description: "Fires for each subject of a binding whose role allows pods/portforward (create or get): the subject reaches any port of the pods in scope through the API server, around NetworkPolicies and ingress controls. " +
				"High for a ClusterRoleBinding, medium for a RoleBinding.",
			Severity:    finding.High,
			Remediation: "Remove pods/portforward from the role unless the subject debugs those workloads.",
			Controls:    []string{"NIST-800-190:4.3.1", "NIST-800-190:4.3.3"},
			Section:     "4.3.1",
		}, nsSeverity: finding.Medium, requests: dangerous("", []string{"create", "get"}, "pods/portforward")},
		&risk{check: &audit.Check{
			ID:    "rbac-pod-ephemeral-containers",
			Title: "Subject can add ephemeral containers to pods",
			Description: "Fires for each subject of a binding whose role allows update or patch on pods/ephemeralcontainers: the subject adds a container of its choosing to a running pod, which shares the pod's service account, volumes and namespaces. " +
				"High for a ClusterRoleBinding and for a RoleBinding.",
			Severity:    finding.High,
			Remediation: "Remove pods/ephemeralcontainers from the role; grant kubectl debug for a limited time to named people.",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Section:     "4.3.1",
		}, requests: dangerous("", []string{"update", "patch"}, "pods/ephemeralcontainers")},
	)
}
