package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/rbac"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func init() { analyzerCommands = append(analyzerCommands, newWhoCanCmd, newAccessCmd) }

// rbacSource is how who-can and access read RBAC objects: manifests
// (-f, repeatable), a snapshot or the live cluster.
type rbacSource struct {
	src   sourceFlags
	files []string
}

func (r *rbacSource) add(cmd *cobra.Command) {
	r.src.add(cmd)
	cmd.Flags().StringArrayVarP(&r.files, "filename", "f", nil, "read RBAC manifests from this file or directory instead of a cluster (repeatable; - for stdin)")
}

func (r *rbacSource) live() bool { return len(r.files) == 0 && r.src.snapshot == "" }

// index reads the objects and builds the RBAC index. From a live cluster
// it also reads the EKS aws-auth ConfigMap, whose data the inventory does
// not keep (it lists ConfigMaps as metadata only).
func (r *rbacSource) index(cmd *cobra.Command, s streams) (*rbac.Index, *inventory.Inventory, error) {
	inv, err := r.src.load(cmd, s, r.files)
	if err != nil {
		return nil, nil, err
	}
	if r.live() {
		if o := r.awsAuth(cmd.Context()); o != nil {
			inv.Objects = append(inv.Objects, o)
		}
	}
	ix := rbac.Build(inv)
	if err := ix.AWSAuthError(); err != nil {
		fmt.Fprintf(s.err, "rampart: %v\n", err)
	}
	return ix, inv, nil
}

// awsAuth reads kube-system/aws-auth, or returns nil when there is none or
// it may not be read (then who-can simply names no IAM ARNs).
func (r *rbacSource) awsAuth(ctx context.Context) *inventory.Object {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := inventory.RESTConfig(r.src.cluster.kubeconfig, r.src.cluster.context)
	if err != nil {
		return nil
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.src.cluster.timeout)
	defer cancel()
	cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return &inventory.Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: cm.Namespace, Name: cm.Name, Labels: cm.Labels, Typed: cm}
}

// defaultNamespace is the namespace of the kubeconfig context when reading
// a cluster (as kubectl and kubectl-who-can do), else "default".
func (r *rbacSource) defaultNamespace() string {
	if !r.live() {
		return "default"
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = r.src.cluster.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: r.src.cluster.context})
	ns, _, err := cc.Namespace()
	if err != nil || ns == "" {
		return "default"
	}
	return ns
}

type whoCanOptions struct {
	source        rbacSource
	namespace     string
	allNamespaces bool
	apiGroup      string
	nonResource   string
	output        string
}

func newWhoCanCmd(s streams) *cobra.Command {
	var o whoCanOptions
	cmd := &cobra.Command{
		Use:   "who-can VERB (RESOURCE[/SUBRESOURCE] [NAME] | --non-resource-url PATH)",
		Short: "List every subject allowed an action, with the binding and role that allow it",
		Long: `who-can lists every subject (user, group, service account) that the API server's
RBAC authorizer would allow to make a request, with the binding and the role
that grant it, decided exactly as the authorizer does: verbs, API groups,
resources with "*", "*/subresource", resourceNames, non-resource URLs with a
trailing "*", RoleBindings only in their own namespace and ClusterRoles
aggregated from their label selectors even when no controller has filled them.
The group system:masters is always listed: the API server allows it
everything before RBAC runs.

The namespace is -n, else the kubeconfig context's namespace (as kubectl-who-can
does) when reading a cluster, else "default". -A asks about every namespace:
ClusterRoleBindings plus the RoleBindings of all namespaces. Cluster-scoped
resources (nodes, clusterroles, CustomResourceDefinitions of scope Cluster ...)
and non-resource URLs are granted by ClusterRoleBindings only.

RESOURCE is a plural, a short name or RESOURCE.GROUP (deployments.apps);
--api-group names the group otherwise. On EKS the IAM roles and users that
the aws-auth ConfigMap maps to each subject are shown too.

Objects come from the live cluster of the kubeconfig, from --snapshot, or from
manifests (-f). Exit codes: 0 answered; 2 usage or input error.`,
		Example: `  # Who can read secrets in namespace prod?
  rampart who-can get secrets -n prod

  # Who can exec into pods, in any namespace?
  rampart who-can create pods/exec -A

  # Who can update the deployment "api" (group apps)?
  rampart who-can update deployments.apps api -n prod

  # Who can read /metrics?
  rampart who-can get --non-resource-url /metrics

  # From manifests in a repository, as JSON
  rampart who-can create rolebindings -n ci -f deploy/rbac/ -o json`,
		Args: cobra.RangeArgs(1, 3),
		RunE: func(cmd *cobra.Command, args []string) error { return runWhoCan(cmd, s, &o, args) },
	}
	o.source.add(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.namespace, "namespace", "n", "", "the namespace of the request (default: the context's namespace, or \"default\")")
	f.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "allowed in any namespace: include the RoleBindings of every namespace")
	f.StringVar(&o.apiGroup, "api-group", "", "the API group of RESOURCE (default: the group RESOURCE implies; \"\" is the core group)")
	f.StringVar(&o.nonResource, "non-resource-url", "", "ask about a non-resource URL such as /healthz instead of a resource")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	return cmd
}

