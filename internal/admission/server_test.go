package admission

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
)

// The server speaks HTTP/1.1 with keep-alive, as the API server calls
// webhooks, even to a client that offers HTTP/2.
func TestServeSpeaksKeepAliveHTTP1(t *testing.T) {
	srv := NewServer(Config{Policy: benchPolicy(t), Log: &memLog{}})
	certs := admissiontest.NewCerts(t, t.TempDir())
	reloader, err := NewCertReloader(certs.CertFile, certs.KeyFile, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l, reloader.TLSConfig(), time.Second) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certs.CAPEM)
	dials := 0
	transport := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials++
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	body := typicalDeploymentReview(t)
	for range 3 {
		resp, err := client.Post("https://"+l.Addr().String()+PathWorkloads, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 1 {
			t.Fatalf("status %d over %s: %s", resp.StatusCode, resp.Proto, out)
		}
		if !strings.Contains(string(out), `"allowed":true`) {
			t.Fatalf("answer %s", out)
		}
	}
	if dials != 1 {
		t.Errorf("%d connections for 3 requests, want one kept alive", dials)
	}
	if got := srv.Metrics().Decisions("workloads", "warned"); got != 3 {
		t.Errorf("%d warned decisions counted, want 3", got)
	}
}
