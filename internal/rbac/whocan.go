package rbac

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// ruleRef is one rule of one role. multi is set when the rule can sit in
// more than one of the buckets a query looks up (it names "*" beside
// other verbs, or "*" or "*/sub" beside other resources), so that only
// those need removing twice-found entries.
type ruleRef struct {
	role  *Role
	i     int
	multi bool
}

// rvKey buckets rules by one resource and one verb they name, "*" kept as
// its own bucket, so a query looks up at most six buckets instead of
// walking every binding (which is what kubectl-who-can does).
type rvKey struct{ resource, verb string }

type ruleBuckets struct {
	byRV        map[rvKey][]ruleRef
	nonResource []ruleRef
}

// The binding-rule index buckets the rules of bindings by where they
// apply (a RoleBinding's namespace, "" for ClusterRoleBindings), resource
// and verb: a WhoCan in one namespace then reads only the bindings that
// can answer. Namespaces and (resource, verb) pairs are numbered so that
// the buckets' keys are integers: this index holds a million entries on
// a large cluster and string keys made it the slowest part of Build.
type scopeKey uint64

func makeScopeKey(ns, rv int32) scopeKey {
	return scopeKey(uint64(uint32(ns))<<32 | uint64(uint32(rv)))
}

// roleEntry is one (resource, verb) pair of one rule of a role.
type roleEntry struct {
	rv, rule int32
	multi    bool
}

// boundRule is one rule of the role of one binding.
type boundRule struct {
	b     *Binding
	i     int32
	multi bool
}

// rvID numbers a (resource, verb) pair, adding it when add is set; -1
// when unknown.
func (ix *Index) rvID(k rvKey, add bool) int32 {
	id, ok := ix.rvIDs[k]
	if !ok {
		if !add {
			return -1
		}
		id = int32(len(ix.rvIDs))
		ix.rvIDs[k] = id
	}
	return id
}

// nsID numbers a namespace ("" is 0), adding it when add is set; -1 when
// unknown.
func (ix *Index) nsID(ns string, add bool) int32 {
	id, ok := ix.nsIDs[ns]
	if !ok {
		if !add {
			return -1
		}
		id = int32(len(ix.nsIDs))
		ix.nsIDs[ns] = id
	}
	return id
}

// indexBindingRules adds b's rules to the binding-rule buckets.
func (ix *Index) indexBindingRules(b *Binding) {
	if b.Role == nil {
		return
	}
	scope := ""
	if b.Kind == "RoleBinding" {
		scope = b.Namespace
	}
	if scope == "" {
		for i, rule := range b.Role.Rules {
			if len(rule.NonResourceURLs) > 0 {
				ix.boundNonResource = append(ix.boundNonResource, boundRule{b: b, i: int32(i)})
			}
		}
	}
	ns := ix.nsID(scope, true)
	for _, e := range ix.roleEntries[b.Role] {
		k := makeScopeKey(ns, e.rv)
		ix.bound[k] = append(ix.bound[k], boundRule{b: b, i: e.rule, multi: e.multi})
	}
}

// matchBound calls add for each binding rule of scope that allows req,
// once each.
func (ix *Index) matchBound(scope string, req Request, add func(b *Binding, rule int)) {
	if !req.IsResourceRequest() {
		for _, ref := range ix.boundNonResource {
			if RuleAllows(ref.b.Role.Rules[ref.i], req) {
				add(ref.b, int(ref.i))
			}
		}
		return
	}
	ns := ix.nsID(scope, false)
	if ns < 0 {
		return
	}
	resources := []string{rbacv1.ResourceAll, req.Resource}
	if req.Subresource != "" {
		resources = []string{rbacv1.ResourceAll, req.Resource + "/" + req.Subresource, "*/" + req.Subresource}
	}
	var multi []boundRule
	for _, res := range resources {
		for _, v := range []string{rbacv1.VerbAll, req.Verb} {
			rv := ix.rvID(rvKey{res, v}, false)
			if rv < 0 {
				continue
			}
			for _, ref := range ix.bound[makeScopeKey(ns, rv)] {
				if !RuleAllows(ref.b.Role.Rules[ref.i], req) {
					continue
				}
				if ref.multi {
					if slices.Contains(multi, ref) {
						continue
					}
					multi = append(multi, ref)
				}
				add(ref.b, int(ref.i))
			}
		}
	}
}

func (ix *Index) indexRules(r *Role) {
	var rb *ruleBuckets
	if r.Kind == "ClusterRole" {
		rb = &ix.clusterRules
	} else {
		b := ix.nsRules[r.Namespace]
		rb = &b
		defer func() { ix.nsRules[r.Namespace] = *rb }()
	}
	if rb.byRV == nil {
		rb.byRV = map[rvKey][]ruleRef{}
	}
	for i, rule := range r.Rules {
		ref := ruleRef{role: r, i: i, multi: multiBucket(rule)}
		if len(rule.NonResourceURLs) > 0 {
			rb.nonResource = append(rb.nonResource, ref)
		}
		for ri, res := range rule.Resources {
			if slices.Contains(rule.Resources[:ri], res) {
				continue
			}
			for vi, v := range rule.Verbs {
				if slices.Contains(rule.Verbs[:vi], v) {
					continue
				}
				k := rvKey{res, v}
				rb.byRV[k] = append(rb.byRV[k], ref)
				ix.roleEntries[r] = append(ix.roleEntries[r], roleEntry{rv: ix.rvID(k, true), rule: int32(i), multi: ref.multi})
			}
		}
	}
}

