package workload

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	register(
		resourceCheck("cpu-requests-missing", corev1.ResourceCPU, false, finding.Low),
		resourceCheck("memory-requests-missing", corev1.ResourceMemory, false, finding.Low),
		resourceCheck("cpu-limits-missing", corev1.ResourceCPU, true, finding.Low),
		resourceCheck("memory-limits-missing", corev1.ResourceMemory, true, finding.Medium),
	)
}

// resourceCheck builds the check that a container requests, or is limited
// in, one resource. Kubernetes defaults a missing request to the limit, so
// a limit alone satisfies the request checks; pod-level resources
// (spec.resources, Kubernetes 1.32+) cover every container of the pod.
// Ephemeral containers may not set resources and are skipped.
func resourceCheck(id string, res corev1.ResourceName, limit bool, sev finding.Severity) *Check {
	what, field := "request", "requests"
	if limit {
		what, field = "limit", "limits"
	}
	name := map[corev1.ResourceName]string{corev1.ResourceCPU: "CPU", corev1.ResourceMemory: "memory"}[res]
	desc := fmt.Sprintf("Fires for each init and regular container with no %s %s (or a zero one), unless pod-level spec.resources sets one", name, what)
	rem := fmt.Sprintf("Set resources.%s.%s on every container (or spec.resources.%s.%s for the whole pod)", field, res, field, res)
	var why string
	if limit {
		desc += "."
		why = "so that one container cannot exhaust the node"
		if res == corev1.ResourceCPU {
			why = "so that one container cannot starve its neighbours of CPU"
		}
	} else {
		desc += "; a limit counts, as Kubernetes defaults an absent request to the limit."
		why = "so that the scheduler reserves what the container needs"
	}
	return &Check{
		ID:          id,
		Title:       fmt.Sprintf("%s%s %s missing", strings.ToUpper(name[:1]), name[1:], what),
		Description: desc,
		Severity:    sev,
		Remediation: rem + ", " + why + ".",
		Controls:    []string{"NIST-800-190:4.4.3"},
		Run: func(t *Target) []Result {
			if t.Pod == nil || resourceSet(t.Pod.Spec.Resources, res, limit) {
				return nil
			}
			return eachContainer(func(c inventory.Container) []Result {
				if c.Field == "ephemeralContainers" || resourceSet(&c.Resources, res, limit) {
					return nil
				}
				has := "no"
				if _, ok := c.Resources.Limits[res]; ok && limit {
					has = "a zero"
				} else if _, ok := c.Resources.Requests[res]; ok && !limit {
					has = "a zero"
				}
				return []Result{{
					Path:    c.Path.Keys("resources", field, string(res)),
					Message: fmt.Sprintf("container %q has %s %s %s", c.Name, has, name, what),
				}}
			})(t)
		},
	}
}

// resourceSet reports whether r gives res a non-zero limit or, for a
// request, a non-zero request; an absent request defaults to the limit.
func resourceSet(r *corev1.ResourceRequirements, res corev1.ResourceName, limit bool) bool {
	if r == nil {
		return false
	}
	if !limit {
		if q, ok := r.Requests[res]; ok {
			return !q.IsZero()
		}
	}
	q, ok := r.Limits[res]
	return ok && !q.IsZero()
}
