package policy

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Webhook holds what `rampart webhook serve` enforces: workload checks at
// admission, exec control, required labels and the authorization allowlist.
type Webhook struct {
	Admission     Admission     `yaml:"admission"`
	Exec          Exec          `yaml:"exec"`
	Labels        []LabelRule   `yaml:"labels"`
	Authorization Authorization `yaml:"authorization"`
}

// Admission modes: what a failing check does to a create or update.
const (
	// ModeBlock rejects the request with the check's message.
	ModeBlock = "block"
	// ModeWarn admits it and returns the message as a warning, which
	// kubectl prints.
	ModeWarn = "warn"
	// ModeAudit admits it silently and writes the decision log only.
	ModeAudit = "audit"
)

// Authorization modes.
const (
	// ModeAlert lets RBAC decide, and records requests outside the allowlist.
	ModeAlert = "alert"
	// (ModeBlock denies requests outside the allowlist.)
)

// Admission sets the mode of each workload check at admission.
type Admission struct {
	// Mode applies to every check not named below (default warn).
	Mode string `yaml:"mode"`
	// Checks set the mode of single checks by ID.
	Checks map[string]string `yaml:"checks"`
	// Overrides set modes by namespace; the first that matches a check
	// and namespace wins over Checks and Mode.
	Overrides []ModeOverride `yaml:"overrides"`
}

// ModeOverride sets a mode for some checks in some namespaces.
type ModeOverride struct {
	// Namespaces are shell globs (path.Match); required.
	Namespaces []string `yaml:"namespaces"`
	// Checks are check IDs; empty means every check.
	Checks []string `yaml:"checks"`
	Mode   string   `yaml:"mode"`
}

// ModeFor returns the admission mode of a check in a namespace.
func (a *Admission) ModeFor(check, namespace string) string {
	for _, o := range a.Overrides {
		if globAny(o.Namespaces, namespace) && (len(o.Checks) == 0 || contains(o.Checks, check)) {
			return o.Mode
		}
	}
	if m, ok := a.Checks[check]; ok {
		return m
	}
	if a.Mode == "" {
		return ModeWarn
	}
	return a.Mode
}

// Exec controls exec, attach, port-forward and ephemeral containers: the
// DenyEscalatingExec admission plugin that Kubernetes removed, plus host
// networking and labelled pods.
type Exec struct {
	// Mode is block (default), warn or audit.
	Mode string `yaml:"mode"`
	// Deny lists the pod properties that make a pod off limits; default
	// all of privileged, hostPID, hostIPC, hostNetwork.
	Deny []string `yaml:"deny"`
	// PodSelector also makes pods with these labels off limits.
	PodSelector *Selector `yaml:"podSelector"`
	// Exempt subjects may still exec (break-glass).
	Exempt Subjects `yaml:"exempt"`
}

// Pod properties that Exec.Deny names.
const (
	DenyPrivileged  = "privileged"
	DenyHostPID     = "hostPID"
	DenyHostIPC     = "hostIPC"
	DenyHostNetwork = "hostNetwork"
)

// ExecDenyDefault is what Exec.Deny holds when not set.
var ExecDenyDefault = []string{DenyPrivileged, DenyHostPID, DenyHostIPC, DenyHostNetwork}

// ExecMode returns the exec mode, defaulted.
func (e *Exec) ExecMode() string {
	if e.Mode == "" {
		return ModeBlock
	}
	return e.Mode
}

// DenyList returns Deny, defaulted.
func (e *Exec) DenyList() []string {
	if e.Deny == nil {
		return ExecDenyDefault
	}
	return e.Deny
}

// LabelRule requires labels on objects of some kinds in some namespaces.
type LabelRule struct {
	// Kinds (e.g. Deployment) and Namespaces are shell globs; empty matches all.
	Kinds      []string `yaml:"kinds"`
	Namespaces []string `yaml:"namespaces"`
	// Required label keys; each must be present and not empty.
	Required []string `yaml:"required"`
	// Mode is block, warn (default) or audit.
	Mode string `yaml:"mode"`
}

