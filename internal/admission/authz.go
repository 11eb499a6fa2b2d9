package admission

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/internal/policy"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Authorizer is the authorization webhook: a deny-by-default allowlist.
//
// The API server's webhook authorizer reads three answers: allowed (grant),
// denied (refuse at once, no later authorizer asked) and neither ("no
// opinion": the next authorizer, RBAC, decides). Rampart never grants:
// requests an allowlist rule covers get no opinion, so RBAC still has to
// allow them; requests no rule covers get no opinion and an alert in alert
// mode, and a denial in block mode. Exempt subjects always get no opinion.
// The API server authorizes group system:masters before any webhook, and
// system:masters is exempt here as well, so the cluster admin cannot be
// locked out.
type Authorizer struct {
	policy     func() *policy.Policy
	namespaces NamespaceLabels
	self       policy.Subjects
	log        Recorder
	budget     time.Duration
	metrics    *Metrics
}

// NewAuthorizer returns the authorization handler. self is the webhook's
// own identity, exempt so that it can always read what it needs; namespaces
// may be nil when no rule uses a namespaceSelector.
func NewAuthorizer(pol func() *policy.Policy, namespaces NamespaceLabels, self policy.Subjects, log Recorder, budget time.Duration, m *Metrics) *Authorizer {
	return &Authorizer{policy: pol, namespaces: namespaces, self: self, log: log, budget: budget, metrics: m}
}

// DecodeSubjectAccessReview reads an authorization.k8s.io/v1
// SubjectAccessReview with exactly one of resource or non-resource
// attributes.
func DecodeSubjectAccessReview(data []byte) (*authorizationv1.SubjectAccessReview, error) {
	sar := &authorizationv1.SubjectAccessReview{}
	if err := decodeJSON(data, sar); err != nil {
		return nil, err
	}
	if sar.GroupVersionKind() != authorizationv1.SchemeGroupVersion.WithKind("SubjectAccessReview") {
		return nil, fmt.Errorf("%w: want apiVersion authorization.k8s.io/v1 and kind SubjectAccessReview", ErrMalformed)
	}
	s := sar.Spec
	if (s.ResourceAttributes == nil) == (s.NonResourceAttributes == nil) {
		return nil, fmt.Errorf("%w: want exactly one of resourceAttributes and nonResourceAttributes", ErrMalformed)
	}
	if s.User == "" && len(s.Groups) == 0 {
		return nil, fmt.Errorf("%w: no user and no groups", ErrMalformed)
	}
	return sar, nil
}

