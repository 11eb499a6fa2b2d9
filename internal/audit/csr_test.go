package audit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"net"
	"testing"
)

// servingRequest returns a base64 PEM certificate request such as a
// kubelet makes for its serving certificate.
func servingRequest(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:     pkix.Name{CommonName: "system:node:worker-1", Organization: []string{"system:nodes"}},
		DNSNames:    []string{"worker-1"},
		IPAddresses: []net.IP{net.ParseIP("10.0.0.5")},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func TestNodeKubeletCSRPending(t *testing.T) {
	req := servingRequest(t)
	csr := func(name, signer, status string) string {
		return `
---
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: ` + name + `, creationTimestamp: "2026-05-30T00:00:00Z"}
spec:
  signerName: ` + signer + `
  username: "system:node:worker-1"
  usages: [digital signature, server auth]
  request: ` + req + `
status: ` + status + `
`
	}
	runCases(t, "node-kubelet-csr-pending", []auditCase{
		{name: "pending serving request", manifest: csr("csr-pending", "kubernetes.io/kubelet-serving", "{}"),
			want:     []string{"CertificateSigningRequest/csr-pending status medium"},
			contains: []string{`CertificateSigningRequest "csr-pending" for a kubelet serving certificate, from system:node:worker-1, is neither approved nor denied after 2 days; it asks for worker-1, 10.0.0.5`}},
		{name: "unreadable request", manifest: `
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: odd}
spec:
  signerName: kubernetes.io/kubelet-serving
  request: bm90IGEgcmVxdWVzdA==
`, want: []string{"CertificateSigningRequest/odd status medium"}},
		{name: "decided, failed after approval, or another signer", manifest: csr("approved", "kubernetes.io/kubelet-serving", `{conditions: [{type: Approved, status: "True"}]}`) +
			csr("denied", "kubernetes.io/kubelet-serving", `{conditions: [{type: Denied, status: "True"}]}`) +
			csr("failed", "kubernetes.io/kubelet-serving", `{conditions: [{type: Approved, status: "True"}, {type: Failed, status: "True"}]}`) +
			csr("client", "kubernetes.io/kube-apiserver-client-kubelet", "{}")},
	})
}
