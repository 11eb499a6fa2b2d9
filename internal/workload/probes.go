package workload

import (
	"fmt"

	"github.com/rampart-dev/rampart/internal/finding"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	register(
		&Check{
			ID:    "liveness-probe-missing",
			Title: "Liveness probe missing",
			Description: "Fires for each regular container without a livenessProbe in a Deployment, StatefulSet, DaemonSet, ReplicaSet or ReplicationController; " +
				"bare Pods, Jobs and CronJobs are skipped as they are not long-running controllers.",
			Severity:    finding.Low,
			Remediation: "Add a livenessProbe that fails when the process is stuck, so that the kubelet restarts the container.",
			Controls:    []string{"NIST-800-190:4.4.3"},
			Run:         probeCheck("livenessProbe", func(c *corev1.Container) *corev1.Probe { return c.LivenessProbe }),
		},
		&Check{
			ID:    "readiness-probe-missing",
			Title: "Readiness probe missing",
			Description: "Fires for each regular container without a readinessProbe in a Deployment, StatefulSet, DaemonSet, ReplicaSet or ReplicationController; " +
				"bare Pods, Jobs and CronJobs are skipped as they are not long-running controllers.",
			Severity:    finding.Low,
			Remediation: "Add a readinessProbe, so that Services send no traffic to the container before it can serve and rollouts stop on a broken version.",
			Controls:    []string{"NIST-800-190:4.4.3"},
			Run:         probeCheck("readinessProbe", func(c *corev1.Container) *corev1.Probe { return c.ReadinessProbe }),
		},
	)
}

// longRunning reports whether an object is a controller that keeps its
// pods running, for which probes matter.
func longRunning(t *Target) bool {
	switch t.Object.Typed.(type) {
	case *appsv1.Deployment, *appsv1.StatefulSet, *appsv1.DaemonSet, *appsv1.ReplicaSet, *corev1.ReplicationController:
		return true
	}
	return false
}

// probeCheck fires for each regular container of a long-running controller
// whose probe (read by get) is missing.
func probeCheck(field string, get func(c *corev1.Container) *corev1.Probe) func(t *Target) []Result {
	return func(t *Target) []Result {
		if t.Pod == nil || !longRunning(t) {
			return nil
		}
		var out []Result
		path := t.Pod.SpecPath.Key("containers")
		for i := range t.Pod.Spec.Containers {
			c := &t.Pod.Spec.Containers[i]
			if get(c) == nil {
				out = append(out, Result{Path: path.Index(i).Key(field), Container: c.Name, Message: fmt.Sprintf("container %q has no %s", c.Name, field)})
			}
		}
		return out
	}
}