// ServeHTTP answers one SubjectAccessReview.
func (a *Authorizer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, status, err := readBody(w, r)
	if err != nil {
		a.metrics.Observe("authorization", "malformed", time.Since(start))
		http.Error(w, err.Error(), status)
		return
	}
	sar, err := DecodeSubjectAccessReview(body.Bytes())
	body.release()
	if err != nil {
		a.metrics.Observe("authorization", "malformed", time.Since(start))
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	answerWithinBudget(r.Context(), w, a.budget, func(context.Context) authorizationv1.SubjectAccessReviewStatus {
		return a.Decide(sar.Spec)
	}, func(reason string) authorizationv1.SubjectAccessReviewStatus {
		// No opinion: RBAC decides, as when the webhook is down.
		return authorizationv1.SubjectAccessReviewStatus{EvaluationError: "rampart: " + reason}
	}, func(w http.ResponseWriter, st authorizationv1.SubjectAccessReviewStatus) {
		writeJSON(w, &authorizationv1.SubjectAccessReview{TypeMeta: sar.TypeMeta, Status: st})
		result := "no-opinion"
		if st.Denied {
			result = "denied"
		}
		a.metrics.Observe("authorization", result, time.Since(start))
	})
}

// Decide judges one request; it never sets Allowed.
func (a *Authorizer) Decide(spec authorizationv1.SubjectAccessReviewSpec) authorizationv1.SubjectAccessReviewStatus {
	none := authorizationv1.SubjectAccessReviewStatus{}
	if policy.DefaultExempt.Match(spec.User, spec.Groups) || a.self.Match(spec.User, spec.Groups) {
		return none
	}
	pol := a.policy()
	cfg := &pol.Webhook.Authorization
	if cfg.Exempt.Match(spec.User, spec.Groups) {
		return none
	}
	rules := cfg.Rules
	if !cfg.NoDiscovery {
		rules = append(slices.Clip(policy.DiscoveryRule), rules...)
	}
	for i := range rules {
		if a.matches(&rules[i], spec) {
			return none
		}
	}
	mode := cfg.AuthzMode()
	what := describe(spec)
	d := Decision{Time: time.Now().UTC(), Kind: "authorization", Mode: mode, Rule: "no-allowlist-rule", User: spec.User, Groups: spec.Groups}
	if ra := spec.ResourceAttributes; ra != nil {
		d.Verb, d.Resource, d.Subresource, d.Namespace, d.Name = ra.Verb, ra.Resource, ra.Subresource, ra.Namespace, ra.Name
		if ra.Group != "" {
			d.Resource += "." + ra.Group
		}
	} else {
		d.Verb, d.Path = spec.NonResourceAttributes.Verb, spec.NonResourceAttributes.Path
	}
	if mode == policy.ModeBlock {
		d.Result = "denied"
		d.Message = fmt.Sprintf("rampart: no allowlist rule lets %s %s", spec.User, what)
		if a.log != nil {
			a.log.Record(d)
		}
		return authorizationv1.SubjectAccessReviewStatus{Denied: true, Reason: d.Message}
	}
	d.Result = "alert"
	d.Message = fmt.Sprintf("no allowlist rule lets %s %s; allowed in alert mode if RBAC allows", spec.User, what)
	if a.log != nil {
		a.log.Record(d)
	}
	return none
}

func describe(spec authorizationv1.SubjectAccessReviewSpec) string {
	if ra := spec.ResourceAttributes; ra != nil {
		res := ra.Resource
		if ra.Group != "" {
			res += "." + ra.Group
		}
		if ra.Subresource != "" {
			res += "/" + ra.Subresource
		}
		if ra.Name != "" {
			res += " " + ra.Name
		}
		where := "cluster-wide"
		if ra.Namespace != "" {
			where = "in namespace " + ra.Namespace
		}
		return fmt.Sprintf("%s %s %s", ra.Verb, res, where)
	}
	return fmt.Sprintf("%s %s", spec.NonResourceAttributes.Verb, spec.NonResourceAttributes.Path)
}

func (a *Authorizer) matches(r *policy.AuthzRule, spec authorizationv1.SubjectAccessReviewSpec) bool {
	if !r.Subjects.Match(spec.User, spec.Groups) {
		return false
	}
	if nr := spec.NonResourceAttributes; nr != nil {
		return matchAny(r.Verbs, nr.Verb) && urlMatch(r.NonResourceURLs, nr.Path)
	}
	ra := spec.ResourceAttributes
	if len(r.Resources) == 0 || !matchAny(r.Verbs, ra.Verb) || !matchAny(r.APIGroups, ra.Group) || !matchAny(r.Resources, ra.Resource) {
		return false
	}
	subs := r.Subresources
	if len(subs) == 0 {
		subs = []string{""}
	}
	if !matchAny(subs, ra.Subresource) {
		return false
	}
	return a.namespaceMatch(r, ra.Namespace)
}

// namespaceMatch: a rule without namespaces covers every namespace and
// cluster-scoped requests; one with namespaces covers requests in those
// namespaces only (as a RoleBinding would).
func (a *Authorizer) namespaceMatch(r *policy.AuthzRule, ns string) bool {
	if len(r.Namespaces) == 0 && r.NamespaceSelector == nil {
		return true
	}
	if ns == "" {
		return false
	}
	for _, g := range r.Namespaces {
		if ok, _ := path.Match(g, ns); ok {
			return true
		}
	}
	if r.NamespaceSelector == nil || a.namespaces == nil {
		return false
	}
	sel, err := r.NamespaceSelector.LabelSelector()
	if err != nil {
		return false
	}
	l, ok := a.namespaces.Labels(ns)
	return ok && sel.Matches(labels.Set(l))
}

func matchAny(list []string, v string) bool {
	for _, x := range list {
		if x == "*" || x == v {
			return true
		}
	}
	return false
}

// urlMatch follows RBAC: exact, or a prefix when the pattern ends in "*".
func urlMatch(patterns []string, p string) bool {
	for _, u := range patterns {
		if u == p || u == "*" || (strings.HasSuffix(u, "*") && strings.HasPrefix(p, strings.TrimSuffix(u, "*"))) {
			return true
		}
	}
	return false
}
