package rbac

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/rampart-dev/rampart/internal/inventory"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Queries over subjects and permissions in CEL, the expression language
// Kubernetes itself uses (ValidatingAdmissionPolicy, CRD validation).
// docs/rbac-query.md is the user's reference; keep the two in step.
//
// An expression is evaluated one of two ways:
//   - as a filter, when it uses the variable p (one permission row) and
//     returns a bool: the result is the rows for which it is true;
//   - as a value otherwise: the result is whatever it returns (a bool, a
//     list of subjects, a count ...).

// ErrQuery is returned (wrapped) for an expression that does not compile
// or fails to evaluate.
var ErrQuery = errors.New("bad query")

// PermissionRow is one verb on one resource (or non-resource URL) that a
// binding grants one subject, as a query sees it.
type PermissionRow struct {
	Subject          string   `json:"subject"` // "user:alice", "group:dev", "sa:ns/name"
	Kind             string   `json:"kind"`    // User, Group or ServiceAccount
	Name             string   `json:"name"`
	SubjectNamespace string   `json:"subjectNamespace,omitempty"`
	Verb             string   `json:"verb"`
	APIGroup         string   `json:"apiGroup"`
	Resource         string   `json:"resource,omitempty"`
	Subresource      string   `json:"subresource,omitempty"`
	ResourceNames    []string `json:"resourceNames,omitempty"`
	NonResourceURL   string   `json:"nonResourceURL,omitempty"`
	// Namespace is where the grant applies; "" with ClusterWide for a
	// ClusterRoleBinding.
	Namespace   string `json:"namespace"`
	ClusterWide bool   `json:"clusterWide"`
	Binding     string `json:"binding"` // "ClusterRoleBinding/name" or "RoleBinding/ns/name"
	Role        string `json:"role"`    // "ClusterRole/name" or "Role/ns/name"
}

func (r PermissionRow) celValue() map[string]any {
	names := r.ResourceNames
	if names == nil {
		names = []string{}
	}
	return map[string]any{
		"subject": r.Subject, "kind": r.Kind, "name": r.Name, "subjectNamespace": r.SubjectNamespace,
		"verb": r.Verb, "apiGroup": r.APIGroup, "resource": r.Resource, "subresource": r.Subresource,
		"resourceNames": names, "nonResourceURL": r.NonResourceURL, "namespace": r.Namespace,
		"clusterWide": r.ClusterWide, "binding": r.Binding, "role": r.Role,
	}
}

// QueryResult is the answer to a query.
type QueryResult struct {
	// Filter is set when the expression was a filter over permission rows;
	// Rows are then the rows it accepted.
	Filter bool
	Rows   []PermissionRow
	// Value is the expression's value otherwise, as plain Go values (bool,
	// int64, float64, string, []any, map[string]any, nil).
	Value any
}

// QuerySubject is one subject as a query sees it.
type QuerySubject struct {
	Subject Subject
	// Groups are the groups the identity is in as far as RBAC can tell:
	// the implicit ones (system:authenticated, system:serviceaccounts ...)
	// and, for a group, the group itself.
	Groups []string
}

// QuerySubjects lists every subject a binding names plus every service
// account given, sorted.
func (ix *Index) QuerySubjects(serviceAccounts map[string][]string) []QuerySubject {
	seen := map[Subject]bool{}
	var subs []Subject
	add := func(s Subject) {
		s = serviceAccountSubject(s)
		if !seen[s] {
			seen[s] = true
			subs = append(subs, s)
		}
	}
	for _, b := range ix.Bindings() {
		for _, rs := range b.Subjects {
			if s, ok := SubjectOf(rs, b.Namespace); ok {
				add(s)
			}
		}
	}
	for ns, names := range serviceAccounts {
		for _, n := range names {
			add(Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: n})
		}
	}
	slices.SortFunc(subs, compareSubjects)
	out := make([]QuerySubject, len(subs))
	for i, s := range subs {
		groups := slices.Clone(IdentityOf(s).Groups)
		if groups == nil {
			groups = []string{}
		}
		out[i] = QuerySubject{Subject: s, Groups: groups}
	}
	return out
}

// PermissionRows lists what every binding grants every subject it names,
// one row per verb and resource (or URL). Under a RoleBinding,
// non-resource URLs are left out: a RoleBinding never grants them.
func (ix *Index) PermissionRows() []PermissionRow {
	var out []PermissionRow
	for _, b := range ix.Bindings() {
		if b.Role == nil {
			continue
		}
		for _, rs := range b.Subjects {
			s, ok := SubjectOf(rs, b.Namespace)
			if !ok {
				continue
			}
			out = append(out, rowsOf(Grant{Subject: serviceAccountSubject(s), Binding: b, Role: b.Role}, b.Namespace)...)
		}
	}
	return out
}

