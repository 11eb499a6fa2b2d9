package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/rampart-dev/rampart/internal/catalog"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/spf13/cobra"
)

func newChecksCmd(s streams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "List the checks rampart runs",
		Long: `Checks lists every check with its ID, severity, title and whether it runs by
default. Use the IDs in rampart.yaml (checks.disable, checks.enable,
checks.severity, exemptions) and in the rampart.dev/ignore annotation.`,
		Example: `  rampart checks
  rampart checks -o json | jq '.[] | select(.severity == "critical") | .id'
  rampart checks -o markdown > docs/checks.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			checks := catalog.Entries()
			switch output {
			case "text":
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSEVERITY\tDEFAULT\tRUNS IN\tTITLE")
				for _, c := range checks {
					def := "on"
					if c.OptIn {
						def = "opt-in"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Severity, def, c.Runs, c.Title)
				}
				return tw.Flush()
			case "json":
				rules := make([]finding.Rule, 0, len(checks))
				for _, c := range checks {
					rules = append(rules, c.Rule)
				}
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				return enc.Encode(rules)
			case "markdown":
				_, err := fmt.Fprint(s.out, catalog.Markdown(checks))
				return err
			}
			return usageError("--output: unknown format %q (want text, json or markdown)", output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: "+strings.Join([]string{"text", "json", "markdown"}, ", "))
	return cmd
}
