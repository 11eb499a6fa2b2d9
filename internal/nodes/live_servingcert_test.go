package nodes

import (
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/inventory"
)

func csr(name, node, conditions string) string {
	return `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: ` + name + `}
spec:
  signerName: kubernetes.io/kubelet-serving
  username: system:node:` + node + `
  usages: [digital signature, server auth]
  request: ""
status:
` + conditions
}

func TestServingCertRotation(t *testing.T) {
	issued := "  conditions: [{type: Approved, status: \"True\"}]\n  certificate: Y2VydA==\n"
	denied := "  conditions: [{type: Denied, status: \"True\"}]\n"
	kcmOff := strings.Replace(pod(ControllerManager, "--feature-gates=RotateKubeletServerCertificate=false"), "spec:\n", "spec:\n  nodeName: cp\n", 1)
	tests := []struct {
		name     string
		docs     []string
		configz  []*inventory.Object
		noCSRs   bool
		findings []string
		na       []string
	}{
		{name: "configz decides",
			configz: []*inventory.Object{
				configz(t, "boot", map[string]any{"serverTLSBootstrap": true}),
				configz(t, "self", nil),
				configz(t, "gate", map[string]any{"serverTLSBootstrap": true, "featureGates": map[string]any{"RotateKubeletServerCertificate": false}}),
			},
			findings: []string{"kubelet-serving-cert-rotation gate", "kubelet-serving-cert-rotation self"},
			na:       []string{"kubelet-serving-cert-rotation deny: no configz record for this node (it joined after the kubelets were asked), and no kubernetes.io/kubelet-serving CertificateSigningRequest from system:node:deny is in the cluster (issued requests are deleted after an hour, so that proves nothing)"}},
		{name: "requests are evidence, denied ones against",
			docs:     []string{csr("csr-1", "boot", issued), csr("csr-2", "deny", denied), csr("csr-3", "deny", denied)},
			findings: []string{"kubelet-serving-cert-rotation deny"},
			na: []string{
				"kubelet-serving-cert-rotation gate: its /configz was not read (rampart audit --kubelet-config), and no kubernetes.io/kubelet-serving CertificateSigningRequest from system:node:gate is in the cluster (issued requests are deleted after an hour, so that proves nothing)",
				"kubelet-serving-cert-rotation self: its /configz was not read (rampart audit --kubelet-config), and no kubernetes.io/kubelet-serving CertificateSigningRequest from system:node:self is in the cluster (issued requests are deleted after an hour, so that proves nothing)",
			}},
		{name: "nothing visible", noCSRs: true, na: []string{
			"kubelet-serving-cert-rotation boot: its /configz was not read (rampart audit --kubelet-config), and CertificateSigningRequests could not be read",
			"kubelet-serving-cert-rotation deny: its /configz was not read (rampart audit --kubelet-config), and CertificateSigningRequests could not be read",
			"kubelet-serving-cert-rotation gate: its /configz was not read (rampart audit --kubelet-config), and CertificateSigningRequests could not be read",
			"kubelet-serving-cert-rotation self: its /configz was not read (rampart audit --kubelet-config), and CertificateSigningRequests could not be read",
		}},
		{name: "a kubelet that could not be asked", noCSRs: true, configz: []*inventory.Object{configzError("gate", "no answer within 5s"), configz(t, "boot", map[string]any{"serverTLSBootstrap": true})},
			na: []string{
				"kubelet-serving-cert-rotation deny: no configz record for this node (it joined after the kubelets were asked), and CertificateSigningRequests could not be read",
				"kubelet-serving-cert-rotation gate: its kubelet configuration could not be read: no answer within 5s, and CertificateSigningRequests could not be read",
				"kubelet-serving-cert-rotation self: no configz record for this node (it joined after the kubelets were asked), and CertificateSigningRequests could not be read",
			}},
		{name: "controller manager turns it off", docs: []string{kcmOff},
			configz:  []*inventory.Object{configz(t, "boot", map[string]any{"serverTLSBootstrap": true})},
			findings: []string{"kubelet-serving-cert-rotation boot", "kubelet-serving-cert-rotation deny", "kubelet-serving-cert-rotation gate", "kubelet-serving-cert-rotation self"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := nodeObjects(t, "boot", "deny", "gate", "self")
			for i, d := range tc.docs {
				objs = append(objs, parseDoc(t, "doc"+string(rune('a'+i))+".yaml", d)...)
			}
			objs = append(objs, tc.configz...)
			info := &inventory.ClusterInfo{Version: "v1.37.2"}
			if tc.noCSRs {
				info.NotAssessed = []inventory.NotAssessed{{Resource: csrResource, Reason: "forbidden"}}
			}
			fs, na := kubeletAudit(&inventory.Inventory{Objects: objs, Cluster: info}, "kubelet-serving-cert-rotation")
			if !slices.Equal(fs, tc.findings) {
				t.Errorf("findings:\n got  %q\n want %q", fs, tc.findings)
			}
			if !slices.Equal(na, tc.na) {
				t.Errorf("not assessed:\n got  %q\n want %q", na, tc.na)
			}
		})
	}
}
