package admission

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type nsLabels map[string]map[string]string

func (n nsLabels) Labels(ns string) (map[string]string, bool) { l, ok := n[ns]; return l, ok }
func (n nsLabels) Synced() bool                               { return true }

const authzPolicy = `webhook:
  authorization:
    mode: block
    exempt: {users: [break-glass]}
    rules:
    - name: test-team-secrets
      subjects: {groups: [test-team]}
      verbs: [get, list]
      apiGroups: [""]
      resources: [secrets]
      namespaces: [test]
    - name: labelled
      subjects: {groups: [test-team]}
      verbs: ["*"]
      apiGroups: [apps]
      resources: [deployments]
      subresources: [scale]
      namespaceSelector: {matchLabels: {env: dev}}
    - name: ci
      subjects: {serviceAccounts: [ci/deployer]}
      verbs: [create, update]
      apiGroups: ["*"]
      resources: ["*"]
      subresources: ["", "*"]
    - name: metrics
      subjects: {users: [prom]}
      verbs: [get]
      nonResourceURLs: [/metrics, /debug/*]
`

func res(user string, groups []string, verb, group, resource, sub, ns string) authorizationv1.SubjectAccessReviewSpec {
	return authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups, ResourceAttributes: &authorizationv1.ResourceAttributes{
		Verb: verb, Group: group, Resource: resource, Subresource: sub, Namespace: ns, Name: "x"}}
}

func nonRes(user string, groups []string, verb, path string) authorizationv1.SubjectAccessReviewSpec {
	return authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups, NonResourceAttributes: &authorizationv1.NonResourceAttributes{Verb: verb, Path: path}}
}

func TestAuthorizerDecide(t *testing.T) {
	team := []string{"test-team", "system:authenticated"}
	tests := []struct {
		name   string
		spec   authorizationv1.SubjectAccessReviewSpec
		denied bool
	}{
		{"allowlisted secrets in test", res("tina", team, "get", "", "secrets", "", "test"), false},
		{"secrets in prod", res("tina", team, "get", "", "secrets", "", "prod"), true},
		{"delete secrets in test", res("tina", team, "delete", "", "secrets", "", "test"), true},
		{"secrets cluster-wide", res("tina", team, "list", "", "secrets", "", ""), true},
		{"subresource not in rule", res("tina", team, "get", "", "secrets", "status", "test"), true},
		{"namespace selector match", res("tina", team, "update", "apps", "deployments", "scale", "dev-1"), false},
		{"namespace selector miss", res("tina", team, "update", "apps", "deployments", "scale", "prod"), true},
		{"namespace unknown", res("tina", team, "update", "apps", "deployments", "scale", "new"), true},
		{"rule with subresources excludes the resource", res("tina", team, "update", "apps", "deployments", "", "dev-1"), true},
		{"rule without subresources excludes them", res("tina", team, "get", "", "secrets", "status", "test"), true},
		{"star subresource", res("system:serviceaccount:ci:deployer", nil, "update", "apps", "deployments", "scale", "prod"), false},
		{"service account", res("system:serviceaccount:ci:deployer", nil, "create", "apps", "deployments", "", "prod"), false},
		{"other service account", res("system:serviceaccount:ci:other", nil, "create", "apps", "deployments", "", "prod"), true},
		{"non-resource allowed", nonRes("prom", nil, "get", "/metrics"), false},
		{"non-resource prefix", nonRes("prom", nil, "get", "/debug/pprof"), false},
		{"non-resource other", nonRes("prom", nil, "get", "/logs"), true},
		{"discovery for everyone", nonRes("tina", team, "get", "/apis/apps/v1"), false},
		{"self review", res("tina", team, "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", ""), false},
		{"system:masters exempt", res("root", []string{"system:masters"}, "delete", "", "secrets", "", "prod"), false},
		{"kube-system controllers exempt", res("system:serviceaccount:kube-system:job-controller", []string{"system:serviceaccounts:kube-system"}, "delete", "", "pods", "", "prod"), false},
		{"scheduler exempt", res("system:kube-scheduler", nil, "create", "", "bindings", "", "prod"), false},
		{"nodes exempt", res("system:node:n1", []string{"system:nodes"}, "get", "", "secrets", "", "prod"), false},
		{"policy exempt", res("break-glass", nil, "delete", "", "secrets", "", "prod"), false},
		{"webhook itself exempt", res("system:serviceaccount:rampart:rampart-webhook", nil, "watch", "", "pods", "", ""), false},
	}
	log := &memLog{}
	a := NewAuthorizer(static(mustPolicy(t, authzPolicy)), nsLabels{"dev-1": {"env": "dev"}, "prod": {"env": "prod"}},
		rampartSA, log, DefaultBudget, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(log.all())
			st := a.Decide(tt.spec)
			if st.Allowed {
				t.Fatal("the allowlist granted a request; it must leave grants to RBAC")
			}
			if st.Denied != tt.denied {
				t.Fatalf("denied = %v, want %v (%q)", st.Denied, tt.denied, st.Reason)
			}
			ds := log.all()[before:]
			if tt.denied && (len(ds) != 1 || ds[0].Result != "denied" || ds[0].Mode != "block" || ds[0].User != tt.spec.User || !strings.Contains(st.Reason, "no allowlist rule")) {
				t.Errorf("decisions %+v, reason %q", ds, st.Reason)
			}
			if !tt.denied && len(ds) != 0 {
				t.Errorf("recorded %+v for an allowed request", ds)
			}
		})
	}
}