// rowsOf expands the rules a grant's role holds into rows.
func rowsOf(g Grant, namespace string) []PermissionRow {
	b, s := g.Binding, g.Subject
	base := PermissionRow{Subject: s.String(), Kind: s.Kind, Name: s.Name, SubjectNamespace: s.Namespace,
		Namespace: namespace, ClusterWide: b.Kind == "ClusterRoleBinding", Binding: bindingID(b), Role: roleID(g.Role)}
	var out []PermissionRow
	for _, rule := range g.Role.Rules {
		for _, v := range rule.Verbs {
			for _, grp := range rule.APIGroups {
				for _, res := range rule.Resources {
					r := base
					r.Verb, r.APIGroup, r.ResourceNames = v, grp, rule.ResourceNames
					r.Resource, r.Subresource, _ = strings.Cut(res, "/")
					out = append(out, r)
				}
			}
			if b.Kind == "RoleBinding" {
				continue
			}
			for _, u := range rule.NonResourceURLs {
				r := base
				r.Verb, r.NonResourceURL = v, u
				out = append(out, r)
			}
		}
	}
	return out
}

func bindingID(b *Binding) string {
	if b.Namespace == "" {
		return b.Kind + "/" + b.Name
	}
	return b.Kind + "/" + b.Namespace + "/" + b.Name
}

func roleID(r *Role) string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// queryResource reads a resource as queries take it: "pods",
// "pods/exec", "deploy", "deployments.apps/scale" (resolved as who-can
// resolves them), or a non-resource URL starting with "/".
func queryResource(s string) Request {
	if strings.HasPrefix(s, "/") {
		return Request{NonResourceURL: s}
	}
	res, sub, _ := strings.Cut(s, "/")
	group, res, _ := ResolveResource(res)
	return Request{APIGroup: group, Resource: res, Subresource: sub}
}

// Querier evaluates CEL expressions over one index.
type Querier struct {
	ix       *Index
	subjects []QuerySubject

	rowsOnce sync.Once
	rows     []PermissionRow
	rowVals  []any
}

// NewQuerier prepares queries over ix; serviceAccounts (namespace →
// names) adds accounts no binding names to the subjects.
func (ix *Index) NewQuerier(serviceAccounts map[string][]string) *Querier {
	return &Querier{ix: ix, subjects: ix.QuerySubjects(serviceAccounts)}
}

func (q *Querier) permissionRows() ([]PermissionRow, []any) {
	q.rowsOnce.Do(func() {
		q.rows = q.ix.PermissionRows()
		q.rowVals = make([]any, len(q.rows))
		for i, r := range q.rows {
			q.rowVals[i] = r.celValue()
		}
	})
	return q.rows, q.rowVals
}

func (q *Querier) subjectValues() []any {
	out := make([]any, len(q.subjects))
	for i, s := range q.subjects {
		out[i] = map[string]any{"id": s.Subject.String(), "kind": s.Subject.Kind, "name": s.Subject.Name,
			"namespace": s.Subject.Namespace, "groups": s.Groups}
	}
	return out
}

var rowType = cel.MapType(cel.StringType, cel.DynType)

// env declares the variables and functions of the query language.
func (q *Querier) env(withRow bool) (*cel.Env, error) {
	str := cel.StringType
	opts := []cel.EnvOption{
		cel.Variable("subjects", cel.ListType(rowType)),
		cel.Variable("permissions", cel.ListType(rowType)),
		cel.Function("can",
			cel.Overload("can_subject_verb_resource_namespace", []*cel.Type{str, str, str, str}, cel.BoolType,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val { return q.can(args) })),
			cel.Overload("can_subject_verb_resource_namespace_name", []*cel.Type{str, str, str, str, str}, cel.BoolType,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val { return q.can(args) }))),
		cel.Function("whoCan",
			cel.Overload("whocan_verb_resource_namespace", []*cel.Type{str, str, str}, cel.ListType(str),
				cel.FunctionBinding(func(args ...ref.Val) ref.Val { return q.whoCan(args) }))),
		cel.Function("access",
			cel.Overload("access_subject", []*cel.Type{str}, cel.ListType(rowType),
				cel.UnaryBinding(func(v ref.Val) ref.Val { return q.access(v) }))),
	}
	if withRow {
		opts = append(opts, cel.Variable("p", rowType))
	}
	return cel.NewEnv(opts...)
}

// requestOf builds a request from the string arguments of can and whoCan.
func requestOf(verb, resource, namespace, name string) Request {
	r := queryResource(resource)
	r.Verb, r.Namespace, r.Name = verb, namespace, name
	if !r.IsResourceRequest() {
		r.Namespace, r.Name = "", ""
	}
	return r
}

func strings4(args []ref.Val) ([]string, ref.Val) {
	out := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(types.String)
		if !ok {
			return nil, types.NewErr("argument %d is %s, not a string", i+1, a.Type())
		}
		out[i] = string(s)
	}
	return out, nil
}

// can(subject, verb, resource, namespace[, name]): whether the subject may
// make that request, through any of its groups, as the authorizer decides.
func (q *Querier) can(args []ref.Val) ref.Val {
	a, errVal := strings4(args)
	if errVal != nil {
		return errVal
	}
	s, err := ParseSubject(a[0])
	if err != nil {
		return types.NewErr("%v", err)
	}
	name := ""
	if len(a) == 5 {
		name = a[4]
	}
	ok, _ := q.ix.Allowed(IdentityOf(s), requestOf(a[1], a[2], a[3], name))
	return types.Bool(ok)
}

