package workload

import (
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// The Windows HostProcess check follows PSA windowsHostProcess_1_0.

func init() {
	register(&Check{
		ID:          "windows-host-process",
		Title:       "Windows HostProcess container",
		Description: "The pod or a container sets windowsOptions.hostProcess: true, which runs the container as a process on the Windows node with host access: the Windows equivalent of privileged.",
		Severity:    finding.Critical,
		Remediation: "Remove securityContext.windowsOptions.hostProcess or set it to false.",
		Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.11", "PSS:baseline/windowsHostProcess"},
		Run: func(t *Target) []Result {
			p := t.Pod
			if p == nil {
				return nil
			}
			var out []Result
			if sc := p.Spec.SecurityContext; sc != nil && hostProcess(sc.WindowsOptions) {
				out = append(out, Result{Path: podSecurityContextPath(p, "windowsOptions", "hostProcess"), Message: "pod sets windowsOptions.hostProcess: true"})
			}
			return append(out, eachContainer(func(c inventory.Container) []Result {
				if sc := c.SecurityContext; sc != nil && hostProcess(sc.WindowsOptions) {
					return []Result{{Path: containerSecurityContextPath(c, "windowsOptions", "hostProcess"), Message: "container sets windowsOptions.hostProcess: true"}}
				}
				return nil
			})(t)...)
		},
	})
}

func hostProcess(o *corev1.WindowsSecurityContextOptions) bool {
	return o != nil && o.HostProcess != nil && *o.HostProcess
}