var rampartSA = policySubjects("system:serviceaccount:rampart:rampart-webhook")

func TestAuthorizerAlertMode(t *testing.T) {
	log := &memLog{}
	doc := strings.Replace(authzPolicy, "mode: block", "mode: alert", 1)
	a := NewAuthorizer(static(mustPolicy(t, doc)), nil, rampartSA, log, DefaultBudget, nil)
	st := a.Decide(res("tina", []string{"test-team"}, "get", "", "secrets", "", "prod"))
	if st.Allowed || st.Denied {
		t.Fatalf("alert mode answered %+v, want no opinion", st)
	}
	ds := log.all()
	if len(ds) != 1 || ds[0].Result != "alert" || ds[0].Verb != "get" || ds[0].Resource != "secrets" || ds[0].Namespace != "prod" || ds[0].Groups[0] != "test-team" {
		t.Fatalf("decisions %+v, want one alert", ds)
	}
}

func TestAuthorizerHTTP(t *testing.T) {
	a := NewAuthorizer(static(mustPolicy(t, authzPolicy)), nil, rampartSA, nil, DefaultBudget, NewMetrics())
	sar := authorizationv1.SubjectAccessReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview"},
		Spec:     res("tina", []string{"test-team"}, "get", "", "secrets", "", "prod"),
	}
	tests := []struct {
		name   string
		body   string
		status int
		denied bool
	}{
		{"valid", string(mustJSON(t, sar)), 200, true},
		{"not json", "{", 400, false},
		{"wrong kind", `{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{}}`, 400, false},
		{"wrong version", `{"apiVersion":"authorization.k8s.io/v1beta1","kind":"SubjectAccessReview","spec":{"user":"a"}}`, 400, false},
		{"no attributes", `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a"}}`, 400, false},
		{"no user", `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"nonResourceAttributes":{"path":"/","verb":"get"}}}`, 400, false},
		{"empty", "", 400, false},
		{"no kind", `{"spec":{"user":"a","nonResourceAttributes":{"path":"/","verb":"get"}}}`, 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			a.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewBufferString(tt.body)))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body.String())
			}
			if tt.status != 200 {
				if !strings.Contains(rec.Body.String(), "malformed review") {
					t.Errorf("400 without a reason: %q", rec.Body.String())
				}
				return
			}
			var out authorizationv1.SubjectAccessReview
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			if out.Kind != "SubjectAccessReview" || out.APIVersion != "authorization.k8s.io/v1" || out.Status.Denied != tt.denied {
				t.Errorf("answer %+v", out)
			}
		})
	}
}
