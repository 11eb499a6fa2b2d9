package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func TestRuleAllows(t *testing.T) {
	rule := func(verbs, groups, resources, names []string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
	}
	nonRes := func(verbs, urls []string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: urls}
	}
	l := func(s ...string) []string { return s }
	cases := []struct {
		name string
		rule rbacv1.PolicyRule
		req  Request
		want bool
	}{
		{"exact", rule(l("get"), l(""), l("pods"), nil), Request{Verb: "get", Resource: "pods"}, true},
		{"other verb", rule(l("get"), l(""), l("pods"), nil), Request{Verb: "list", Resource: "pods"}, false},
		{"wildcard verb satisfies every verb", rule(l("*"), l(""), l("pods"), nil), Request{Verb: "escalate", Resource: "pods"}, true},
		{"wildcard verb satisfies custom verbs", rule(l("*"), l(""), l("pods"), nil), Request{Verb: "frobnicate", Resource: "pods"}, true},
		{"core group is empty string", rule(l("get"), l(""), l("deployments"), nil), Request{Verb: "get", APIGroup: "apps", Resource: "deployments"}, false},
		{"apiGroups honoured", rule(l("get"), l("apps"), l("pods"), nil), Request{Verb: "get", Resource: "pods"}, false},
		{"apiGroup wildcard", rule(l("get"), l("*"), l("deployments"), nil), Request{Verb: "get", APIGroup: "apps", Resource: "deployments"}, true},
		{"no apiGroups matches nothing", rule(l("get"), nil, l("pods"), nil), Request{Verb: "get", Resource: "pods"}, false},
		{"resource wildcard matches subresources", rule(l("get"), l(""), l("*"), nil), Request{Verb: "get", Resource: "pods", Subresource: "log"}, true},
		{"pods does not match pods/status", rule(l("get"), l(""), l("pods"), nil), Request{Verb: "get", Resource: "pods", Subresource: "status"}, false},
		{"pods/status matches pods/status", rule(l("get"), l(""), l("pods/status"), nil), Request{Verb: "get", Resource: "pods", Subresource: "status"}, true},
		{"pods/status does not match pods", rule(l("get"), l(""), l("pods/status"), nil), Request{Verb: "get", Resource: "pods"}, false},
		{"*/sub matches that subresource", rule(l("get"), l(""), l("*/status"), nil), Request{Verb: "get", Resource: "nodes", Subresource: "status"}, true},
		{"*/sub needs a subresource", rule(l("get"), l(""), l("*/status"), nil), Request{Verb: "get", Resource: "pods"}, false},
		{"*/sub does not match another subresource", rule(l("get"), l(""), l("*/status"), nil), Request{Verb: "get", Resource: "pods", Subresource: "log"}, false},
		{"*/sub is not a suffix match", rule(l("get"), l(""), l("*/tus"), nil), Request{Verb: "get", Resource: "pods", Subresource: "status"}, false},
		{"pods/* is not a wildcard", rule(l("get"), l(""), l("pods/*"), nil), Request{Verb: "get", Resource: "pods", Subresource: "log"}, false},
		{"named request in resourceNames", rule(l("get"), l(""), l("secrets"), l("db")), Request{Verb: "get", Resource: "secrets", Name: "db"}, true},
		{"named request not in resourceNames", rule(l("get"), l(""), l("secrets"), l("db")), Request{Verb: "get", Resource: "secrets", Name: "api"}, false},
		{"list never matches resourceNames", rule(l("list"), l(""), l("secrets"), l("db")), Request{Verb: "list", Resource: "secrets"}, false},
		{"create never matches resourceNames", rule(l("create"), l(""), l("secrets"), l("db")), Request{Verb: "create", Resource: "secrets"}, false},
		{"deletecollection never matches resourceNames", rule(l("deletecollection"), l(""), l("secrets"), l("db")), Request{Verb: "deletecollection", Resource: "secrets"}, false},
		{"no resourceNames allows unnamed", rule(l("list"), l(""), l("secrets"), nil), Request{Verb: "list", Resource: "secrets"}, true},
		{"resource rule does not grant URLs", rule(l("*"), l("*"), l("*"), nil), Request{Verb: "get", NonResourceURL: "/healthz"}, false},
		{"URL rule does not grant resources", nonRes(l("*"), l("*")), Request{Verb: "get", Resource: "pods"}, false},
		{"URL exact", nonRes(l("get"), l("/healthz")), Request{Verb: "get", NonResourceURL: "/healthz"}, true},
		{"URL exact only", nonRes(l("get"), l("/healthz")), Request{Verb: "get", NonResourceURL: "/healthz/etcd"}, false},
		{"URL trailing star is a prefix", nonRes(l("get"), l("/healthz/*")), Request{Verb: "get", NonResourceURL: "/healthz/etcd"}, true},
		{"URL trailing star does not match the parent", nonRes(l("get"), l("/healthz/*")), Request{Verb: "get", NonResourceURL: "/healthz"}, false},
		{"URL trailing star without slash", nonRes(l("get"), l("/logs*")), Request{Verb: "get", NonResourceURL: "/logsfoo"}, true},
		{"URL star", nonRes(l("get"), l("*")), Request{Verb: "get", NonResourceURL: "/anything"}, true},
		{"URL verb", nonRes(l("get"), l("*")), Request{Verb: "post", NonResourceURL: "/anything"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := RuleAllows(c.rule, c.req); got != c.want {
				t.Errorf("RuleAllows(%v, %v) = %v, want %v", c.rule, c.req, got, c.want)
			}
		})
	}
}