// Matches reports whether the rule applies to an object.
func (r *LabelRule) Matches(kind, namespace string) bool {
	return globAny(r.Kinds, kind) && globAny(r.Namespaces, namespace)
}

// RuleMode returns the rule's mode, defaulted.
func (r *LabelRule) RuleMode() string {
	if r.Mode == "" {
		return ModeWarn
	}
	return r.Mode
}

// Authorization is a deny-by-default allowlist of API requests. Requests
// from non-exempt subjects that no rule allows are recorded (alert) or
// denied (block); allowed requests still need RBAC to grant them.
type Authorization struct {
	// Mode is alert (default) or block.
	Mode string `yaml:"mode"`
	// Rules allow requests; a request is allowed when one rule matches.
	Rules []AuthzRule `yaml:"rules"`
	// Exempt subjects are never judged, in addition to DefaultExempt.
	Exempt Subjects `yaml:"exempt"`
	// NoDiscovery turns off the built-in rule that lets everyone read API
	// discovery, version, health and their own permissions.
	NoDiscovery bool `yaml:"noDiscovery"`
}

// AuthzMode returns the authorization mode, defaulted.
func (a *Authorization) AuthzMode() string {
	if a.Mode == "" {
		return ModeAlert
	}
	return a.Mode
}

// DefaultExempt are the subjects the authorization allowlist never judges:
// the cluster administrators and Kubernetes' own components. They cannot be
// removed, so no policy locks the cluster admin out.
var DefaultExempt = Subjects{
	Users:  []string{"system:apiserver", "system:kube-*", "system:volume-scheduler"},
	Groups: []string{"system:masters", "system:nodes", "system:serviceaccounts:kube-system"},
}

// DiscoveryRule is the built-in rule (unless NoDiscovery) that keeps
// kubectl working for every subject: discovery, version and health URLs,
// and asking about one's own permissions.
var DiscoveryRule = []AuthzRule{
	{
		Name:            "builtin-discovery",
		Subjects:        Subjects{Groups: []string{"system:authenticated", "system:unauthenticated"}},
		Verbs:           []string{"get"},
		NonResourceURLs: []string{"/api", "/api/*", "/apis", "/apis/*", "/openapi/*", "/version", "/version/", "/healthz", "/livez", "/readyz"},
	},
	{
		Name:      "builtin-self-review",
		Subjects:  Subjects{Groups: []string{"system:authenticated"}},
		Verbs:     []string{"create"},
		APIGroups: []string{"authorization.k8s.io", "authentication.k8s.io"},
		Resources: []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"},
	},
}

// AuthzRule allows some subjects some requests in some places.
type AuthzRule struct {
	// Name appears in the decision log.
	Name     string   `yaml:"name"`
	Subjects Subjects `yaml:"subjects"`
	// Verbs are API verbs (get, list, create, …) or "*".
	Verbs []string `yaml:"verbs"`
	// APIGroups ("" is the core group), Resources and Subresources match
	// resource requests; "*" matches all. A request's subresource must be
	// listed, "" standing for the resource itself; empty Subresources
	// means [""], the resource without subresources.
	APIGroups    []string `yaml:"apiGroups"`
	Resources    []string `yaml:"resources"`
	Subresources []string `yaml:"subresources"`
	// NonResourceURLs match non-resource requests; a trailing "*" matches
	// any suffix, as in RBAC.
	NonResourceURLs []string `yaml:"nonResourceURLs"`
	// Namespaces (shell globs) and NamespaceSelector limit resource rules
	// to namespaced requests in matching namespaces; both empty matches
	// every namespace and cluster-scoped requests.
	Namespaces        []string  `yaml:"namespaces"`
	NamespaceSelector *Selector `yaml:"namespaceSelector"`
}

// Subjects names users, groups and service accounts.
type Subjects struct {
	// Users and Groups are shell globs, e.g. "system:kube-*".
	Users  []string `yaml:"users"`
	Groups []string `yaml:"groups"`
	// ServiceAccounts are "namespace/name"; name may be "*".
	ServiceAccounts []string `yaml:"serviceAccounts"`
}