// whoCanRequest turns the arguments into the request (without its
// namespace, which depends on the resource's scope).
func whoCanRequest(cmd *cobra.Command, s streams, o *whoCanOptions, ix *rbac.Index, args []string) (rbac.Request, error) {
	req := rbac.Request{Verb: args[0]}
	if o.nonResource != "" {
		if len(args) != 1 {
			return req, usageError("--non-resource-url takes only VERB, not a resource")
		}
		if cmd.Flags().Changed("namespace") || o.allNamespaces || cmd.Flags().Changed("api-group") {
			return req, usageError("--non-resource-url has no namespace or API group: drop -n, -A and --api-group")
		}
		req.NonResourceURL = o.nonResource
		return req, nil
	}
	if len(args) < 2 {
		return req, usageError("who-can needs VERB and RESOURCE, or VERB and --non-resource-url")
	}
	resource, sub, _ := strings.Cut(args[1], "/")
	group, resource, known := rbac.ResolveResource(resource)
	if cmd.Flags().Changed("api-group") {
		group = o.apiGroup
	} else if !known && !strings.Contains(args[1], ".") {
		if g, ok := ix.CRDGroup(resource); ok {
			group = g
		} else {
			fmt.Fprintf(s.err, "rampart: %q is not a built-in resource: assuming the core group (name it as RESOURCE.GROUP or with --api-group)\n", resource)
		}
	}
	req.APIGroup, req.Resource, req.Subresource = group, resource, sub
	if len(args) == 3 {
		req.Name = args[2]
	}
	return req, nil
}

func runWhoCan(cmd *cobra.Command, s streams, o *whoCanOptions, args []string) error {
	if o.output != "text" && o.output != "json" {
		return usageError("--output %q: want text or json", o.output)
	}
	if o.allNamespaces && cmd.Flags().Changed("namespace") {
		return usageError("--namespace and --all-namespaces do not go together")
	}
	if o.nonResource == "" && len(args) < 2 {
		return usageError("who-can needs VERB and RESOURCE, or VERB and --non-resource-url")
	}
	ix, inv, err := o.source.index(cmd, s)
	if err != nil {
		return err
	}
	req, err := whoCanRequest(cmd, s, o, ix, args)
	if err != nil {
		return err
	}
	scope := ""
	var grants []rbac.Grant
	switch {
	case !req.IsResourceRequest() || ix.ClusterScoped(req.APIGroup, req.Resource):
		grants = ix.WhoCan(req)
		scope = "cluster-wide"
	case o.allNamespaces:
		grants = ix.WhoCanAnyNamespace(req)
		scope = "in any namespace"
	default:
		req.Namespace = o.namespace
		if req.Namespace == "" {
			req.Namespace = o.source.defaultNamespace()
		}
		grants = ix.WhoCan(req)
		scope = "in namespace " + req.Namespace
	}
	rows := whoCanRows(ix, grants)
	if o.output == "json" {
		err = writeWhoCanJSON(s.out, req, scope, rows)
	} else {
		err = writeWhoCanText(s.out, req, scope, rows)
	}
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	if inputErrors(inv) {
		return &exitError{code: ExitError}
	}
	return nil
}

// whoCanRow is one subject allowed through one binding (its rules merged).
type whoCanRow struct {
	Subject rbac.Subject
	Masters bool
	Binding *rbac.Binding
	Rules   []int
	IAM     []string
}

func whoCanRows(ix *rbac.Index, grants []rbac.Grant) []whoCanRow {
	var rows []whoCanRow
	for _, g := range grants {
		if n := len(rows); n > 0 && rows[n-1].Subject == g.Subject && rows[n-1].Binding == g.Binding && !g.Masters {
			rows[n-1].Rules = append(rows[n-1].Rules, g.Rule)
			continue
		}
		row := whoCanRow{Subject: g.Subject, Masters: g.Masters, Binding: g.Binding, IAM: ix.IAMFor(g.Subject)}
		if !g.Masters {
			row.Rules = []int{g.Rule}
		}
		rows = append(rows, row)
	}
	return rows
}

