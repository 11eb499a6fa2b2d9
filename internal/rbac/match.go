package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// The matching functions below are the RBAC authorizer's own
// (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac and
// pkg/apis/rbac/v1 evaluation helpers), rewritten because k8s.io/kubernetes
// cannot be imported as a library. They must stay byte-for-byte equivalent:
// the differential test against a real API server checks that they do.

// RuleAllows reports whether rule allows req, exactly as the RBAC
// authorizer decides it.
func RuleAllows(r rbacv1.PolicyRule, req Request) bool {
	if req.IsResourceRequest() {
		combined := req.Resource
		if req.Subresource != "" {
			combined = req.Resource + "/" + req.Subresource
		}
		return verbMatches(r.Verbs, req.Verb) &&
			apiGroupMatches(r.APIGroups, req.APIGroup) &&
			resourceMatches(r.Resources, combined, req.Subresource) &&
			resourceNameMatches(r.ResourceNames, req.Name)
	}
	return verbMatches(r.Verbs, req.Verb) && nonResourceURLMatches(r.NonResourceURLs, req.NonResourceURL)
}

func verbMatches(verbs []string, verb string) bool {
	for _, v := range verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

func apiGroupMatches(groups []string, group string) bool {
	for _, g := range groups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

// resourceMatches: "*" matches everything, "pods/log" matches exactly, and
// "*/log" matches any resource's log subresource. "pods" never matches
// pods/status and "pods/*" is not a wildcard (it matches only the literal
// subresource "*").
func resourceMatches(resources []string, combined, subresource string) bool {
	for _, r := range resources {
		if r == rbacv1.ResourceAll || r == combined {
			return true
		}
		if subresource == "" {
			continue
		}
		if len(r) == len(subresource)+2 && strings.HasPrefix(r, "*/") && strings.HasSuffix(r, subresource) {
			return true
		}
	}
	return false
}

// resourceNameMatches: an empty list allows every name; otherwise the
// request's name must be listed, so an unnamed request (list, create,
// deletecollection) does not match.
func resourceNameMatches(names []string, name string) bool {
	if len(names) == 0 {
		return true
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// nonResourceURLMatches: "*" and exact paths match; a trailing "*" is a
// prefix match ("/logs*" matches "/logs" and "/logs/x" and "/logsfoo").
func nonResourceURLMatches(urls []string, url string) bool {
	for _, u := range urls {
		if u == rbacv1.NonResourceAll || u == url {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(url, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

// appliesTo reports whether a binding subject names u, as the authorizer's
// appliesToUser: exact user name (so a User "*" is only the user literally
// named "*"), group membership, or a service account whose namespace
// defaults to the binding's (a ClusterRoleBinding has none, so such a
// subject matches no one).
func appliesTo(u User, s rbacv1.Subject, bindingNamespace string) bool {
	switch s.Kind {
	case rbacv1.UserKind:
		return u.Name == s.Name
	case rbacv1.GroupKind:
		for _, g := range u.Groups {
			if g == s.Name {
				return true
			}
		}
		return false
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		if ns == "" {
			return false
		}
		return u.Name == ServiceAccountUsername(ns, s.Name)
	}
	return false
}