// Empty reports whether no subject is named.
func (s *Subjects) Empty() bool {
	return len(s.Users) == 0 && len(s.Groups) == 0 && len(s.ServiceAccounts) == 0
}

// Match reports whether a user with these groups is one of the subjects.
func (s *Subjects) Match(user string, groups []string) bool {
	for _, u := range s.Users {
		if ok, _ := path.Match(u, user); ok {
			return true
		}
	}
	for _, g := range s.Groups {
		for _, have := range groups {
			if ok, _ := path.Match(g, have); ok {
				return true
			}
		}
	}
	if ns, name, ok := serviceAccountOf(user); ok {
		for _, sa := range s.ServiceAccounts {
			wantNS, wantName, _ := strings.Cut(sa, "/")
			if wantNS == ns && (wantName == "*" || wantName == name) {
				return true
			}
		}
	}
	return false
}

func serviceAccountOf(user string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	return ns, name, ok && ns != "" && name != ""
}

// Selector is a label selector, spelt as in Kubernetes.
type Selector struct {
	MatchLabels      map[string]string `yaml:"matchLabels"`
	MatchExpressions []Requirement     `yaml:"matchExpressions"`
}

// Requirement is one label selector expression.
type Requirement struct {
	Key      string   `yaml:"key"`
	Operator string   `yaml:"operator"`
	Values   []string `yaml:"values"`
}

// LabelSelector converts the selector with apimachinery, which validates
// keys, operators and values as the API server does.
func (s *Selector) LabelSelector() (labels.Selector, error) {
	if s == nil {
		return labels.Nothing(), nil
	}
	ls := &metav1.LabelSelector{MatchLabels: s.MatchLabels}
	for _, r := range s.MatchExpressions {
		ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{
			Key: r.Key, Operator: metav1.LabelSelectorOperator(r.Operator), Values: r.Values,
		})
	}
	return metav1.LabelSelectorAsSelector(ls)
}

// problems returns every error in the webhook section, each naming its field.
func (w *Webhook) problems(known map[string]bool) []string {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	admissionMode := func(where, m string, allowEmpty bool) {
		switch m {
		case ModeBlock, ModeWarn, ModeAudit:
		case "":
			if !allowEmpty {
				add("%s is required: block, warn or audit", where)
			}
		default:
			add("%s is %q, want block, warn or audit", where, m)
		}
	}
	checkID := func(where, id string) {
		if known != nil && !known[id] {
			add("%s: unknown check %q%s", where, id, suggest(id, known))
		}
	}
	globs := func(where string, gs []string) {
		for _, g := range gs {
			if _, err := path.Match(g, ""); err != nil || g == "" {
				add("%s: bad pattern %q", where, g)
			}
		}
	}
	a := &w.Admission
	admissionMode("webhook.admission.mode", a.Mode, true)
	for _, id := range slices.Sorted(maps.Keys(a.Checks)) {
		checkID("webhook.admission.checks", id)
		admissionMode(fmt.Sprintf("webhook.admission.checks[%s]", id), a.Checks[id], false)
	}
	for i, o := range a.Overrides {
		where := fmt.Sprintf("webhook.admission.overrides[%d]", i)
		if len(o.Namespaces) == 0 {
			add("%s.namespaces is required", where)
		}
		globs(where+".namespaces", o.Namespaces)
		for _, id := range o.Checks {
			checkID(where+".checks", id)
		}
		admissionMode(where+".mode", o.Mode, false)
	}

	e := &w.Exec
	admissionMode("webhook.exec.mode", e.Mode, true)
	if e.Deny != nil && len(e.Deny) == 0 && e.PodSelector == nil {
		add("webhook.exec.deny is empty and there is no podSelector: exec control would deny nothing")
	}
	for _, d := range e.Deny {
		if !contains(ExecDenyDefault, d) {
			add("webhook.exec.deny: unknown property %q, want one of %s", d, strings.Join(ExecDenyDefault, ", "))
		}
	}
	if e.PodSelector != nil {
		if _, err := e.PodSelector.LabelSelector(); err != nil {
			add("webhook.exec.podSelector: %v", err)
		}
	}
	errs = append(errs, e.Exempt.problems("webhook.exec.exempt")...)

	for i, r := range w.Labels {
		where := fmt.Sprintf("webhook.labels[%d]", i)
		if len(r.Required) == 0 {
			add("%s.required is empty", where)
		}
		for _, k := range r.Required {
			for _, msg := range validation.IsQualifiedName(k) {
				add("%s.required: %q: %s", where, k, msg)
			}
		}
		globs(where+".kinds", r.Kinds)
		globs(where+".namespaces", r.Namespaces)
		admissionMode(where+".mode", r.Mode, true)
	}

	z := &w.Authorization
	switch z.Mode {
	case "", ModeAlert, ModeBlock:
	default:
		add("webhook.authorization.mode is %q, want alert or block", z.Mode)
	}
	errs = append(errs, z.Exempt.problems("webhook.authorization.exempt")...)
	names := map[string]bool{}
	for i, r := range z.Rules {
		where := fmt.Sprintf("webhook.authorization.rules[%d]", i)
		if r.Name != "" {
			where = fmt.Sprintf("webhook.authorization.rules[%d] (%s)", i, r.Name)
			if names[r.Name] {
				add("%s: name is used twice", where)
			}
			names[r.Name] = true
		}
		errs = append(errs, r.problems(where)...)
	}
	return errs
}