func bindingText(b *rbac.Binding) string {
	if b.Namespace == "" {
		return b.Kind + " " + b.Name
	}
	return b.Kind + " " + b.Namespace + "/" + b.Name
}

func roleText(b *rbac.Binding) string {
	if b.Role != nil && b.Role.Namespace != "" {
		return b.RoleRef.Kind + " " + b.Role.Namespace + "/" + b.RoleRef.Name
	}
	return b.RoleRef.Kind + " " + b.RoleRef.Name
}

func writeWhoCanText(w io.Writer, req rbac.Request, scope string, rows []whoCanRow) error {
	what := req.String()
	if req.Namespace != "" {
		what = strings.TrimSuffix(what, " -n "+req.Namespace)
	}
	if _, err := fmt.Fprintf(w, "Who can %s, %s: %d subjects\n\n", what, scope, len(rbac.Subjects(grantsOf(rows)))); err != nil {
		return err
	}
	withIAM := slices.ContainsFunc(rows, func(r whoCanRow) bool { return len(r.IAM) > 0 })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "KIND\tSUBJECT\tNAMESPACE\tVIA\tROLE"
	if withIAM {
		header += "\tIAM"
	}
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		via, role := "system:masters, allowed before RBAC", "-"
		if !r.Masters {
			via, role = bindingText(r.Binding), roleText(r.Binding)
		}
		ns := r.Subject.Namespace
		if ns == "" {
			ns = "-"
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", r.Subject.Kind, r.Subject.Name, ns, via, role)
		if withIAM {
			iam := strings.Join(r.IAM, ",")
			if iam == "" {
				iam = "-"
			}
			line += "\t" + iam
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func grantsOf(rows []whoCanRow) []rbac.Grant {
	out := make([]rbac.Grant, len(rows))
	for i, r := range rows {
		out[i] = rbac.Grant{Subject: r.Subject}
	}
	return out
}

// Types of who-can's JSON output (documented in docs/rbac.md).
type (
	jsonRequest struct {
		Verb           string `json:"verb"`
		APIGroup       string `json:"apiGroup"`
		Resource       string `json:"resource,omitempty"`
		Subresource    string `json:"subresource,omitempty"`
		Name           string `json:"name,omitempty"`
		Namespace      string `json:"namespace,omitempty"`
		NonResourceURL string `json:"nonResourceURL,omitempty"`
	}
	jsonRef struct {
		Kind      string `json:"kind"`
		Namespace string `json:"namespace,omitempty"`
		Name      string `json:"name"`
	}
	jsonWhoCanRow struct {
		Kind      string   `json:"kind"`
		Name      string   `json:"name"`
		Namespace string   `json:"namespace,omitempty"`
		Masters   bool     `json:"masters,omitempty"`
		Binding   *jsonRef `json:"binding,omitempty"`
		Role      *jsonRef `json:"role,omitempty"`
		Rules     []int    `json:"rules,omitempty"`
		IAM       []string `json:"iam,omitempty"`
	}
	jsonWhoCan struct {
		Request  jsonRequest     `json:"request"`
		Scope    string          `json:"scope"`
		Subjects []jsonWhoCanRow `json:"subjects"`
	}
)

func requestJSON(req rbac.Request) jsonRequest {
	return jsonRequest{Verb: req.Verb, APIGroup: req.APIGroup, Resource: req.Resource, Subresource: req.Subresource,
		Name: req.Name, Namespace: req.Namespace, NonResourceURL: req.NonResourceURL}
}

func writeWhoCanJSON(w io.Writer, req rbac.Request, scope string, rows []whoCanRow) error {
	out := jsonWhoCan{Request: requestJSON(req), Scope: scope, Subjects: []jsonWhoCanRow{}}
	for _, r := range rows {
		j := jsonWhoCanRow{Kind: r.Subject.Kind, Name: r.Subject.Name, Namespace: r.Subject.Namespace, Masters: r.Masters, Rules: r.Rules, IAM: r.IAM}
		if r.Binding != nil {
			j.Binding = &jsonRef{Kind: r.Binding.Kind, Namespace: r.Binding.Namespace, Name: r.Binding.Name}
			j.Role = &jsonRef{Kind: r.Binding.RoleRef.Kind, Name: r.Binding.RoleRef.Name}
			if r.Binding.Role != nil {
				j.Role.Namespace = r.Binding.Role.Namespace
			}
		}
		out.Subjects = append(out.Subjects, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
