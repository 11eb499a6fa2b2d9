package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
	admissionv1 "k8s.io/api/admission/v1"
)

func TestDecodeAdmissionReview(t *testing.T) {
	tests := map[string]struct {
		body string
		want string
	}{
		"valid":        {`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","operation":"CREATE"}}`, ""},
		"not json":     {`{"apiVersion":`, "malformed review"},
		"no kind":      {`{"request":{"uid":"1"}}`, "want apiVersion admission.k8s.io/v1 and kind AdmissionReview"},
		"v1beta1":      {`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"1"}}`, "malformed review"},
		"other kind":   {`{"apiVersion":"v1","kind":"Pod"}`, "malformed review"},
		"no request":   {`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, "no request"},
		"no uid":       {`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}`, "request has no uid"},
		"wrong type":   {`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}}`, "malformed review"},
		"yaml garbage": {"- a\n- b\n", "malformed review"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeAdmissionReview([]byte(tt.body))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestEndpointRejectsBadRequests(t *testing.T) {
	ep := &reviewEndpoint{kind: "workloads", handler: NewWorkloads(static(mustPolicy(t, "")), nil).Handler(), decode: decodeWorkloadReview, budget: DefaultBudget, metrics: NewMetrics()}
	tests := []struct {
		name, method, contentType string
		body                      []byte
		status                    int
	}{
		{"get", http.MethodGet, "", nil, http.StatusMethodNotAllowed},
		{"empty", http.MethodPost, "application/json", nil, http.StatusBadRequest},
		{"garbage", http.MethodPost, "application/json", []byte("\x00\x01"), http.StatusBadRequest},
		{"xml", http.MethodPost, "application/xml", []byte("<a/>"), http.StatusUnsupportedMediaType},
		{"too large", http.MethodPost, "application/json", bytes.Repeat([]byte(" "), MaxBodyBytes+1), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(tt.method, "/", bytes.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			ep.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), "malformed review") {
				t.Fatalf("status %d %q, want %d with a reason", rec.Code, rec.Body.String(), tt.status)
			}
		})
	}
	if ep.metrics.Decisions("workloads", "malformed") != uint64(len(tests)) {
		t.Errorf("malformed requests not counted: %d", ep.metrics.Decisions("workloads", "malformed"))
	}
}

// handlerFunc adapts a function to Handler.
type handlerFunc func(context.Context, *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse

func (f handlerFunc) Admit(ctx context.Context, r *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	return f(ctx, r)
}

func TestEndpointBudget(t *testing.T) {
	stuck := handlerFunc(func(ctx context.Context, _ *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
		time.Sleep(time.Second) // ignores ctx, like a check gone wrong
		return allow()
	})
	broken := handlerFunc(func(context.Context, *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
		var req *admissionv1.AdmissionRequest
		return allow(req.Name) // nil dereference: panics
	})
	body := admissiontest.Review(t, admissiontest.Request{Operation: admissionv1.Create})
	tests := []struct {
		name    string
		h       Handler
		fail    FailurePolicy
		allowed bool
		reason  string
	}{
		{"slow, fail open", stuck, FailOpen, true, "no decision within 50ms"},
		{"slow, fail closed", stuck, FailClosed, false, "no decision within 50ms"},
		{"panic, fail open", broken, FailOpen, true, "internal error"},
		{"panic, fail closed", broken, FailClosed, false, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Over a real connection: the answer must reach the client
			// while a stuck decision still holds the handler.
			ep := &reviewEndpoint{kind: "x", handler: tt.h, budget: 50 * time.Millisecond, fail: tt.fail, metrics: NewMetrics()}
			srv := httptest.NewServer(ep)
			defer srv.Close()
			// The second request goes as the API server's client sends it,
			// on a connection it may reuse: it must not wait behind the
			// first one's stuck decision.
			var resp *admissionv1.AdmissionResponse
			for i := range 2 {
				start := time.Now()
				res, err := srv.Client().Post(srv.URL, "application/json", bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				answer, err := io.ReadAll(res.Body)
				_ = res.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if took := time.Since(start); took > 500*time.Millisecond {
					t.Errorf("request %d answered after %s, the budget is 50ms", i+1, took)
				}
				// Counted when answered, not when the decision returns.
				if got := ep.metrics.Decisions("x", "warned") + ep.metrics.Decisions("x", "denied"); got != uint64(i+1) {
					t.Errorf("%d answers counted after %d", got, i+1)
				}
				var review admissionv1.AdmissionReview
				if err := json.Unmarshal(answer, &review); err != nil || review.Response == nil {
					t.Fatalf("status %d %s: not an AdmissionReview with a response", res.StatusCode, answer)
				}
				resp = review.Response
			}
			text := strings.Join(resp.Warnings, " ")
			if resp.Result != nil {
				text += resp.Result.Message
			}
			if resp.Allowed != tt.allowed || !strings.Contains(text, tt.reason) || resp.UID != "uid-1" {
				t.Errorf("response %+v, want allowed=%v with %q", resp, tt.allowed, tt.reason)
			}
		})
	}
}
