package workload

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
)

func init() {
	register(&Check{
		ID:    "host-aliases",
		Title: "Custom /etc/hosts entries",
		Description: "Fires for each spec.hostAliases entry; the kubelet writes it into the pod's /etc/hosts, " +
			"which overrides DNS for those names and can silently send traffic (and credentials) to another address.",
		Severity:    finding.Low,
		Remediation: "Remove hostAliases and publish the names in DNS (a Service, or an ExternalName Service), where they are visible and reviewed.",
		Controls:    []string{"NIST-800-190:4.3.3", "NIST-800-190:4.4.3"},
		Run: func(t *Target) []Result {
			if t.Pod == nil {
				return nil
			}
			var out []Result
			for i, a := range t.Pod.Spec.HostAliases {
				names := make([]string, len(a.Hostnames))
				for j, h := range a.Hostnames {
					names[j] = fmt.Sprintf("%q", h)
				}
				out = append(out, Result{
					Path:    t.Pod.SpecPath.Key("hostAliases").Index(i),
					Message: fmt.Sprintf("hostAliases maps %s to %s in /etc/hosts", strings.Join(names, ", "), a.IP),
				})
			}
			return out
		},
	})
}
