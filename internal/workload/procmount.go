package workload

import (
	"strconv"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// procMount follows PSA v1.35+: the baseline check (procMount1_35baseline)
// allows any procMount in a pod with its own user namespace (hostUsers:
// false), the restricted one (procMount_restricted) does not. proc-mount
// reports pods without a user namespace and proc-mount-user-namespace the
// others, so one container is never reported twice; together they are
// PSA's procMount_restricted.

func init() {
	register(
		&Check{
			ID:    "proc-mount",
			Title: "Unmasked /proc",
			Description: "A container sets securityContext.procMount to something other than Default (Unmasked), exposing the host's /proc paths " +
				"that the runtime masks; this is allowed by baseline only in pods with their own user namespace (hostUsers: false), as in PSA since v1.35.",
			Severity:    finding.High,
			Remediation: "Remove securityContext.procMount or set it to Default.",
			Controls:    []string{"NIST-800-190:4.4.3", "PSS:baseline/procMount", "PSS:restricted/procMount_restricted"},
			Run: func(t *Target) []Result {
				if t.Pod == nil || userNamespacePod(t.Pod.Spec) {
					return nil
				}
				return eachContainer(procMountResult)(t)
			},
		},
		&Check{
			ID:    "proc-mount-user-namespace",
			Title: "Unmasked /proc in a user-namespace pod",
			Description: "A container of a pod with its own user namespace (hostUsers: false) sets securityContext.procMount to something other " +
				"than Default; baseline allows it since v1.35 but the restricted standard does not.",
			Severity:    finding.Medium,
			Remediation: "Remove securityContext.procMount or set it to Default.",
			Controls:    []string{"NIST-800-190:4.4.3", "PSS:restricted/procMount_restricted"},
			Run: func(t *Target) []Result {
				if t.Pod == nil || !userNamespacePod(t.Pod.Spec) {
					return nil
				}
				return eachContainer(procMountResult)(t)
			},
		},
	)
}

func procMountResult(c inventory.Container) []Result {
	if sc := c.SecurityContext; sc != nil && sc.ProcMount != nil && *sc.ProcMount != corev1.DefaultProcMount {
		return []Result{{Path: containerSecurityContextPath(c, "procMount"), Message: "container sets procMount " + strconv.Quote(string(*sc.ProcMount))}}
	}
	return nil
}
