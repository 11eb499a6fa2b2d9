package workload

import "testing"

func TestHostNamespaces(t *testing.T) {
	const pod = `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  hostPID: true
  hostIPC: false
  containers:
  - {name: a, image: x}
`
	const template = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: d}
spec:
  template:
    spec:
      hostIPC: true
      containers:
      - {name: a, image: x}
`
	runCheckCases(t, "host-network", []checkCase{
		{name: "set", manifest: pod, want: []string{"spec.hostNetwork"}},
		{name: "unset", manifest: template},
	})
	runCheckCases(t, "host-pid", []checkCase{
		{name: "set", manifest: pod, want: []string{"spec.hostPID"}},
		{name: "unset", manifest: template},
	})
	runCheckCases(t, "host-ipc", []checkCase{
		{name: "false", manifest: pod},
		{name: "template", manifest: template, want: []string{"spec.template.spec.hostIPC"}},
	})
}

func TestHostPort(t *testing.T) {
	runCheckCases(t, "host-port", []checkCase{
		{name: "host ports", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - name: i
    image: x
    ports: [{containerPort: 53, hostPort: 53, protocol: UDP}]
  containers:
  - name: a
    image: x
    ports:
    - {containerPort: 80}
    - {containerPort: 81, hostPort: 0}
    - {containerPort: 443, hostPort: 8443}
`, want: []string{"spec.initContainers[0].ports[0].hostPort@i", "spec.containers[0].ports[2].hostPort@a"}},
		{name: "hostNetwork alone is host-network's", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  containers:
  - {name: a, image: x, ports: [{containerPort: 80}]}
`},
	})
}
