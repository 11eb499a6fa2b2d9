package audit

import "testing"

const psaNamespaces = `
apiVersion: v1
kind: Namespace
metadata: {name: bare}
---
apiVersion: v1
kind: Namespace
metadata:
  name: enforced
  labels: {pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/warn: restricted}
---
apiVersion: v1
kind: Namespace
metadata:
  name: wide-open
  labels: {pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: v1
kind: Namespace
metadata:
  name: watched
  labels: {pod-security.kubernetes.io/audit: baseline, pod-security.kubernetes.io/warn: restricted}
---
apiVersion: v1
kind: Namespace
metadata:
  name: kube-system
  labels: {pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-public}
`

func TestNamespaceNoPodSecurity(t *testing.T) {
	runCases(t, "namespace-no-pod-security", []auditCase{
		{name: "one bare namespace", manifest: psaNamespaces, want: []string{"Namespace/bare metadata.labels medium"},
			contains: []string{`namespace "bare" has no Pod Security Admission label, so any pod is admitted there, unless the API server's admission configuration sets a cluster-wide default`}},
		{name: "only version labels", manifest: `
apiVersion: v1
kind: Namespace
metadata:
  name: pinned
  labels: {pod-security.kubernetes.io/enforce-version: v1.37}
`, want: []string{"Namespace/pinned metadata.labels medium"}},
		{name: "configured system namespaces", config: &Config{SystemNamespaces: []string{"bare", "kube-public"}}, manifest: psaNamespaces},
		{name: "labelled", manifest: `
apiVersion: v1
kind: Namespace
metadata:
  name: app
  labels: {pod-security.kubernetes.io/enforce: baseline}
`},
	})
}

func TestNamespacePodSecurityPrivileged(t *testing.T) {
	runCases(t, "namespace-pod-security-privileged", []auditCase{
		{name: "privileged outside kube-system", manifest: psaNamespaces,
			want:     []string{`Namespace/wide-open metadata.labels["pod-security.kubernetes.io/enforce"] high`},
			contains: []string{`namespace "wide-open" enforces the privileged Pod Security level`}},
		{name: "kube-system is a system namespace unless configured otherwise", config: &Config{SystemNamespaces: []string{}}, manifest: `
apiVersion: v1
kind: Namespace
metadata:
  name: kube-system
  labels: {pod-security.kubernetes.io/enforce: privileged}
`, want: []string{`Namespace/kube-system metadata.labels["pod-security.kubernetes.io/enforce"] high`}},
		{name: "baseline and restricted", manifest: `
apiVersion: v1
kind: Namespace
metadata:
  name: a
  labels: {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/audit: privileged}
---
apiVersion: v1
kind: Namespace
metadata:
  name: b
  labels: {pod-security.kubernetes.io/enforce: restricted}
`},
	})
}

func TestNamespacePodSecurityAuditOnly(t *testing.T) {
	runCases(t, "namespace-pod-security-audit-only", []auditCase{
		{name: "warn and audit without enforce", manifest: psaNamespaces, want: []string{"Namespace/watched metadata.labels low"},
			contains: []string{`namespace "watched" sets pod-security.kubernetes.io/warn=restricted and pod-security.kubernetes.io/audit=baseline but no pod-security.kubernetes.io/enforce label`}},
		{name: "warn only", manifest: `
apiVersion: v1
kind: Namespace
metadata:
  name: w
  labels: {pod-security.kubernetes.io/warn: baseline}
`, want: []string{"Namespace/w metadata.labels low"}},
		{name: "enforced or bare", manifest: `
apiVersion: v1
kind: Namespace
metadata:
  name: a
  labels: {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/warn: restricted}
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
`},
	})
}
