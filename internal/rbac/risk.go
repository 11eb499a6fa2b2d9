package rbac

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	rbacv1 "k8s.io/api/rbac/v1"
)

// risk is one check of the risky-grant catalog: a set of dangerous
// requests (or, for the wildcard checks, a test of a rule's text) and the
// check's metadata.
//
// Convention: a risk is reported once per binding and subject, on the
// binding's subjects[i], because a binding is what grants a role to
// someone. An exemption on the binding (annotation or rampart.yaml)
// therefore silences exactly the grants it makes, and a role bound twice
// is reported twice, once per grant. Roles bound to no one are not
// reported here (see rbac-unused-role).
type risk struct {
	check *audit.Check
	// requests are the dangerous requests, without namespace or name: a
	// rule is risky when it allows any of them, which RuleAllows decides
	// exactly as the authorizer would. A rule restricted by resourceNames
	// never allows an unnamed request, so it is not reported: it reaches
	// only the objects it names.
	requests []Request
	// clusterOnly says the requests are for cluster-scoped resources or
	// non-resource URLs, which a RoleBinding never grants.
	clusterOnly bool
	// literal, when set, decides from the rule's text instead of requests
	// (the wildcard checks) and describes what is risky, or returns "".
	literal func(rbacv1.PolicyRule) string
	// nsSeverity is the severity of a grant made by a RoleBinding, that is
	// in one namespace; zero means the check's severity.
	nsSeverity finding.Severity
}

// riskCatalog is every registered risk, in registration order.
var riskCatalog []*risk

// registerRisks completes each risk's check (Run, Scan, Needs) and adds it
// to the registry.
func registerRisks(rs ...*risk) {
	for _, r := range rs {
		id := r.check.ID
		r.check.Scan = true
		if r.check.Needs == nil {
			r.check.Needs = rbacNeeds
		}
		r.check.Run = func(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
			return analysisOf(inv, cfg).riskFindings()[id]
		}
		riskCatalog = append(riskCatalog, r)
		registry.Register(r.check)
	}
}

// dangerous builds the requests of each verb on each resource of one API
// group; a resource may carry its subresource ("pods/exec").
func dangerous(group string, verbs []string, resources ...string) []Request {
	var out []Request
	for _, res := range resources {
		res, sub, _ := strings.Cut(res, "/")
		for _, v := range verbs {
			out = append(out, Request{Verb: v, APIGroup: group, Resource: res, Subresource: sub})
		}
	}
	return out
}

// allows returns the dangerous requests rule allows.
func (r *risk) allows(rule rbacv1.PolicyRule) []Request {
	var out []Request
	for _, req := range r.requests {
		if RuleAllows(rule, req) {
			out = append(out, req)
		}
	}
	return out
}

// fullWildcard reports whether rule allows every verb on every resource of
// every API group. Such a rule fires the wildcard checks (and
// cluster-admin-binding when it is cluster-admin); the checks for one
// dangerous permission skip it, so that an administrator role yields a few
// findings that say what it is rather than one per permission.
func fullWildcard(rule rbacv1.PolicyRule) bool {
	return slices.Contains(rule.Verbs, rbacv1.VerbAll) && slices.Contains(rule.APIGroups, rbacv1.APIGroupAll) &&
		slices.Contains(rule.Resources, rbacv1.ResourceAll)
}

// riskHit is one risk a role holds: the rules that carry it and, for the
// first, what is risky.
type riskHit struct {
	risk  *risk
	rules []int
	what  string
}

// hitsOf evaluates every risk of the catalog on a role's rules.
func hitsOf(role *Role) []riskHit {
	var hits []riskHit
	for _, rk := range riskCatalog {
		var h riskHit
		for i, rule := range role.Rules {
			var what string
			switch {
			case rk.literal != nil:
				what = rk.literal(rule)
			case fullWildcard(rule):
				continue
			default:
				what = describeRequests(rk.allows(rule))
			}
			if what == "" {
				continue
			}
			if h.risk == nil {
				h = riskHit{risk: rk, what: what}
			}
			h.rules = append(h.rules, i)
		}
		if h.risk != nil {
			hits = append(hits, h)
		}
	}
	return hits
}

// riskFindings returns the riskCatalog's findings of the inventory by check ID.
func (a *analysis) riskFindings() map[string][]finding.Finding {
	a.riskOnce.Do(func() { a.risks = computeRisks(a.index()) })
	return a.risks
}

