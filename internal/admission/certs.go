package admission

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// CertReloader serves a certificate and key from files and picks up new
// ones (cert-manager or a Secret update rewrites them) without a restart:
// at most once per interval a handshake checks the files' modification
// times and sizes and reloads when they changed. A pair that fails to load
// (e.g. caught half-written) keeps the old certificate in service.
type CertReloader struct {
	certFile, keyFile string
	interval          time.Duration
	onError           func(error)

	mu        sync.Mutex
	cert      *tls.Certificate
	checked   time.Time
	certStamp stamp
	keyStamp  stamp
}

type stamp struct {
	mod  time.Time
	size int64
}

// NewCertReloader loads the pair once and fails when it cannot.
func NewCertReloader(certFile, keyFile string, interval time.Duration, onError func(error)) (*CertReloader, error) {
	r := &CertReloader{certFile: certFile, keyFile: keyFile, interval: interval, onError: onError}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func stampOf(file string) (stamp, error) {
	st, err := os.Stat(file)
	if err != nil {
		return stamp{}, err
	}
	return stamp{st.ModTime(), st.Size()}, nil
}

func (r *CertReloader) load() error {
	cs, err := stampOf(r.certFile)
	if err != nil {
		return fmt.Errorf("reading the serving certificate: %w", err)
	}
	ks, err := stampOf(r.keyFile)
	if err != nil {
		return fmt.Errorf("reading the serving key: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("loading the serving certificate %s: %w", r.certFile, err)
	}
	r.cert, r.certStamp, r.keyStamp = &cert, cs, ks
	return nil
}

// GetCertificate is for tls.Config.GetCertificate.
func (r *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) >= r.interval {
		r.checked = time.Now()
		cs, err1 := stampOf(r.certFile)
		ks, err2 := stampOf(r.keyFile)
		if err1 == nil && err2 == nil && (cs != r.certStamp || ks != r.keyStamp) {
			if err := r.load(); err != nil && r.onError != nil {
				r.onError(err)
			}
		}
	}
	return r.cert, nil
}

// TLSConfig returns a server configuration that uses the reloader.
func (r *CertReloader) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
}
