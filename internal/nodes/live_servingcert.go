package nodes

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	certificatesv1 "k8s.io/api/certificates/v1"
)

const csrResource = "certificatesigningrequests.certificates.k8s.io"

var servingCertCheck = &audit.Check{
	ID:    "kubelet-serving-cert-rotation",
	Title: "Kubelet serving certificate not rotated",
	Description: "Fires for each node whose kubelet serves a certificate the cluster does not issue and rotate: its /configz (rampart audit --kubelet-config) says serverTLSBootstrap is false " +
		"(a self-signed certificate, or a fixed tlsCertFile) or turns the RotateKubeletServerCertificate gate off, or every kubernetes.io/kubelet-serving CertificateSigningRequest " +
		"of the node was denied, or the controller manager's mirror Pod turns RotateKubeletServerCertificate off (CIS 1.3.6). " +
		"A node's CertificateSigningRequests are evidence that it bootstraps its serving certificate; their absence is not evidence of the contrary (kube-controller-manager deletes issued requests after an hour), " +
		"so a node with neither a readable /configz nor a request is not assessed.",
	Severity:    finding.Medium,
	Remediation: "In each kubelet's configuration set serverTLSBootstrap: true (and leave RotateKubeletServerCertificate on), approve the kubelet-serving requests after checking their names, and remove RotateKubeletServerCertificate=false from the controller manager's --feature-gates.",
	Controls:    []string{"NIST-800-190:4.3.5", "NIST-800-190:4.3.2", "CIS-K8S:4.2.11", "CIS-K8S:1.3.6"},
	Section:     "4.3.5",
	Needs:       []string{"nodes"},
	Assess:      assessServingCerts,
}

// servingRequests are one node's kubelet-serving requests.
type servingRequests struct {
	names          []string
	issued, denied int
}

// kubeletServingCSRs groups kubelet-serving requests by the node that
// made them (user system:node:NAME).
func kubeletServingCSRs(inv *inventory.Inventory) map[string]*servingRequests {
	out := map[string]*servingRequests{}
	for _, o := range inv.Objects {
		csr, ok := o.Typed.(*certificatesv1.CertificateSigningRequest)
		if !ok || csr.Spec.SignerName != certificatesv1.KubeletServingSignerName {
			continue
		}
		node, ok := strings.CutPrefix(csr.Spec.Username, "system:node:")
		if !ok {
			continue
		}
		r := out[node]
		if r == nil {
			r = &servingRequests{}
			out[node] = r
		}
		r.names = append(r.names, o.Name)
		if len(csr.Status.Certificate) > 0 {
			r.issued++
		}
		for _, c := range csr.Status.Conditions {
			if c.Type == certificatesv1.CertificateDenied || c.Type == certificatesv1.CertificateFailed {
				r.denied++
				break
			}
		}
	}
	return out
}

// controllerManagerGateOff returns the controller manager mirror Pod that
// turns RotateKubeletServerCertificate off, if any.
func controllerManagerGateOff(inv *inventory.Inventory) (finding.ObjectRef, bool) {
	for _, cfg := range nodeConfigs(inv) {
		if p := cfg.ControllerManager; p != nil {
			if on, _, set := p.Cmd.FeatureGate("RotateKubeletServerCertificate"); set && !on {
				return p.Object, true
			}
		}
	}
	return finding.ObjectRef{}, false
}

func assessServingCerts(inv *inventory.Inventory, _ *audit.Config) audit.Assessment {
	var a audit.Assessment
	configz := map[string]kubeletTarget{}
	for _, t := range kubeletTargets(inv) {
		configz[t.node] = t
	}
	csrsVisible := inv.Cluster.Assessed(csrResource)
	csrs := kubeletServingCSRs(inv)
	kcm, kcmOff := controllerManagerGateOff(inv)
	for _, n := range inv.ByKind("Node") {
		if n.APIVersion != "v1" {
			continue
		}
		ref := nodeRef(n.Name)
		fail := func(format string, args ...any) {
			a.Findings = append(a.Findings, finding.Finding{Severity: finding.Medium, Object: ref,
				Message: fmt.Sprintf("node %q: ", n.Name) + fmt.Sprintf(format, args...)})
		}
		if kcmOff {
			fail("the controller manager (%s) turns RotateKubeletServerCertificate off, so kubelet serving certificates are not rotated", kcm)
			continue
		}
		if t, ok := configz[n.Name]; ok && t.kubelet != nil {
			boot, _ := t.kubelet.Get(kServerBoot)
			gate := kubeletGate("RotateKubeletServerCertificate")(&Config{Kubelet: t.kubelet})
			switch {
			case len(gate) == 1 && gate[0].Status == Fail:
				fail("its /configz turns the RotateKubeletServerCertificate feature gate off: the serving certificate is never renewed")
			case boot.Text != "true":
				fail("%s in its /configz: the kubelet serves a certificate it signed itself (or a fixed tlsCertFile) that the cluster neither issues nor rotates", boot)
			}
			continue
		}
		if r := csrs[n.Name]; r != nil {
			if r.denied == len(r.names) {
				fail("every kubelet serving certificate request of the node (%s) was denied or failed: the kubelet serves a self-signed certificate", strings.Join(r.names, ", "))
			}
			continue // it bootstraps its serving certificate
		}
		why := "its /configz was not read (rampart audit --kubelet-config)"
		if t, ok := configz[n.Name]; ok {
			why = t.why
		}
		if csrsVisible {
			why += ", and no kubernetes.io/kubelet-serving CertificateSigningRequest from system:node:" + n.Name + " is in the cluster (issued requests are deleted after an hour, so that proves nothing)"
		} else {
			why += ", and CertificateSigningRequests could not be read"
		}
		a.NotAssessed = append(a.NotAssessed, audit.Unassessed{Object: ref, Reason: why})
	}
	return a
}