func computeRisks(ix *Index) map[string][]finding.Finding {
	out := map[string][]finding.Finding{}
	cache := map[*Role][]riskHit{}
	for _, b := range ix.Bindings() {
		if b.Role == nil || bootstrapBinding(b) {
			continue
		}
		hits, ok := cache[b.Role]
		if !ok {
			hits = hitsOf(b.Role)
			cache[b.Role] = hits
		}
		for _, h := range hits {
			if h.risk.literal != nil && isClusterAdmin(b) {
				// cluster-admin-binding reports cluster-admin, whose
				// rules are all wildcards.
				continue
			}
			sev := h.risk.check.Severity
			if b.Kind == "RoleBinding" {
				if h.risk.clusterOnly {
					continue
				}
				if h.risk.nsSeverity != 0 {
					sev = h.risk.nsSeverity
				}
			}
			for i, s := range b.Subjects {
				if !reportableSubject(s, b) {
					continue
				}
				out[h.risk.check.ID] = append(out[h.risk.check.ID], reportAt(b.Object, subjectPath(i), sev,
					"%s can %s %s: %s", bindingSubjectText(s, b), h.what, bindingScopeText(b), grantText(b, h.rules)))
			}
		}
	}
	return out
}

// bootstrapBinding reports whether b is one of the ClusterRoleBindings
// the API server creates and keeps up to date for Kubernetes' own
// components (system:kube-scheduler, system:controller:* ...): they carry
// the annotation rbac.authorization.kubernetes.io/autoupdate: "true" and a
// system: name. Their grants are by design; reporting them would bury
// the grants people make.
func bootstrapBinding(b *Binding) bool {
	if b.Object == nil || !strings.HasPrefix(b.Name, "system:") || !strings.HasPrefix(b.RoleRef.Name, "system:") {
		return false
	}
	return b.Object.Annotations["rbac.authorization.kubernetes.io/autoupdate"] == "true"
}

// reportableSubject reports whether a subject of b can hold a grant worth
// reporting: system:masters is allowed everything before RBAC runs, and a
// subject that names no one (a service account without a namespace in a
// ClusterRoleBinding, an unknown kind) is granted nothing.
func reportableSubject(s rbacv1.Subject, b *Binding) bool {
	if s.Kind == rbacv1.GroupKind && s.Name == GroupMasters {
		return false
	}
	_, ok := SubjectOf(s, b.Namespace)
	return ok
}

// bindingSubjectText renders a binding's subject the way kubectl describe does,
// e.g. "ServiceAccount ci/builder", "User alice".
func bindingSubjectText(s rbacv1.Subject, b *Binding) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		ns := s.Namespace
		if ns == "" {
			ns = b.Namespace
		}
		return "ServiceAccount " + ns + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// bindingScopeText says where a binding grants.
func bindingScopeText(b *Binding) string {
	if b.Kind == "ClusterRoleBinding" {
		return "cluster-wide"
	}
	return fmt.Sprintf("in namespace %q", b.Namespace)
}

// roleRefText names a binding's role, e.g. ClusterRole "view".
func roleRefText(b *Binding) string { return fmt.Sprintf("%s %q", b.RoleRef.Kind, b.RoleRef.Name) }

// grantText names the binding, the role and its risky rules.
func grantText(b *Binding, rules []int) string {
	s := fmt.Sprintf("%s %q grants %s, whose rules[%d] is %s", b.Kind, b.Name, roleRefText(b), rules[0], policyRuleText(b.Role.Rules[rules[0]]))
	if n := len(rules) - 1; n > 0 {
		s += fmt.Sprintf(" (and %s)", countText(n, "more rule", "more rules"))
	}
	if len(b.Role.AggregatedFrom) > 0 {
		s += " (aggregated from " + strings.Join(b.Role.AggregatedFrom, ", ") + ")"
	}
	return s
}

// policyRuleText renders a rule in YAML flow style, as written in a manifest.
func policyRuleText(r rbacv1.PolicyRule) string {
	var parts []string
	field := func(name string, vs []string) {
		if len(vs) == 0 {
			return
		}
		q := make([]string, len(vs))
		for i, v := range vs {
			q[i] = v
			if v == "" || strings.ContainsAny(v, "*:{}[],") {
				q[i] = fmt.Sprintf("%q", v)
			}
		}
		parts = append(parts, name+": ["+strings.Join(q, ", ")+"]")
	}
	field("apiGroups", r.APIGroups)
	field("resources", r.Resources)
	field("resourceNames", r.ResourceNames)
	field("nonResourceURLs", r.NonResourceURLs)
	field("verbs", r.Verbs)
	return "{" + strings.Join(parts, ", ") + "}"
}

// describeRequests says what requests allow, grouping verbs by resource:
// "get, list, watch secrets; create pods/exec".
func describeRequests(reqs []Request) string {
	var order []string
	verbs := map[string][]string{}
	for _, r := range reqs {
		res := r.NonResourceURL
		if r.IsResourceRequest() {
			res = r.Resource
			if r.APIGroup != "" {
				res += "." + r.APIGroup
			}
			if r.Subresource != "" {
				res += "/" + r.Subresource
			}
		}
		if _, ok := verbs[res]; !ok {
			order = append(order, res)
		}
		if !slices.Contains(verbs[res], r.Verb) {
			verbs[res] = append(verbs[res], r.Verb)
		}
	}
	parts := make([]string, len(order))
	for i, res := range order {
		parts[i] = strings.Join(verbs[res], ", ") + " " + res
	}
	return strings.Join(parts, "; ")
}

// plural returns "1 thing" or "n things".
func countText(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
