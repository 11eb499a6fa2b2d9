package admission

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
	"github.com/rampart-dev/rampart/internal/policy"
	"github.com/rampart-dev/rampart/internal/workload"
	admissionv1 "k8s.io/api/admission/v1"
)

// The latency the API server sees, over TLS from another process, is
// measured by BenchmarkWebhookServe in package loadgen; the benchmarks here
// count the CPU time and memory of one decision.

func typicalDeploymentReview(b testing.TB) []byte {
	d := admissiontest.TypicalDeployment("web")
	return admissiontest.Review(b, admissiontest.Request{Kind: deploymentKind, Resource: "deployments", Group: "apps",
		Namespace: "shop", Name: "web", Operation: admissionv1.Update, User: "system:serviceaccount:ci:deployer", Object: d, OldObject: d})
}

func benchPolicy(b testing.TB) *policy.Policy {
	p, err := policy.Parse([]byte(admissiontest.BenchPolicy), workload.KnownIDs())
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkAdmitDeployment is one decision for a typical Deployment
// update (old and new object, two containers, one warning), decoding to
// encoding and the decision log record, without the network.
func BenchmarkAdmitDeployment(b *testing.B) {
	log := NewStreamLog(discard{})
	defer log.Close()
	ep := &reviewEndpoint{kind: "workloads", handler: NewWorkloads(static(benchPolicy(b)), log).Handler(), decode: decodeWorkloadReview, budget: DefaultBudget, metrics: NewMetrics()}
	body := typicalDeploymentReview(b)
	req := httptest.NewRequest(http.MethodPost, PathWorkloads, nil)
	rec := &reusedRecorder{header: http.Header{}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rec.reset()
		req.Body = readCloser{bytes.NewReader(body)}
		req.ContentLength = int64(len(body))
		ep.ServeHTTP(rec, req)
		if rec.code != 0 && rec.code != 200 {
			b.Fatal(rec.code, rec.body.String())
		}
		if !bytes.Contains(rec.body.Bytes(), []byte(`"allowed":true`)) || !bytes.Contains(rec.body.Bytes(), []byte("image-not-pinned")) {
			b.Fatalf("answer %s, want an admission with the image-not-pinned warning", rec.body.String())
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// reusedRecorder is an http.ResponseWriter that the benchmark reuses, so
// that its allocations are the handler's alone.
type reusedRecorder struct {
	header http.Header
	body   bytes.Buffer
	code   int
}

func (r *reusedRecorder) reset() {
	clear(r.header)
	r.body.Reset()
	r.code = 0
}
func (r *reusedRecorder) Header() http.Header         { return r.header }
func (r *reusedRecorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func (r *reusedRecorder) WriteHeader(code int)        { r.code = code }
