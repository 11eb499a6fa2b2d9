package workload

import (
	"strconv"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// Seccomp checks follow PSA seccompProfileBaseline_1_19 and
// seccompProfileRestricted_1_25. Since v1.19 PSA reads only the
// seccompProfile fields, never the deprecated seccomp annotations, and
// neither do these checks.

func init() {
	register(
		&Check{
			ID:    "seccomp-baseline",
			Title: "Seccomp disabled",
			Description: "The pod or a container sets a seccomp profile type other than RuntimeDefault or Localhost (such as Unconfined), " +
				"turning off the system-call filter that blocks many kernel exploits.",
			Severity:    finding.High,
			Remediation: "Set securityContext.seccompProfile.type to RuntimeDefault, or to Localhost with a reviewed profile.",
			Controls:    []string{"NIST-800-190:4.4.3", "PSS:baseline/seccompProfile_baseline"},
			Run: func(t *Target) []Result {
				if t.Pod == nil {
					return nil
				}
				out := seccompPodResult(t.Pod)
				return append(out, eachContainer(func(c inventory.Container) []Result {
					if r, ok := seccompContainerResult(c); ok {
						return []Result{r}
					}
					return nil
				})(t)...)
			},
		},
		&Check{
			ID:    "seccomp-restricted",
			Title: "Seccomp profile not set",
			Description: "Under the restricted Pod Security Standard every container must run with seccomp type RuntimeDefault or Localhost, set on the " +
				"container or inherited from the pod. Windows pods (spec.os.name: windows) are exempt, as in PSA since v1.25.",
			Severity:    finding.Medium,
			Remediation: "Set spec.securityContext.seccompProfile.type: RuntimeDefault (or Localhost) and do not override it with another type on a container.",
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.7.2", "PSS:restricted/seccompProfile_restricted"},
			Run:         seccompRestricted,
		},
	)
}

func validSeccompType(t corev1.SeccompProfileType) bool {
	return t == corev1.SeccompProfileTypeRuntimeDefault || t == corev1.SeccompProfileTypeLocalhost
}

// seccompPodResult reports a pod-level seccomp type that is not allowed.
func seccompPodResult(p *inventory.Pod) []Result {
	if sc := p.Spec.SecurityContext; sc != nil && sc.SeccompProfile != nil && !validSeccompType(sc.SeccompProfile.Type) {
		return []Result{{Path: podSecurityContextPath(p, "seccompProfile", "type"), Message: "pod sets seccomp profile type " + strconv.Quote(string(sc.SeccompProfile.Type))}}
	}
	return nil
}

// seccompContainerResult reports a container-level seccomp type that is not allowed.
func seccompContainerResult(c inventory.Container) (Result, bool) {
	if sc := c.SecurityContext; sc != nil && sc.SeccompProfile != nil && !validSeccompType(sc.SeccompProfile.Type) {
		return Result{Path: containerSecurityContextPath(c, "seccompProfile", "type"), Message: "container sets seccomp profile type " + strconv.Quote(string(sc.SeccompProfile.Type))}, true
	}
	return Result{}, false
}

func seccompRestricted(t *Target) []Result {
	p := t.Pod
	if p == nil || windowsPod(p.Spec) {
		return nil
	}
	// A pod-level profile that is set covers containers that set none;
	// when it is set to a bad type, its own result covers them.
	podSet := p.Spec.SecurityContext != nil && p.Spec.SecurityContext.SeccompProfile != nil
	out := seccompPodResult(p)
	for _, c := range p.Containers() {
		if r, ok := seccompContainerResult(c); ok {
			r.Container = c.Name
			out = append(out, r)
		} else if !podSet && (c.SecurityContext == nil || c.SecurityContext.SeccompProfile == nil) {
			out = append(out, Result{Path: containerSecurityContextPath(c, "seccompProfile", "type"), Container: c.Name, Message: "neither the pod nor the container sets a seccomp profile"})
		}
	}
	return out
}
