// Package admission is Rampart's enforcement: a validating admission
// webhook (workload checks, exec control, required labels) and an
// authorization webhook (a deny-by-default allowlist), with a decision log,
// metrics and TLS that reloads.
//
// Handlers speak the API server's own types (k8s.io/api admission/v1 and
// authorization/v1) over plain net/http; the shape of validators follows
// controller-runtime's admission.Validator[T] without depending on it.
package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	sigsjson "sigs.k8s.io/json"
)

// ErrMalformed marks a request body that is not a usable review.
var ErrMalformed = errors.New("malformed review")

// MaxBodyBytes bounds a review: the API server limits objects to 3 MiB and an
// update carries the old and the new object.
const MaxBodyBytes = 7 << 20

// scheme knows the review kinds and the workload kinds checked at admission.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		admissionv1.AddToScheme, authorizationv1.AddToScheme,
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err) // programming error: the k8s.io/api schemes always register
		}
	}
	return s
}()

// DecodeAdmissionReview reads an admission.k8s.io/v1 AdmissionReview that
// carries a request with a UID. The API server sends JSON; it is read in one
// case-sensitive pass (as the API server's own decoder does), rather than
// through a codec that parses the body twice to find its kind.
func DecodeAdmissionReview(data []byte) (*admissionv1.AdmissionReview, error) {
	review := &admissionv1.AdmissionReview{}
	if err := decodeJSON(data, review); err != nil {
		return nil, err
	}
	if review.GroupVersionKind() != admissionv1.SchemeGroupVersion.WithKind("AdmissionReview") {
		return nil, fmt.Errorf("%w: want apiVersion admission.k8s.io/v1 and kind AdmissionReview", ErrMalformed)
	}
	if review.Request == nil {
		return nil, fmt.Errorf("%w: no request", ErrMalformed)
	}
	if review.Request.UID == "" {
		return nil, fmt.Errorf("%w: request has no uid", ErrMalformed)
	}
	return review, nil
}

// decodeJSON reads one JSON value into v, refusing trailing data.
func decodeJSON(data []byte, v any) error {
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// Handler decides one admission request. It never returns nil, and keeps
// no raw object of req after it returns: they may be slices of the body.
type Handler interface {
	Admit(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse
}

// FailurePolicy says what a request that cannot be decided in time gets.
type FailurePolicy int

const (
	// FailOpen admits (with a warning): used for workload checks, where an
	// outage of the webhook must not stop deployments.
	FailOpen FailurePolicy = iota
	// FailClosed denies: used for exec control, where a miss is an escape.
	FailClosed
)

// reviewEndpoint serves AdmissionReviews to one Handler within a time budget.
type reviewEndpoint struct {
	kind    string
	handler Handler
	// decode reads the body; DecodeAdmissionReview when nil.
	decode  func([]byte) (*admissionv1.AdmissionReview, error)
	budget  time.Duration
	fail    FailurePolicy
	metrics *Metrics
}

func (e *reviewEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, status, err := readBody(w, r)
	if err != nil {
		e.metrics.Observe(e.kind, "malformed", time.Since(start))
		http.Error(w, err.Error(), status)
		return
	}
	decode := e.decode
	if decode == nil {
		decode = DecodeAdmissionReview
	}
	review, err := decode(body.Bytes())
	if err != nil {
		body.release()
		e.metrics.Observe(e.kind, "malformed", time.Since(start))
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := review.Request
	answerWithinBudget(r.Context(), w, e.budget, func(ctx context.Context) *admissionv1.AdmissionResponse {
		return e.handler.Admit(ctx, req)
	}, e.failed, func(w http.ResponseWriter, resp *admissionv1.AdmissionResponse) {
		resp.UID = req.UID
		writeJSON(w, &admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp})
		e.metrics.Observe(e.kind, resultOf(resp), time.Since(start))
	})
	// The review may hold slices of the body; its decision has returned.
	body.release()
}

// failed answers a request that could not be decided, per failure policy.
func (e *reviewEndpoint) failed(reason string) *admissionv1.AdmissionResponse {
	if e.fail == FailClosed {
		return deny("rampart: " + reason + "; denied because this webhook fails closed")
	}
	return &admissionv1.AdmissionResponse{Allowed: true, Warnings: []string{"rampart: " + reason + "; admitted unchecked"}}
}

// answerWithinBudget decides on the request's goroutine and answers with
// write, so that a slow or broken check never holds the API server's
// request: when the budget passes first, a watchdog answers with fail at
// once (and closes the connection, which the late decision still holds),
// and the decision's answer, when it comes, is dropped. A decision that
// panics is answered with fail too. It returns when the decision has, and
// the watchdog, if it ran, has answered.
//
// Running the decision on a goroutine of its own, as before, woke a second
// thread for every request, which on a small virtual machine cost about
// 35 µs of CPU a request (BenchmarkWebhookServe); the watchdog's goroutine
// starts only when the budget has passed. It needs an HTTP/1.1 server
// (Server): an HTTP/2 stream would end only when the handler returns.
func answerWithinBudget[T any](parent context.Context, w http.ResponseWriter, budget time.Duration,
	decide func(context.Context) T, fail func(reason string) T, write func(http.ResponseWriter, T)) {
	ctx, cancel := context.WithTimeout(parent, budget)
	defer cancel()
	watchdog := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(watchdog)
		// Its client would send the next request on this connection.
		w.Header().Set("Connection", "close")
		write(w, fail(fmt.Sprintf("no decision within %s", budget)))
		_ = http.NewResponseController(w).Flush()
	})
	answer := decideOrFail(ctx, decide, fail)
	if !stop() {
		<-watchdog
		return
	}
	write(w, answer)
}

