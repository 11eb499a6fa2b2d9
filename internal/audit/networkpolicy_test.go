package audit

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const appDeployment = `
apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: app}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
`

func TestNamespaceNoNetworkPolicy(t *testing.T) {
	runCases(t, "namespace-no-networkpolicy", []auditCase{
		{name: "workloads and no policy", manifest: appDeployment + `
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: app}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: r, image: r}]
`, want: []string{"Namespace/app  high"},
			contains: []string{`namespace "app" runs 2 workloads (Deployment/web, CronJob/report) but has no NetworkPolicy`}},
		{name: "namespace object not in the inventory", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: lonely}
spec:
  containers: [{name: a, image: a}]
`, want: []string{"Namespace/lonely metadata.namespace high"}, contains: []string{"runs 1 workload (Pod/p)"}},
		{name: "a policy elsewhere does not count", manifest: appDeployment + `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: other}
spec:
  podSelector: {}
`, want: []string{"Namespace/app  high"}},
		{name: "any policy in the namespace", manifest: appDeployment + `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: app}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{}]
`},
		{name: "no workloads, system namespaces", manifest: `
apiVersion: v1
kind: Namespace
metadata: {name: idle}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: idle}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: kube-system}
spec:
  selector: {matchLabels: {k: p}}
  template:
    metadata: {labels: {k: p}}
    spec:
      containers: [{name: p, image: p}]
`},
		{name: "configured system namespaces", config: &Config{SystemNamespaces: []string{"app"}}, manifest: appDeployment},
		{name: "many workloads are summarised", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: busy}
spec: {containers: [{name: a, image: a}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: busy}
spec: {containers: [{name: a, image: a}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: busy}
spec: {containers: [{name: a, image: a}]}
---
apiVersion: v1
kind: Pod
metadata: {name: d, namespace: busy}
spec: {containers: [{name: a, image: a}]}
---
apiVersion: v1
kind: Pod
metadata: {name: e, namespace: busy}
spec: {containers: [{name: a, image: a}]}
`, want: []string{"Namespace/busy metadata.namespace high"}, contains: []string{"runs 5 workloads (Pod/a, Pod/b, Pod/c and 2 more)"}},
	})
}

func TestNamespaceNoDefaultDenyIngress(t *testing.T) {
	runCases(t, "namespace-no-default-deny-ingress", []auditCase{
		{name: "only allow policies", manifest: appDeployment + `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: app}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {}}]}]
`, want: []string{"Namespace/app  medium"},
			contains: []string{`namespace "app" has 1 NetworkPolicy (allow-web) but none denies ingress by default`}},
		{name: "empty selector that allows everything", manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all, namespace: app}
spec:
  podSelector: {}
  ingress: [{}]
`, want: []string{"Namespace/app  medium"}},
		{name: "egress-only default deny", manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: app}
spec:
  podSelector: {}
  policyTypes: [Egress]
`, want: []string{"Namespace/app  medium"}},
		{name: "selector with expressions is not all pods", manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-some, namespace: app}
spec:
  podSelector:
    matchExpressions: [{key: app, operator: Exists}]
  policyTypes: [Ingress]
`, want: []string{"Namespace/app  medium"}},
		{name: "default deny without policyTypes", manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: app}
spec:
  podSelector: {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web, namespace: app}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{}]
`},
		{name: "default deny with policyTypes", manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: app}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`},
		{name: "no policies, system namespace", manifest: appDeployment + `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow, namespace: kube-system}
spec:
  podSelector: {matchLabels: {k8s-app: kube-dns}}
  ingress: [{}]
`},
	})
}

func TestNamespaceNoDefaultDenyEgress(t *testing.T) {
	runCases(t, "namespace-no-default-deny-egress", []auditCase{
		{name: "policy without policyTypes or egress rules governs no egress", manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: app}
spec:
  podSelector: {}
`, want: []string{"Namespace/app  low"},
			contains: []string{`namespace "app" has 1 NetworkPolicy (deny) but none denies egress by default (podSelector: {}, policyTypes including Egress, no egress rules)`}},
		{name: "egress rules make it an allow policy", manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns, namespace: app}
spec:
  podSelector: {}
  egress: [{ports: [{port: 53, protocol: UDP}]}]
`, want: []string{"Namespace/app  low"}},
		{name: "several namespaces, sorted", manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: zeta}
spec: {podSelector: {}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: alpha}
spec: {podSelector: {}}
`, want: []string{"Namespace/alpha  low", "Namespace/zeta  low"}},
		{name: "default deny egress", manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: app}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: []
`},
		{name: "default deny both", manifest: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: app}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`},
	})
}

// TestDefaultDeny is the truth table of policyTypes defaulting.
func TestDefaultDeny(t *testing.T) {
	all := metav1.LabelSelector{}
	some := metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}
	in, eg := networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress
	rule := []networkingv1.NetworkPolicyIngressRule{{}}
	erule := []networkingv1.NetworkPolicyEgressRule{{}}
	tests := []struct {
		name                      string
		spec                      networkingv1.NetworkPolicySpec
		wantIn, wantEg            bool // policy types
		wantDenyIn, wantDenyEgres bool
	}{
		{"empty", networkingv1.NetworkPolicySpec{PodSelector: all}, true, false, true, false},
		{"ingress rules", networkingv1.NetworkPolicySpec{PodSelector: all, Ingress: rule}, true, false, false, false},
		{"egress rules", networkingv1.NetworkPolicySpec{PodSelector: all, Egress: erule}, true, true, true, false},
		{"types egress", networkingv1.NetworkPolicySpec{PodSelector: all, PolicyTypes: []networkingv1.PolicyType{eg}}, false, true, false, true},
		{"types both", networkingv1.NetworkPolicySpec{PodSelector: all, PolicyTypes: []networkingv1.PolicyType{in, eg}}, true, true, true, true},
		{"types ingress with egress rules", networkingv1.NetworkPolicySpec{PodSelector: all, PolicyTypes: []networkingv1.PolicyType{in}, Egress: erule}, true, false, true, false},
		{"some pods", networkingv1.NetworkPolicySpec{PodSelector: some, PolicyTypes: []networkingv1.PolicyType{in, eg}}, true, true, false, false},
	}
	for _, tc := range tests {
		p := &networkingv1.NetworkPolicy{Spec: tc.spec}
		gotIn, gotEg := policyTypes(p)
		if gotIn != tc.wantIn || gotEg != tc.wantEg {
			t.Errorf("%s: policyTypes = %v, %v; want %v, %v", tc.name, gotIn, gotEg, tc.wantIn, tc.wantEg)
		}
		if got := defaultDeny(p, true); got != tc.wantDenyIn {
			t.Errorf("%s: default deny ingress = %v, want %v", tc.name, got, tc.wantDenyIn)
		}
		if got := defaultDeny(p, false); got != tc.wantDenyEgres {
			t.Errorf("%s: default deny egress = %v, want %v", tc.name, got, tc.wantDenyEgres)
		}
	}
}
