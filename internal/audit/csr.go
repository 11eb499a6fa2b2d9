package audit

import (
	"crypto/x509"
	"encoding/pem"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	certificatesv1 "k8s.io/api/certificates/v1"
)

func init() {
	register(&Check{
		ID:    "node-kubelet-csr-pending",
		Title: "Kubelet serving certificate request pending",
		Description: "Fires on a CertificateSigningRequest for signer kubernetes.io/kubelet-serving that is neither approved nor denied. " +
			"kube-controller-manager never approves these on its own, because a node may ask for any DNS name or IP address: until someone checks and approves it, " +
			"the kubelet has no serving certificate the API server can verify, which tempts operators into --kubelet-insecure-tls; an unchecked bulk approval instead lets a node impersonate other names. " +
			"Mapped to CIS-K8S 4.2.11, kubelet serving certificate rotation, which is what makes kubelets request these certificates.",
		Severity:    finding.Medium,
		Remediation: "Check that the requested names and addresses belong to the requesting node, then kubectl certificate approve (or deny) the request; run an approver that does this check automatically for new requests.",
		Controls:    []string{"NIST-800-190:4.3.5", "CIS-K8S:4.2.11"},
		Section:     "4.3.5",
		Needs:       []string{"certificatesigningrequests.certificates.k8s.io"},
		Run:         runKubeletCSRPending,
	})
}

func runKubeletCSRPending(inv *inventory.Inventory, cfg *Config) []finding.Finding {
	var out []finding.Finding
	for _, c := range all[*certificatesv1.CertificateSigningRequest](inv) {
		if c.v.Spec.SignerName != certificatesv1.KubeletServingSignerName || decided(c.v) {
			continue
		}
		msg := "CertificateSigningRequest " + strconv.Quote(c.obj.Name) + " for a kubelet serving certificate"
		if c.v.Spec.Username != "" {
			msg += ", from " + c.v.Spec.Username + ","
		}
		msg += " is neither approved nor denied"
		if d, ok := age(c.v, cfg.Now); ok {
			msg += " after " + days(d)
		}
		if names := requestedNames(c.v.Spec.Request); names != "" {
			msg += "; it asks for " + names
		}
		out = append(out, report(c.obj, "status", finding.Medium, "%s", msg))
	}
	return out
}

// decided reports whether a request has been approved or denied.
func decided(c *certificatesv1.CertificateSigningRequest) bool {
	for _, cond := range c.Status.Conditions {
		if cond.Type == certificatesv1.CertificateApproved || cond.Type == certificatesv1.CertificateDenied {
			return true
		}
	}
	return false
}

// requestedNames lists the DNS names and IP addresses a PEM certificate
// request asks for, or "" when it cannot be read.
func requestedNames(request []byte) string {
	block, _ := pem.Decode(request)
	if block == nil {
		return ""
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return ""
	}
	var names []string
	names = append(names, req.DNSNames...)
	for _, ip := range req.IPAddresses {
		names = append(names, ip.String())
	}
	return strings.Join(names, ", ")
}
