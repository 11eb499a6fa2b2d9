// Package catalog renders the reference of every check, docs/checks.md,
// from the check registries themselves so that the documentation never
// drifts from the code.
package catalog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/netpol"
	"github.com/rampart-dev/rampart/internal/nodes"
	"github.com/rampart-dev/rampart/internal/placement"
	"github.com/rampart-dev/rampart/internal/rbac"
	"github.com/rampart-dev/rampart/internal/secrets"
	"github.com/rampart-dev/rampart/internal/workload"
)

// ClusterChecks returns the checks of every analyzer that reads a whole
// inventory (audit, rbac, netpol, placement, nodes, secrets), sorted by ID.
func ClusterChecks() []*audit.Check {
	var out []*audit.Check
	for _, cs := range [][]*audit.Check{audit.Checks(), rbac.Checks(), netpol.Checks(), placement.Checks(), nodes.Checks(), secrets.Checks()} {
		out = append(out, cs...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Entry is one check as the catalog shows it.
type Entry struct {
	finding.Rule
	OptIn bool
	// Runs says which commands run the check.
	Runs string
}

// Entries lists every registered check, sorted by ID.
func Entries() []Entry {
	var out []Entry
	for _, c := range workload.Checks() {
		out = append(out, Entry{Rule: c.Rule(), OptIn: c.OptIn, Runs: "scan, audit"})
	}
	for _, c := range ClusterChecks() {
		runs := "audit"
		if c.Scan {
			runs = "scan, audit"
		}
		out = append(out, Entry{Rule: c.Rule(), Runs: runs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Markdown renders the checks catalog.
func Markdown(entries []Entry) string {
	var b strings.Builder
	b.WriteString("# Checks catalog\n\n")
	b.WriteString("Generated from the check registries by `rampart checks -o markdown`; a test fails when this file is stale.\n")
	b.WriteString("Regenerate it with `go test ./internal/catalog -update`.\n\n")
	b.WriteString("Controls: `NIST-800-190:x.y.z` is a section of NIST SP 800-190, `CIS-K8S:x.y.z` a recommendation of the\n")
	b.WriteString("CIS Kubernetes Benchmark, `PSS:level/control` a control of the Kubernetes Pod Security Standards\n")
	b.WriteString("(with the check ID used by `k8s.io/pod-security-admission`). Checks marked `scan, audit` run on manifests\n")
	b.WriteString("and on live clusters; checks marked `audit` need cluster state (live or from a snapshot).\n\n")
	fmt.Fprintf(&b, "%d checks.\n\n", len(entries))
	b.WriteString("| ID | Severity | Default | Runs in | Title | Controls |\n|---|---|---|---|---|---|\n")
	for _, c := range entries {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s | %s | %s |\n", c.ID, c.ID, c.Severity, onOff(c.OptIn), c.Runs, c.Title, strings.Join(c.Controls, ", "))
	}
	b.WriteString("\n## By NIST SP 800-190 section\n\n")
	bySection := map[string][]string{}
	for _, c := range entries {
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
	for _, c := range entries {
		fmt.Fprintf(&b, "\n### %s\n\n", c.ID)
		fmt.Fprintf(&b, "**%s** — severity %s, %s by default, runs in %s.\n\n", c.Title, c.Severity, onOff(c.OptIn), c.Runs)
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
