package workload

import "testing"

// serviceAccountPods covers every combination of the service account
// fields, one pod spec (indented for a Pod) per name.
var serviceAccountPods = []struct{ name, spec string }{
	{"unset", ""},
	{"explicit default", "serviceAccountName: default\n  automountServiceAccountToken: true"},
	{"own account", "serviceAccountName: web\n  automountServiceAccountToken: false"},
	{"deprecated only", "serviceAccount: web"},
	{"deprecated default", "serviceAccount: default"},
	{"both equal", "serviceAccountName: web\n  serviceAccount: web"},
	{"both differ", "serviceAccountName: web\n  serviceAccount: default"},
}

// serviceAccountCases turns serviceAccountPods into check cases; want maps
// a pod's name to the path where the check fires on it.
func serviceAccountCases(want map[string]string) []checkCase {
	var out []checkCase
	for _, p := range serviceAccountPods {
		tc := checkCase{name: p.name, manifest: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  " + p.spec + "\n  containers: [{name: a, image: x}]\n"}
		if w, ok := want[p.name]; ok {
			tc.want = []string{w}
		}
		out = append(out, tc)
	}
	return out
}

func TestAutomountServiceAccountToken(t *testing.T) {
	const p = "spec.automountServiceAccountToken"
	runCheckCases(t, "automount-service-account-token", serviceAccountCases(map[string]string{
		"unset": p, "explicit default": p, "deprecated only": p, "deprecated default": p, "both equal": p, "both differ": p,
	}))
	runCheckCases(t, "automount-service-account-token", []checkCase{
		{name: "controllers", manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      automountServiceAccountToken: false
      containers: [{name: a, image: x}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: a, image: x}]
`, want: []string{"spec.jobTemplate.spec.template.spec.automountServiceAccountToken"}},
		{name: "service account objects are not pods", manifest: `
apiVersion: v1
kind: ServiceAccount
metadata: {name: web}
`},
	})
}

func TestDefaultServiceAccount(t *testing.T) {
	runCheckCases(t, "default-service-account", serviceAccountCases(map[string]string{
		"unset": "spec.serviceAccountName", "explicit default": "spec.serviceAccountName", "deprecated default": "spec.serviceAccount",
	}))
	runCheckCases(t, "default-service-account", []checkCase{
		{name: "statefulset", manifest: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec:
  template:
    spec:
      containers: [{name: a, image: x}]
`, want: []string{"spec.template.spec.serviceAccountName"}},
	})
}

func TestDeprecatedServiceAccountField(t *testing.T) {
	runCheckCases(t, "deprecated-service-account-field", serviceAccountCases(map[string]string{
		"deprecated only": "spec.serviceAccount", "deprecated default": "spec.serviceAccount", "both differ": "spec.serviceAccount",
	}))
	runCheckCases(t, "deprecated-service-account-field", []checkCase{
		{name: "deployment", manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      serviceAccount: web
      containers: [{name: a, image: x}]
`, want: []string{"spec.template.spec.serviceAccount"}},
	})
}