// whoCan(verb, resource, namespace): the subjects that a binding allows
// to make the request, as "kind:name" strings.
func (q *Querier) whoCan(args []ref.Val) ref.Val {
	a, errVal := strings4(args)
	if errVal != nil {
		return errVal
	}
	seen := map[string]bool{}
	var out []string
	for _, g := range q.ix.WhoCan(requestOf(a[0], a[1], a[2], "")) {
		id := serviceAccountSubject(g.Subject).String()
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if out == nil {
		out = []string{}
	}
	return types.DefaultTypeAdapter.NativeToValue(out)
}

// access(subject): every row the subject holds, directly or through its
// groups.
func (q *Querier) access(v ref.Val) ref.Val {
	str, ok := v.(types.String)
	if !ok {
		return types.NewErr("access takes a subject string")
	}
	s, err := ParseSubject(string(str))
	if err != nil {
		return types.NewErr("%v", err)
	}
	seen := map[*Binding]bool{}
	out := []any{}
	for _, p := range q.ix.Access(IdentityOf(s)) {
		b := p.Grant.Binding
		if b == nil || seen[b] {
			continue
		}
		seen[b] = true
		for _, r := range rowsOf(Grant{Subject: serviceAccountSubject(p.Grant.Subject), Binding: b, Role: p.Grant.Role}, p.Namespace) {
			out = append(out, r.celValue())
		}
	}
	return types.DefaultTypeAdapter.NativeToValue(out)
}

// Query evaluates expr.
func (q *Querier) Query(expr string) (QueryResult, error) {
	env, err := q.env(false)
	if err != nil {
		return QueryResult{}, fmt.Errorf("query environment: %w", err)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil && strings.Contains(iss.Err().Error(), "undeclared reference to 'p'") {
		return q.filter(expr)
	}
	if iss.Err() != nil {
		return QueryResult{}, fmt.Errorf("%w: %s", ErrQuery, iss.Err())
	}
	prg, err := env.Program(ast)
	if err != nil {
		return QueryResult{}, fmt.Errorf("%w: %w", ErrQuery, err)
	}
	vars := map[string]any{"subjects": q.subjectValues(), "permissions": []any{}}
	if strings.Contains(expr, "permissions") {
		_, vars["permissions"] = q.permissionRows()
	}
	out, _, err := prg.Eval(vars)
	if err != nil {
		return QueryResult{}, fmt.Errorf("%w: %w", ErrQuery, err)
	}
	v, err := nativeOf(out)
	if err != nil {
		return QueryResult{}, fmt.Errorf("%w: %w", ErrQuery, err)
	}
	return QueryResult{Value: v}, nil
}

// filter evaluates a boolean expression of p over every permission row.
func (q *Querier) filter(expr string) (QueryResult, error) {
	env, err := q.env(true)
	if err != nil {
		return QueryResult{}, fmt.Errorf("query environment: %w", err)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return QueryResult{}, fmt.Errorf("%w: %s", ErrQuery, iss.Err())
	}
	if ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
		return QueryResult{}, fmt.Errorf("%w: an expression of p must be a filter returning bool, this one returns %s", ErrQuery, ast.OutputType())
	}
	prg, err := env.Program(ast)
	if err != nil {
		return QueryResult{}, fmt.Errorf("%w: %w", ErrQuery, err)
	}
	rows, vals := q.permissionRows()
	res := QueryResult{Filter: true}
	vars := map[string]any{"subjects": q.subjectValues(), "permissions": vals}
	for i, r := range rows {
		vars["p"] = vals[i]
		out, _, err := prg.Eval(vars)
		if err != nil {
			return QueryResult{}, fmt.Errorf("%w: on %s %s: %w", ErrQuery, r.Subject, r.Verb, err)
		}
		b, ok := out.(types.Bool)
		if !ok {
			return QueryResult{}, fmt.Errorf("%w: the filter returned %s, not a bool", ErrQuery, out.Type())
		}
		if b {
			res.Rows = append(res.Rows, r)
		}
	}
	return res, nil
}

// nativeOf converts a CEL value to plain Go values.
func nativeOf(v ref.Val) (any, error) {
	switch t := v.(type) {
	case types.Bool, types.Int, types.Uint, types.Double, types.String, types.Null:
		return t.Value(), nil
	case traits.Lister:
		n, ok := t.Size().(types.Int)
		if !ok {
			return nil, fmt.Errorf("list of unknown size")
		}
		out := make([]any, 0, int(n))
		for i := types.Int(0); i < n; i++ {
			e, err := nativeOf(t.Get(i))
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	case traits.Mapper:
		out := map[string]any{}
		for it := t.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			e, err := nativeOf(t.Get(k))
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k.Value())] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot print a value of type %s", v.Type())
}

// ServiceAccounts lists the service accounts of an inventory by
// namespace: those it holds, and "default" in every namespace it knows of.
func ServiceAccounts(inv *inventory.Inventory) map[string][]string {
	sas, _ := escalationInputs(inv)
	return sas
}
