package admission

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
	admissionv1 "k8s.io/api/admission/v1"
)

// FuzzAdmissionReview sends any body to the workload and exec endpoints:
// the answer is a review or a 4xx with a reason, never a panic or a 5xx.
func FuzzAdmissionReview(f *testing.F) {
	f.Add(admissiontest.Review(f, admissiontest.Request{Kind: deploymentKind, Resource: "deployments", Group: "apps", Namespace: "shop", Operation: admissionv1.Create, Object: deployment("web", privileged)}))
	f.Add(admissiontest.Review(f, admissiontest.Request{Resource: "pods", SubResource: "exec", Namespace: "a", Name: "p", Operation: admissionv1.Connect}))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE","object":{"spec":{"containers":[{"securityContext":{"privileged":true}}]}}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","resource":{"resource":"pods"},"subResource":"ephemeralcontainers","operation":"UPDATE","oldObject":7}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"UPDATE","object":{},"oldObject":null}}`))
	p := mustPolicy(f, "webhook: {admission: {mode: block}, labels: [{required: [team]}], exec: {podSelector: {matchLabels: {a: b}}}}")
	pods := fakePods{synced: true, pods: map[string]PodFacts{"a/p": {Privileged: true}}}
	endpoints := []http.Handler{
		&reviewEndpoint{kind: "workloads", handler: NewWorkloads(static(p), &memLog{}).Handler(), decode: decodeWorkloadReview, budget: DefaultBudget},
		&reviewEndpoint{kind: "exec", handler: NewExec(static(p), pods, &memLog{}), budget: DefaultBudget, fail: FailClosed},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ep := range endpoints {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			ep.ServeHTTP(rec, req)
			if rec.Code >= 500 || (rec.Code != 200 && rec.Body.Len() == 0) {
				t.Fatalf("status %d %q", rec.Code, rec.Body.String())
			}
			if rec.Code == 200 && !bytes.Contains(rec.Body.Bytes(), []byte(`"response"`)) {
				t.Fatalf("200 without a response: %s", rec.Body.String())
			}
		}
	})
}

// FuzzSubjectAccessReview does the same for the authorization endpoint.
func FuzzSubjectAccessReview(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a","groups":["test-team"],"resourceAttributes":{"verb":"get","resource":"secrets","namespace":"prod"}}}`))
	f.Add([]byte(`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"system:serviceaccount:ci:x","nonResourceAttributes":{"verb":"get","path":"/metrics"}}}`))
	a := NewAuthorizer(static(mustPolicy(f, authzPolicy)), nsLabels{"dev-1": {"env": "dev"}}, rampartSA, &memLog{}, DefaultBudget, NewMetrics())
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("status %d %q", rec.Code, rec.Body.String())
		}
		if rec.Code == 200 && bytes.Contains(rec.Body.Bytes(), []byte(`"allowed":true`)) {
			t.Fatalf("granted: %s", rec.Body.String())
		}
	})
}
