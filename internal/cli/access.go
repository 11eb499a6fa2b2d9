package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rampart-dev/rampart/internal/rbac"
	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
)

// matrixVerbs are the columns of access's verb × resource matrix.
var matrixVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

type accessOptions struct {
	source    rbacSource
	namespace string
	output    string
}

func newAccessCmd(s streams) *cobra.Command {
	var o accessOptions
	cmd := &cobra.Command{
		Use:   "access SUBJECT",
		Short: "List everything a user, group or service account may do",
		Long: `access lists everything a subject may do, namespace by namespace, with the
binding and role of each rule, and a verb × resource matrix (as rakkess draws
it) decided exactly as the API server's RBAC authorizer would.

SUBJECT is user:NAME, group:NAME, sa:NAMESPACE/NAME, or on EKS the ARN of an
IAM role or user that the aws-auth ConfigMap maps (its user name and groups are
used). A user is also in
system:authenticated; a service account authenticates as
system:serviceaccount:NAMESPACE:NAME in system:serviceaccounts,
system:serviceaccounts:NAMESPACE and system:authenticated, and what those
groups are granted is included. A group shows what every member gets through
that group alone. Members of system:masters may do everything.

Without -n, the list covers every namespace and the matrix what the subject
may do cluster-wide (ClusterRoleBindings: cluster-scoped resources and every
namespace at once). With -n, both cover that namespace (its RoleBindings plus
ClusterRoleBindings). Matrix rows are the built-in resources and those the
subject's rules name, for which at least one verb is allowed.

Objects come from the live cluster of the kubeconfig, from --snapshot, or from
manifests (-f). Exit codes: 0 answered; 2 usage or input error.`,
		Example: `  # What can the service account prod/app do?
  rampart access sa:prod/app

  # What can alice do in namespace dev?
  rampart access user:alice -n dev

  # What can the IAM role PlatformAdmin do (EKS aws-auth mapping)?
  rampart access arn:aws:iam::111122223333:role/PlatformAdmin

  # What do members of group dev get through it, from manifests, as JSON
  rampart access group:dev -f deploy/rbac/ -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runAccess(cmd, s, &o, args[0]) },
	}
	o.source.add(cmd)
	cmd.Flags().StringVarP(&o.namespace, "namespace", "n", "", "show what applies in this namespace only")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	return cmd
}

func runAccess(cmd *cobra.Command, s streams, o *accessOptions, arg string) error {
	if o.output != "text" && o.output != "json" {
		return usageError("--output %q: want text or json", o.output)
	}
	iam := strings.HasPrefix(arg, "arn:")
	subject, err := rbac.ParseSubject(arg)
	if err != nil && !iam {
		return usageError("%w", err)
	}
	ix, inv, err := o.source.index(cmd, s)
	if err != nil {
		return err
	}
	u := rbac.IdentityOf(subject)
	if iam {
		if subject, u, err = iamIdentity(ix, arg); err != nil {
			return err
		}
	}
	var perms []rbac.Permission
	for _, p := range ix.Access(u) {
		if o.namespace == "" || p.Namespace == "" || p.Namespace == o.namespace {
			perms = append(perms, p)
		}
	}
	var matrices []matrix
	if o.namespace != "" {
		matrices = append(matrices, matrix{Namespace: o.namespace, Rows: accessMatrix(ix, u, perms, o.namespace)})
	} else {
		matrices = append(matrices, matrix{Rows: accessMatrix(ix, u, perms, "")})
		for _, ns := range permNamespaces(perms) {
			matrices = append(matrices, matrix{Namespace: ns, Rows: accessMatrix(ix, u, perms, ns)})
		}
	}
	if o.output == "json" {
		err = writeAccessJSON(s.out, subject, u, o.namespace, perms, matrices)
	} else {
		err = writeAccessText(s.out, ix, subject, u, perms, matrices)
	}
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	if inputErrors(inv) {
		return &exitError{code: ExitError}
	}
	return nil
}

// iamIdentity is the identity an IAM role or user authenticates as on EKS,
// from the aws-auth ConfigMap: its user name (templates kept verbatim) and
// groups, plus system:authenticated.
func iamIdentity(ix *rbac.Index, arn string) (rbac.Subject, rbac.User, error) {
	for _, m := range ix.IAMMappings() {
		if m.ARN == arn {
			u := rbac.User{Name: m.Username, Groups: append(slices.Clone(m.Groups), rbac.GroupAuthenticated)}
			return rbac.Subject{Kind: rbacv1.UserKind, Name: m.Username}, u, nil
		}
	}
	return rbac.Subject{}, rbac.User{}, usageError("%s: no entry of the aws-auth ConfigMap maps this ARN", arn)
}

// matrix is what a subject may do in one namespace ("" cluster-wide).
type matrix struct {
	Namespace string      `json:"namespace,omitempty"`
	Rows      []matrixRow `json:"rows"`
}

// permNamespaces are the namespaces of RoleBinding permissions, sorted.
func permNamespaces(perms []rbac.Permission) []string {
	var out []string
	for _, p := range perms {
		if p.Namespace != "" {
			out = append(out, p.Namespace)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ineffective reports a RoleBinding permission on cluster-scoped
// resources only, which the API server never grants through it.
func ineffective(ix *rbac.Index, p rbac.Permission) bool {
	if p.Namespace == "" || len(p.Rule.Resources) == 0 {
		return false
	}
	for _, g := range p.Rule.APIGroups {
		for _, r := range p.Rule.Resources {
			res, _, _ := strings.Cut(r, "/")
			if g == rbacv1.APIGroupAll || strings.Contains(res, "*") || !ix.ClusterScoped(g, res) {
				return false
			}
		}
	}
	return true
}

// matrixRow is one resource and the verbs allowed on it.
type matrixRow struct {
	APIGroup string   `json:"apiGroup"`
	Resource string   `json:"resource"`
	Verbs    []string `json:"verbs"`
}

// accessMatrix asks the index, verb by verb, about every resource worth a
// row: the built-in ones and those the subject's rules name.
func accessMatrix(ix *rbac.Index, u rbac.User, perms []rbac.Permission, namespace string) []matrixRow {
	type gr struct{ group, resource string }
	var candidates []gr
	seen := map[gr]bool{}
	addGR := func(g, r string) {
		k := gr{g, r}
		if !seen[k] && r != "" && !strings.Contains(r, "*") {
			seen[k] = true
			candidates = append(candidates, k)
		}
	}
	for _, g := range rbac.BuiltinResources() {
		addGR(g[0], g[1])
	}
	for _, p := range perms {
		for _, g := range p.Rule.APIGroups {
			if g == rbacv1.APIGroupAll {
				continue
			}
			for _, r := range p.Rule.Resources {
				addGR(g, r)
			}
		}
	}
	var rows []matrixRow
	for _, c := range candidates {
		resource, sub, _ := strings.Cut(c.resource, "/")
		req := rbac.Request{APIGroup: c.group, Resource: resource, Subresource: sub}
		if namespace != "" {
			if ix.ClusterScoped(c.group, resource) {
				continue
			}
			req.Namespace = namespace
		}
		row := matrixRow{APIGroup: c.group, Resource: c.resource}
		for _, v := range matrixVerbs {
			req.Verb = v
			if ok, _ := ix.Allowed(u, req); ok {
				row.Verbs = append(row.Verbs, v)
			}
		}
		if len(row.Verbs) > 0 {
			rows = append(rows, row)
		}
	}
	slices.SortFunc(rows, func(a, b matrixRow) int {
		if a.Resource != b.Resource {
			return strings.Compare(a.Resource, b.Resource)
		}
		return strings.Compare(a.APIGroup, b.APIGroup)
	})
	return rows
}

func identityText(u rbac.User) string {
	if u.Name == "" {
		return "groups " + strings.Join(u.Groups, ", ")
	}
	return "user " + u.Name + ", groups " + strings.Join(u.Groups, ", ")
}

func list(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

func resourceText(r rbacv1.PolicyRule) string {
	if len(r.NonResourceURLs) > 0 {
		return strings.Join(r.NonResourceURLs, ",")
	}
	var out []string
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			out = append(out, groupResourceText(g, res))
		}
	}
	return list(out)
}

// groupResourceText writes deployments.apps/scale as kubectl would.
func groupResourceText(group, resource string) string {
	if group == "" {
		return resource
	}
	res, sub, ok := strings.Cut(resource, "/")
	if ok {
		return res + "." + group + "/" + sub
	}
	return resource + "." + group
}

func writeAccessText(w io.Writer, ix *rbac.Index, subject rbac.Subject, u rbac.User, perms []rbac.Permission, matrices []matrix) error {
	if _, err := fmt.Fprintf(w, "Access of %s (%s)\n", subject, identityText(u)); err != nil {
		return err
	}
	if len(perms) == 0 {
		_, err := fmt.Fprintln(w, "\nNo RBAC rule grants it anything.")
		return err
	}
	var current *string
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range perms {
		if current == nil || *current != p.Namespace {
			ns := p.Namespace
			current = &ns
			if err := tw.Flush(); err != nil {
				return err
			}
			title := "Cluster-wide (every namespace and cluster-scoped resources)"
			if ns != "" {
				title = "Namespace " + ns
			}
			fmt.Fprintf(w, "\n%s:\n", title)
			fmt.Fprintln(tw, "  VERBS\tRESOURCES\tNAMES\tVIA\tROLE")
		}
		via, role := "system:masters, allowed before RBAC", "-"
		if !p.Grant.Masters {
			via, role = bindingText(p.Grant.Binding), roleText(p.Grant.Binding)
			if p.Grant.Subject != subject {
				via += " (as " + p.Grant.Subject.String() + ")"
			}
		}
		resources := resourceText(p.Rule)
		if ineffective(ix, p) {
			resources += " (cluster-scoped: no effect in a RoleBinding)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", list(p.Rule.Verbs), resources, list(p.Rule.ResourceNames), via, role)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range matrices {
		where := "cluster-wide"
		if m.Namespace != "" {
			where = "in namespace " + m.Namespace
		}
		fmt.Fprintf(w, "\nMatrix %s (resources with at least one verb allowed):\n", where)
		if len(m.Rows) == 0 {
			fmt.Fprintln(w, "  none")
			continue
		}
		header := "  RESOURCE"
		for _, v := range matrixVerbs {
			header += "\t" + strings.ToUpper(v)
		}
		fmt.Fprintln(tw, header)
		for _, r := range m.Rows {
			line := "  " + groupResourceText(r.APIGroup, r.Resource)
			for _, v := range matrixVerbs {
				mark := "-"
				if slices.Contains(r.Verbs, v) {
					mark = "yes"
				}
				line += "\t" + mark
			}
			fmt.Fprintln(tw, line)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

type (
	jsonPermission struct {
		Namespace       string   `json:"namespace,omitempty"`
		Verbs           []string `json:"verbs"`
		APIGroups       []string `json:"apiGroups,omitempty"`
		Resources       []string `json:"resources,omitempty"`
		ResourceNames   []string `json:"resourceNames,omitempty"`
		NonResourceURLs []string `json:"nonResourceURLs,omitempty"`
		Masters         bool     `json:"masters,omitempty"`
		Through         string   `json:"through,omitempty"`
		Binding         *jsonRef `json:"binding,omitempty"`
		Role            *jsonRef `json:"role,omitempty"`
		Rule            int      `json:"rule"`
	}
	jsonAccess struct {
		Subject     string           `json:"subject"`
		User        string           `json:"user,omitempty"`
		Groups      []string         `json:"groups"`
		Namespace   string           `json:"namespace,omitempty"`
		Permissions []jsonPermission `json:"permissions"`
		Matrices    []matrix         `json:"matrices"`
	}
)

func writeAccessJSON(w io.Writer, subject rbac.Subject, u rbac.User, namespace string, perms []rbac.Permission, matrices []matrix) error {
	out := jsonAccess{Subject: subject.String(), User: u.Name, Groups: u.Groups, Namespace: namespace, Permissions: []jsonPermission{}, Matrices: matrices}
	for i := range out.Matrices {
		if out.Matrices[i].Rows == nil {
			out.Matrices[i].Rows = []matrixRow{}
		}
	}
	for _, p := range perms {
		j := jsonPermission{Namespace: p.Namespace, Verbs: p.Rule.Verbs, APIGroups: p.Rule.APIGroups, Resources: p.Rule.Resources,
			ResourceNames: p.Rule.ResourceNames, NonResourceURLs: p.Rule.NonResourceURLs, Masters: p.Grant.Masters, Rule: p.Grant.Rule}
		if p.Grant.Subject != subject {
			j.Through = p.Grant.Subject.String()
		}
		if b := p.Grant.Binding; b != nil {
			j.Binding = &jsonRef{Kind: b.Kind, Namespace: b.Namespace, Name: b.Name}
			j.Role = &jsonRef{Kind: b.RoleRef.Kind, Name: b.RoleRef.Name}
			if b.Role != nil {
				j.Role.Namespace = b.Role.Namespace
			}
		}
		out.Permissions = append(out.Permissions, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
