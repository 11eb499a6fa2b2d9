package admission

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
)

func TestCertReload(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, caPEM := admissiontest.SelfSignedCA(t)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	admissiontest.WriteServing(t, ca, caKey, certFile, keyFile, "first")
	r, err := NewCertReloader(certFile, keyFile, 0, func(err error) { t.Log(err) })
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", r.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}), ReadHeaderTimeout: time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	servedCN := func() string {
		conn, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if cn := servedCN(); cn != "first" {
		t.Fatalf("serving %q, want first", cn)
	}
	// Files rewritten in place, as a mounted Secret update does.
	time.Sleep(10 * time.Millisecond) // a distinct modification time
	admissiontest.WriteServing(t, ca, caKey, certFile, keyFile, "second")
	if cn := servedCN(); cn != "second" {
		t.Fatalf("serving %q after the files changed, want second", cn)
	}
	// A broken pair keeps the last good certificate in service.
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cn := servedCN(); cn != "second" {
		t.Fatalf("serving %q after a bad write, want second", cn)
	}
	if _, err := NewCertReloader(certFile, keyFile, 0, nil); err == nil {
		t.Error("a bad pair loaded at start")
	}
}
