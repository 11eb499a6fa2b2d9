package admission

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
	admissionv1 "k8s.io/api/admission/v1"
)

// benchPolicy runs the full catalog (opt-in checks included) in warn mode
// with a block override, as a cluster would.
const benchPolicy = `trustedRegistries: [registry.example.com/]
webhook:
  admission:
    mode: warn
    checks: {privileged-container: block}
`

func typicalDeploymentReview(b testing.TB) []byte {
	d := deployment("web", nil)
	d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, d.Spec.Template.Spec.Containers[0])
	d.Spec.Template.Spec.Containers[1].Name = "sidecar"
	return admissiontest.Review(b, admissiontest.Request{Kind: deploymentKind, Resource: "deployments", Group: "apps",
		Namespace: "shop", Name: "web", Operation: admissionv1.Update, User: "system:serviceaccount:ci:deployer", Object: d, OldObject: d})
}

// BenchmarkAdmitDeployment is one decision for a typical Deployment
// update (old and new object, two containers), decoding to encoding,
// without the network.
func BenchmarkAdmitDeployment(b *testing.B) {
	p := mustPolicy(b, benchPolicy)
	ep := &reviewEndpoint{kind: "workloads", handler: NewWorkloads(static(p), &memLog{}).Handler(), budget: DefaultBudget, metrics: NewMetrics()}
	body := typicalDeploymentReview(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, PathWorkloads, bytes.NewReader(body))
		ep.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkAdmissionTLS drives the server over TLS on loopback at a fixed
// 1,000 requests per second for one second per iteration (open loop:
// latency counts from when a request was due, so a stall is not hidden)
// and reports the latency percentiles.
func BenchmarkAdmissionTLS(b *testing.B) {
	srv := NewServer(Config{Policy: mustPolicy(b, benchPolicy), Log: &memLog{}})
	certs := admissiontest.NewCerts(b, b.TempDir())
	reloader, err := NewCertReloader(certs.CertFile, certs.KeyFile, time.Second, nil)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l, reloader.TLSConfig(), time.Second) }()
	defer func() { cancel(); <-served }()

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certs.CAPEM)
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256,
	}}
	url := "https://" + l.Addr().String() + PathWorkloads
	body := typicalDeploymentReview(b)
	// Warm the connections, as the API server keeps them alive.
	if _, err := load(client, url, body, 1000, 200*time.Millisecond); err != nil {
		b.Fatal(err)
	}
	var all []time.Duration
	b.ResetTimer()
	for b.Loop() {
		lat, err := load(client, url, body, 1000, time.Second)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, lat...)
	}
	b.StopTimer()
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
	b.ReportMetric(float64(len(all)), "requests")
}

// load sends rate requests per second for d and returns their latencies.
func load(client *http.Client, url string, body []byte, rate int, d time.Duration) ([]time.Duration, error) {
	n := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
				return
			}
			lat[i] = time.Since(due)
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return lat, nil
}