// decideOrFail is decide, or fail's answer when decide panics.
func decideOrFail[T any](ctx context.Context, decide func(context.Context) T, fail func(reason string) T) (answer T) {
	defer func() {
		if p := recover(); p != nil {
			answer = fail(fmt.Sprintf("internal error: %v", p))
		}
	}()
	return decide(ctx)
}

// buffer is a pooled byte buffer for request and response bodies: at a
// thousand reviews a second, growing a fresh buffer for each was a tenth of
// the memory a decision allocated.
type buffer struct{ bytes.Buffer }

var buffers = sync.Pool{New: func() any { return new(buffer) }}

func newBuffer() *buffer { return buffers.Get().(*buffer) }

// release returns the buffer to the pool, unless one rare large review
// grew it: the pool must not keep megabytes alive for the common case.
func (b *buffer) release() {
	if b.Cap() > 1<<20 {
		return
	}
	b.Reset()
	buffers.Put(b)
}

// readBody reads a POSTed JSON body into a pooled buffer, which the caller
// releases.
func readBody(w http.ResponseWriter, r *http.Request) (*buffer, int, error) {
	if r.Method != http.MethodPost {
		return nil, http.StatusMethodNotAllowed, fmt.Errorf("%w: method %s, want POST", ErrMalformed, r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("%w: content type %q, want application/json", ErrMalformed, ct)
	}
	tooLarge := fmt.Errorf("%w: body larger than %d bytes", ErrMalformed, MaxBodyBytes)
	if r.ContentLength > MaxBodyBytes {
		return nil, http.StatusRequestEntityTooLarge, tooLarge
	}
	b := newBuffer()
	if r.ContentLength > 0 {
		// One read to EOF past the announced length, without regrowing.
		b.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	if _, err := b.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBodyBytes)); err != nil {
		b.release()
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return nil, http.StatusRequestEntityTooLarge, tooLarge
		}
		return nil, http.StatusBadRequest, fmt.Errorf("reading the body: %w", err)
	}
	if b.Len() == 0 {
		b.release()
		return nil, http.StatusBadRequest, fmt.Errorf("%w: empty body", ErrMalformed)
	}
	return b, 0, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	b := newBuffer()
	defer b.release()
	if err := json.NewEncoder(b).Encode(v); err != nil {
		http.Error(w, "encoding the response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = w.Write(b.Bytes())
}

func allow(warnings ...string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{Allowed: true, Warnings: warnings}
}

func deny(message string, warnings ...string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{
		Allowed:  false,
		Warnings: warnings,
		Result: &metav1.Status{
			Status:  metav1.StatusFailure,
			Code:    http.StatusForbidden,
			Reason:  metav1.StatusReasonForbidden,
			Message: message,
		},
	}
}

func resultOf(r *admissionv1.AdmissionResponse) string {
	switch {
	case !r.Allowed:
		return "denied"
	case len(r.Warnings) > 0:
		return "warned"
	default:
		return "allowed"
	}
}
