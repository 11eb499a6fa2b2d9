package workload

import (
	"fmt"

	"github.com/rampart-dev/rampart/internal/finding"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

func init() {
	register(&Check{
		ID:    "default-namespace",
		Title: "Object in the default namespace",
		Description: "Fires when an application object (workload, Service, Ingress, ConfigMap, Secret, PersistentVolumeClaim, ServiceAccount, Role or RoleBinding) sets metadata.namespace to \"default\"; " +
			"an object with no namespace lands in whatever namespace the deploying context uses, so only an explicit \"default\" is known to share the catch-all namespace.",
		Severity:    finding.Low,
		Remediation: "Deploy into a dedicated namespace per application or team, with its own RBAC, NetworkPolicies and quotas.",
		Controls:    []string{"NIST-800-190:4.3.4", "CIS-K8S:5.7.4"},
		Run: func(t *Target) []Result {
			if t.Object.Namespace != "default" || !applicationObject(t) {
				return nil
			}
			return []Result{{Path: "metadata.namespace", Message: fmt.Sprintf("%s %q is in the default namespace", t.Object.Kind, t.Object.Name)}}
		},
	})
}

// applicationObject reports whether an object is a namespaced part of an
// application, which belongs in the application's own namespace.
func applicationObject(t *Target) bool {
	if t.Pod != nil {
		return true
	}
	switch t.Object.Typed.(type) {
	case *corev1.Pod, *corev1.PodTemplate, *corev1.ReplicationController,
		*appsv1.Deployment, *appsv1.StatefulSet, *appsv1.DaemonSet, *appsv1.ReplicaSet,
		*batchv1.Job, *batchv1.CronJob,
		*corev1.Service, *corev1.ConfigMap, *corev1.Secret, *corev1.PersistentVolumeClaim, *corev1.ServiceAccount,
		*networkingv1.Ingress, *rbacv1.Role, *rbacv1.RoleBinding:
		return true
	}
	return false
}
