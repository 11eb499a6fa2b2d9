package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rampart-dev/rampart/internal/rbac"
	"github.com/spf13/cobra"
)

func init() { analyzerCommands = append(analyzerCommands, newQueryCmd) }

type queryOptions struct {
	src      sourceFlags
	output   string
	exitCode bool
}

func newQueryCmd(s streams) *cobra.Command {
	var o queryOptions
	cmd := &cobra.Command{
		Use:   "query EXPR [PATH...]",
		Short: "Ask questions about RBAC subjects and permissions in CEL",
		Long: `query evaluates a CEL expression (the Common Expression Language Kubernetes uses
in ValidatingAdmissionPolicy and CRD validation) over the subjects and
permissions of a cluster's RBAC, decided exactly as the API server's RBAC
authorizer decides them.

An expression that uses the variable p is a filter: it is evaluated on every
permission row (one verb on one resource, granted to one subject by one
binding) and the rows for which it is true are printed. Any other expression
is evaluated once and its value printed: true or false, a list (one element
per line), a number.

Variables:
  subjects     every subject a binding names and every service account:
               {id, kind, name, namespace, groups}; id is user:NAME,
               group:NAME or sa:NAMESPACE/NAME
  permissions  every permission row: {subject, kind, name, subjectNamespace,
               verb, apiGroup, resource, subresource, resourceNames,
               nonResourceURL, namespace, clusterWide, binding, role}
  p            one permission row (filters only)
Functions:
  can(subject, verb, resource, namespace[, name])  whether the subject may
               make the request, through its groups too (resource as in
               who-can: pods, pods/exec, deployments.apps, or /metrics)
  whoCan(verb, resource, namespace)  the subjects a binding allows it to
  access(subject)  every permission row of the subject, its groups' included

The syntax reference with examples is docs/rbac-query.md.

Objects come from manifests (PATH arguments, - for stdin), from --snapshot, or
from the live cluster of the kubeconfig. Exit codes: 0 answered; 1 with
--exit-code when the answer is true or not empty; 2 usage, expression or input
error.`,
		Example: `  # Which subjects can read the secret db in namespace payments?
  rampart query 'subjects.filter(s, can(s.id, "get", "secrets", "payments", "db")).map(s, s.id)'

  # What can the service account ci/deployer do (its groups included)?
  rampart query 'access("sa:ci/deployer").map(p, p.verb + " " + p.resource + " " + p.namespace)'

  # Can anyone outside group platform list secrets in payments? Fail CI if so.
  rampart query --exit-code 'subjects.exists(s, !("platform" in s.groups) && can(s.id, "list", "secrets", "payments"))' deploy/

  # Every grant of exec into pods, as a table
  rampart query 'p.resource == "pods" && p.subresource == "exec"' --snapshot cluster.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runQuery(cmd, s, &o, args) },
	}
	o.src.add(cmd)
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	cmd.Flags().BoolVar(&o.exitCode, "exit-code", false, "exit 1 when the answer is true, or a non-empty list or set of rows")
	return cmd
}

func runQuery(cmd *cobra.Command, s streams, o *queryOptions, args []string) error {
	if o.output != "text" && o.output != "json" {
		return usageError("--output %q: want text or json", o.output)
	}
	inv, err := o.src.load(cmd, s, args[1:])
	if err != nil {
		return err
	}
	if inputErrors(inv) {
		return &exitError{code: ExitError}
	}
	res, err := rbac.Build(inv).NewQuerier(rbac.ServiceAccounts(inv)).Query(args[0])
	if errors.Is(err, rbac.ErrQuery) {
		return usageError("%w", err)
	}
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	if err := printQuery(s.out, o.output, res); err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("write the answer: %w", err)}
	}
	if o.exitCode && queryHolds(res) {
		return &exitError{code: ExitFindings}
	}
	return nil
}

// queryHolds reports whether an answer is "yes": true, or not empty.
func queryHolds(res rbac.QueryResult) bool {
	if res.Filter {
		return len(res.Rows) > 0
	}
	switch v := res.Value.(type) {
	case bool:
		return v
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	case nil:
		return false
	}
	return true
}

func printQuery(w io.Writer, output string, res rbac.QueryResult) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if res.Filter {
			rows := res.Rows
			if rows == nil {
				rows = []rbac.PermissionRow{}
			}
			return enc.Encode(rows)
		}
		return enc.Encode(res.Value)
	}
	if res.Filter {
		return printRows(w, res.Rows)
	}
	if list, ok := res.Value.([]any); ok {
		for _, e := range list {
			if err := printValue(w, e); err != nil {
				return err
			}
		}
		return nil
	}
	return printValue(w, res.Value)
}

// printValue prints a string bare and anything else as compact JSON.
func printValue(w io.Writer, v any) error {
	if str, ok := v.(string); ok {
		_, err := fmt.Fprintln(w, str)
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func printRows(w io.Writer, rows []rbac.PermissionRow) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "no permission matches")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tVERB\tRESOURCE\tNAMESPACE\tROLE\tBINDING")
	for _, r := range rows {
		res := r.NonResourceURL
		if res == "" {
			res = r.Resource
			if r.APIGroup != "" {
				res += "." + r.APIGroup
			}
			if r.Subresource != "" {
				res += "/" + r.Subresource
			}
			if len(r.ResourceNames) > 0 {
				res += " [" + strings.Join(r.ResourceNames, ",") + "]"
			}
		}
		ns := r.Namespace
		if r.ClusterWide {
			ns = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Subject, r.Verb, res, ns, r.Role, r.Binding)
	}
	return tw.Flush()
}
