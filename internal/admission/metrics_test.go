package admission

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetricsExposition(t *testing.T) {
	m := NewMetrics()
	m.Observe("workloads", "denied", 300*time.Microsecond)
	m.Observe("workloads", "allowed", 3*time.Millisecond)
	m.Observe("workloads", "allowed", 5*time.Second)
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		`rampart_webhook_decisions_total{kind="workloads",result="allowed"} 2`,
		`rampart_webhook_decisions_total{kind="workloads",result="denied"} 1`,
		`rampart_webhook_request_duration_seconds_bucket{kind="workloads",le="0.0005"} 1`,
		`rampart_webhook_request_duration_seconds_bucket{kind="workloads",le="0.005"} 2`,
		`rampart_webhook_request_duration_seconds_bucket{kind="workloads",le="2.5"} 2`,
		`rampart_webhook_request_duration_seconds_bucket{kind="workloads",le="+Inf"} 3`,
		`rampart_webhook_request_duration_seconds_count{kind="workloads"} 3`,
		"# TYPE rampart_webhook_request_duration_seconds histogram",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q:\n%s", want, out)
		}
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
}
