// Package catalog renders the reference of every check, docs/checks.md,
// from the check registry itself so that the documentation never drifts
// from the code.
package catalog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/workload"
)

// Markdown renders the checks catalog.
func Markdown(checks []*workload.Check) string {
	var b strings.Builder
	b.WriteString("# Checks catalog\n\n")
	b.WriteString("Generated from the check registry by `rampart checks -o markdown`; a test fails when this file is stale.\n")
	b.WriteString("Regenerate it with `go test ./internal/catalog -update`.\n\n")
	b.WriteString("Controls: `NIST-800-190:x.y.z` is a section of NIST SP 800-190, `CIS-K8S:x.y.z` a recommendation of the\n")
	b.WriteString("CIS Kubernetes Benchmark, `PSS:level/control` a control of the Kubernetes Pod Security Standards\n")
	b.WriteString("(with the check ID used by `k8s.io/pod-security-admission`).\n\n")
	fmt.Fprintf(&b, "%d checks.\n\n", len(checks))
	b.WriteString("| ID | Severity | Default | Title | Controls |\n|---|---|---|---|---|\n")
	for _, c := range checks {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s | %s |\n", c.ID, c.ID, c.Severity, onOff(c.OptIn), c.Title, strings.Join(c.Controls, ", "))
	}
	b.WriteString("\n## By NIST SP 800-190 section\n\n")
	bySection := map[string][]string{}
	for _, c := range checks {
		for _, ctl := range c.Controls {
			if s, ok := strings.CutPrefix(ctl, "NIST-800-190:"); ok {
				bySection[s] = append(bySection[s], "`"+c.ID+"`")
			}
		}
	}
	sections := make([]string, 0, len(bySection))
	for s := range bySection {
		sections = append(sections, s)
	}
	sort.Strings(sections)
	for _, s := range sections {
		fmt.Fprintf(&b, "- **%s**: %s\n", s, strings.Join(bySection[s], ", "))
	}
	b.WriteString("\n## Checks\n")
	for _, c := range checks {
		fmt.Fprintf(&b, "\n### %s\n\n", c.ID)
		fmt.Fprintf(&b, "**%s** — severity %s, %s by default.\n\n", c.Title, c.Severity, onOff(c.OptIn))
		fmt.Fprintf(&b, "%s\n\n", c.Description)
		fmt.Fprintf(&b, "Remediation: %s\n\n", c.Remediation)
		fmt.Fprintf(&b, "Controls: %s\n", strings.Join(c.Controls, ", "))
	}
	return b.String()
}

func onOff(optIn bool) string {
	if optIn {
		return "opt-in"
	}
	return "on"
}