// match returns the rules of rb that allow req, each once.
func (rb *ruleBuckets) match(req Request) []ruleRef {
	var out []ruleRef
	if !req.IsResourceRequest() {
		for _, ref := range rb.nonResource {
			if RuleAllows(ref.role.Rules[ref.i], req) {
				out = append(out, ref)
			}
		}
		return out
	}
	if len(rb.byRV) == 0 {
		return nil
	}
	resources := []string{rbacv1.ResourceAll, req.Resource}
	if req.Subresource != "" {
		resources = []string{rbacv1.ResourceAll, req.Resource + "/" + req.Subresource, "*/" + req.Subresource}
	}
	verbs := []string{rbacv1.VerbAll, req.Verb}
	var multi []ruleRef
	for _, res := range resources {
		for _, v := range verbs {
			for _, ref := range rb.byRV[rvKey{res, v}] {
				if !RuleAllows(ref.role.Rules[ref.i], req) {
					continue
				}
				if ref.multi {
					if slices.Contains(multi, ref) {
						continue
					}
					multi = append(multi, ref)
				}
				out = append(out, ref)
			}
		}
	}
	return out
}

// multiBucket reports whether a rule can be found under two keys of one
// query: verbs "*" and another, or resources "*" or "*/sub" and another
// (a rule's own duplicates are dropped when indexing).
func multiBucket(r rbacv1.PolicyRule) bool {
	if len(r.Verbs) > 1 && slices.Contains(r.Verbs, rbacv1.VerbAll) {
		return true
	}
	if len(r.Resources) > 1 {
		for _, res := range r.Resources {
			if res == rbacv1.ResourceAll || strings.HasPrefix(res, "*/") {
				return true
			}
		}
	}
	return false
}

// WhoCan returns every subject (users, groups, service accounts) allowed
// to make req, with every grant that allows it, sorted by subject. The
// group system:masters is always included, as allowed before RBAC runs.
// RoleBindings count only in req.Namespace; a request without a namespace
// (cluster-scoped resources, all-namespace lists, non-resource URLs) is
// granted by ClusterRoleBindings only.
func (ix *Index) WhoCan(req Request) []Grant { return ix.whoCan(req, false) }

// WhoCanAnyNamespace is WhoCan for the same request made in any namespace
// (kubectl-who-can's --all-namespaces): ClusterRoleBindings plus the
// RoleBindings of every namespace, each grant's Binding telling where it
// applies. Non-resource URLs are granted by ClusterRoleBindings only.
func (ix *Index) WhoCanAnyNamespace(req Request) []Grant { return ix.whoCan(req, true) }

// rankedGrant is the sort key of grants[i].
type rankedGrant struct{ subject, binding, rule, i int32 }

func (ix *Index) whoCan(req Request, anyNamespace bool) []Grant {
	if !req.IsResourceRequest() {
		req.Namespace = ""
	}
	grants := []Grant{mastersGrant()}
	ranked := []rankedGrant{{subject: int32(ix.mastersRank), binding: -1}}
	add := func(b *Binding, rule int) {
		for _, s := range b.subjects {
			ranked = append(ranked, rankedGrant{int32(s.rank), int32(b.rank), int32(rule), int32(len(grants))})
			grants = append(grants, Grant{Subject: s.Subject, Binding: b, Role: b.Role, Rule: rule})
		}
	}
	nsOK := req.IsResourceRequest() && (anyNamespace || req.Namespace != "")
	if !anyNamespace {
		ix.matchBound("", req, add)
		if nsOK {
			ix.matchBound(req.Namespace, req, add)
		}
	} else {
		ix.whoCanAnyNamespace(req, add)
	}
	// The same order as sortGrants (subject, masters first, binding,
	// rule), on precomputed ranks.
	slices.SortFunc(ranked, func(a, b rankedGrant) int {
		if a.subject != b.subject {
			return int(a.subject - b.subject)
		}
		if a.binding != b.binding {
			return int(a.binding - b.binding)
		}
		return int(a.rule - b.rule)
	})
	out := make([]Grant, len(ranked))
	for i, r := range ranked {
		out[i] = grants[r.i]
	}
	return out
}

// whoCanAnyNamespace walks the rules of roles (fewer than the rules of
// bindings) and follows each to the bindings of every namespace.
func (ix *Index) whoCanAnyNamespace(req Request, add func(b *Binding, rule int)) {
	for _, ref := range ix.clusterRules.match(req) {
		rb := ix.boundBy[ref.role]
		if rb == nil {
			continue
		}
		for _, b := range rb.cluster {
			add(b, ref.i)
		}
		if !req.IsResourceRequest() {
			continue
		}
		for _, bs := range rb.byNS {
			for _, b := range bs {
				add(b, ref.i)
			}
		}
	}
	if !req.IsResourceRequest() {
		return
	}
	for _, rules := range ix.nsRules {
		for _, ref := range rules.match(req) {
			if rb := ix.boundBy[ref.role]; rb != nil {
				for _, b := range rb.byNS[ref.role.Namespace] {
					add(b, ref.i)
				}
			}
		}
	}
}

// Subjects returns the distinct subjects of grants, in order.
func Subjects(grants []Grant) []Subject {
	var out []Subject
	for i, g := range grants {
		if i > 0 && grants[i-1].Subject == g.Subject {
			continue
		}
		out = append(out, g.Subject)
	}
	return out
}
