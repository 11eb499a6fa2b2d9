package nodes

import (
	"fmt"
	"strings"
)

// ChecksMarkdown renders the table of CIS checks for docs/nodes.md, so
// that the reference never drifts from the registry.
func ChecksMarkdown() string {
	var b strings.Builder
	b.WriteString("| CIS | Check | Severity | Benchmark | Reads | In audit | Title |\n|---|---|---|---|---|---|---|\n")
	for _, c := range ConfigChecks() {
		kind := "Automated"
		if c.Manual {
			kind = "Manual"
		}
		reads := c.Component
		if reads == "files" {
			reads = "file modes (bundle)"
		}
		audit := InAudit(c)
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s | %s |\n", c.CIS, c.ID, c.Severity, kind, reads, audit, c.Title)
	}
	return b.String()
}
