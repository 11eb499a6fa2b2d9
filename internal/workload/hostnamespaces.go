package workload

import (
	"fmt"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// Host namespace and host port checks follow PSA hostNamespaces_1_0 and
// hostPorts_1_0 (unchanged up to v1.37).

func init() {
	register(
		&Check{
			ID:          "host-network",
			Title:       "Host network namespace",
			Description: "A pod with hostNetwork: true shares the node's network stack: it can bind any node port, reach services bound to localhost and sniff node traffic.",
			Severity:    finding.High,
			Remediation: "Remove spec.hostNetwork or set it to false; expose the pod through a Service instead.",
			Controls:    []string{"NIST-800-190:4.4.2", "NIST-800-190:4.4.3", "CIS-K8S:5.2.5", "PSS:baseline/hostNamespaces"},
			Run:         hostNamespace("hostNetwork", func(s *corev1.PodSpec) bool { return s.HostNetwork }),
		},
		&Check{
			ID:          "host-pid",
			Title:       "Host PID namespace",
			Description: "A pod with hostPID: true sees every process on the node and, with enough privilege, can signal, trace or enter them; it is a direct path to escape.",
			Severity:    finding.Critical,
			Remediation: "Remove spec.hostPID or set it to false.",
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.3", "PSS:baseline/hostNamespaces"},
			Run:         hostNamespace("hostPID", func(s *corev1.PodSpec) bool { return s.HostPID }),
		},
		&Check{
			ID:          "host-ipc",
			Title:       "Host IPC namespace",
			Description: "A pod with hostIPC: true shares the node's System V IPC and POSIX message queues and can read or tamper with other processes' shared memory.",
			Severity:    finding.High,
			Remediation: "Remove spec.hostIPC or set it to false.",
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.4", "PSS:baseline/hostNamespaces"},
			Run:         hostNamespace("hostIPC", func(s *corev1.PodSpec) bool { return s.HostIPC }),
		},
		&Check{
			ID:          "host-port",
			Title:       "Host port",
			Description: "A container port with a non-zero hostPort is bound on the node's own address, bypassing Services and NetworkPolicy and tying the pod to a node; hostPort 0 or unset is allowed.",
			Severity:    finding.High,
			Remediation: "Remove hostPort from the container's ports and expose the port through a Service.",
			Controls:    []string{"NIST-800-190:4.4.2", "NIST-800-190:4.4.3", "CIS-K8S:5.2.13", "PSS:baseline/hostPorts"},
			Run: eachContainer(func(c inventory.Container) []Result {
				var out []Result
				for i, p := range c.Ports {
					if p.HostPort != 0 {
						out = append(out, Result{Path: c.Path.Key("ports").Index(i).Key("hostPort"), Message: fmt.Sprintf("container port %d is bound to host port %d", p.ContainerPort, p.HostPort)})
					}
				}
				return out
			}),
		},
	)
}

func hostNamespace(field string, set func(*corev1.PodSpec) bool) func(t *Target) []Result {
	return func(t *Target) []Result {
		if t.Pod == nil || !set(t.Pod.Spec) {
			return nil
		}
		return []Result{{Path: t.Pod.SpecPath.Key(field), Message: "pod sets " + field + ": true"}}
	}
}
