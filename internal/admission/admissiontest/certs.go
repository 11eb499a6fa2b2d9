// Package admissiontest makes what webhook tests need: a CA and a serving
// certificate for loopback, and AdmissionReview bodies.
package admissiontest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Certs holds a CA and a serving certificate for 127.0.0.1 and localhost.
type Certs struct {
	CAPEM    []byte
	CertFile string
	KeyFile  string
}

// NewCerts writes a fresh CA-signed serving certificate into dir.
func NewCerts(t testing.TB, dir string) Certs {
	t.Helper()
	ca, caKey, caPEM := SelfSignedCA(t)
	c := Certs{CAPEM: caPEM, CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key")}
	WriteServing(t, ca, caKey, c.CertFile, c.KeyFile, "rampart-webhook")
	return c
}

// WriteServing issues a serving certificate with common name cn, signed by
// ca, and writes it and its key.
func WriteServing(t testing.TB, ca *x509.Certificate, caKey *ecdsa.PrivateKey, certFile, keyFile, cn string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// SelfSignedCA returns a CA for WriteServing.
func SelfSignedCA(t testing.TB) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "rampart-test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	return ca, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Request is an admission request for an object given as JSON.
type Request struct {
	Kind        metav1.GroupVersionKind
	Resource    string
	Group       string
	SubResource string
	Namespace   string
	Name        string
	Operation   admissionv1.Operation
	User        string
	Groups      []string
	Object      any
	OldObject   any
}

// Review returns the AdmissionReview the API server would send.
func Review(t testing.TB, r Request) []byte {
	t.Helper()
	raw := func(v any) []byte {
		if v == nil {
			return nil
		}
		if b, ok := v.([]byte); ok {
			return b
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rev := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:         types.UID("uid-1"),
			Kind:        r.Kind,
			Resource:    metav1.GroupVersionResource{Group: r.Group, Version: r.Kind.Version, Resource: r.Resource},
			SubResource: r.SubResource,
			Namespace:   r.Namespace,
			Name:        r.Name,
			Operation:   r.Operation,
			UserInfo:    authenticationv1.UserInfo{Username: r.User, Groups: r.Groups},
		},
	}
	rev.Request.Object.Raw = raw(r.Object)
	rev.Request.OldObject.Raw = raw(r.OldObject)
	b, err := json.Marshal(rev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
