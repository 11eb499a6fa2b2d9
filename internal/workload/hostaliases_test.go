package workload

import "testing"

func TestHostAliases(t *testing.T) {
	runCheckCases(t, "host-aliases", []checkCase{
		{name: "pod", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostAliases:
  - {ip: 10.0.0.9, hostnames: [api.internal, vault.internal]}
  - {ip: "::1", hostnames: [login.example.com]}
  containers: [{name: a, image: x}]
`, want: []string{"spec.hostAliases[0]", "spec.hostAliases[1]"}},
		{name: "deployment", manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      hostAliases:
      - {ip: 127.0.0.1, hostnames: [metrics.example.com]}
      containers: [{name: a, image: x}]
`, want: []string{"spec.template.spec.hostAliases[0]"}},
		{name: "none", manifest: `
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec:
      hostAliases: []
      containers: [{name: a, image: x}]
`},
	})
}
