package workload

import (
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

func init() {
	register(&Check{
		ID:          "privileged-container",
		Title:       "Privileged container",
		Description: "A privileged container has every capability and all host devices; escaping to the node is trivial.",
		Severity:    finding.Critical,
		Remediation: "Remove securityContext.privileged or set it to false; grant only the capabilities the process needs.",
		Controls:    []string{"NIST-800-190:4.4.3", "NIST-800-190:4.5.5", "CIS-K8S:5.2.2", "PSS:baseline/privileged"},
		Run: eachContainer(func(c inventory.Container) []Result {
			if sc := c.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
				return []Result{{Path: c.Path.Keys("securityContext", "privileged"), Message: "container runs privileged"}}
			}
			return nil
		}),
	})
}

// eachContainer adapts a per-container function into a check that runs on
// every container of a workload (init, regular and ephemeral), filling in
// the container name of each result.
func eachContainer(fn func(c inventory.Container) []Result) func(t *Target) []Result {
	return func(t *Target) []Result {
		if t.Pod == nil {
			return nil
		}
		var out []Result
		for _, c := range t.Pod.Containers() {
			for _, r := range fn(c) {
				r.Container = c.Name
				out = append(out, r)
			}
		}
		return out
	}
}