func (r *AuthzRule) problems(where string) []string {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if r.Subjects.Empty() {
		add("%s.subjects is empty: name users, groups or serviceAccounts", where)
	}
	errs = append(errs, r.Subjects.problems(where+".subjects")...)
	if len(r.Verbs) == 0 {
		add("%s.verbs is empty", where)
	}
	resource := len(r.Resources) > 0 || len(r.APIGroups) > 0 || len(r.Subresources) > 0
	switch {
	case resource && len(r.NonResourceURLs) > 0:
		add("%s: set either resources or nonResourceURLs, not both", where)
	case !resource && len(r.NonResourceURLs) == 0:
		add("%s: set resources (with apiGroups) or nonResourceURLs", where)
	case resource && (len(r.Resources) == 0 || len(r.APIGroups) == 0):
		add("%s: resources and apiGroups are both required (\"\" is the core group, \"*\" any)", where)
	}
	for _, res := range r.Resources {
		if strings.Contains(res, "/") {
			add("%s.resources: %q: put the subresource in subresources", where, res)
		}
	}
	for _, u := range r.NonResourceURLs {
		if !strings.HasPrefix(u, "/") && u != "*" {
			add("%s.nonResourceURLs: %q must start with /", where, u)
		}
		if i := strings.Index(u, "*"); i >= 0 && i != len(u)-1 {
			add("%s.nonResourceURLs: %q: * is only allowed at the end", where, u)
		}
	}
	if len(r.NonResourceURLs) > 0 && (len(r.Namespaces) > 0 || r.NamespaceSelector != nil) {
		add("%s: namespaces do not apply to nonResourceURLs", where)
	}
	for _, g := range r.Namespaces {
		if _, err := path.Match(g, ""); err != nil || g == "" {
			add("%s.namespaces: bad pattern %q", where, g)
		}
	}
	if r.NamespaceSelector != nil {
		if _, err := r.NamespaceSelector.LabelSelector(); err != nil {
			add("%s.namespaceSelector: %v", where, err)
		}
	}
	return errs
}

func (s *Subjects) problems(where string) []string {
	var errs []string
	for _, g := range append(append([]string{}, s.Users...), s.Groups...) {
		if _, err := path.Match(g, ""); err != nil || g == "" {
			errs = append(errs, fmt.Sprintf("%s: bad pattern %q", where, g))
		}
	}
	for _, sa := range s.ServiceAccounts {
		ns, name, ok := strings.Cut(sa, "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			errs = append(errs, fmt.Sprintf("%s.serviceAccounts: %q, want namespace/name", where, sa))
		}
	}
	return errs
}
