package workload

import "testing"

const portsDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers:
      - name: i
        image: x
        restartPolicy: Always
        ports: [{containerPort: 443}]
      containers:
      - name: a
        image: x
        ports:
        - {containerPort: 80}
        - {containerPort: 8080}
        - {containerPort: 22}
        - {containerPort: 22, protocol: UDP}
        - {containerPort: 2222, name: ssh}
        - {containerPort: 1023, protocol: UDP}
        - {containerPort: 1024}
      - {name: b, image: x}
`

func TestPrivilegedPort(t *testing.T) {
	runCheckCases(t, "privileged-port", []checkCase{
		{name: "deployment", manifest: portsDeployment, want: []string{
			"spec.template.spec.initContainers[0].ports[0].containerPort@i",
			"spec.template.spec.containers[0].ports[0].containerPort@a",
			"spec.template.spec.containers[0].ports[2].containerPort@a",
			"spec.template.spec.containers[0].ports[3].containerPort@a",
			"spec.template.spec.containers[0].ports[5].containerPort@a",
		}},
		{name: "pod without privileged ports", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x, ports: [{containerPort: 8443}]}]
`},
	})
}

func TestSSHPort(t *testing.T) {
	runCheckCases(t, "ssh-port", []checkCase{
		{name: "deployment", manifest: portsDeployment, want: []string{
			"spec.template.spec.containers[0].ports[2].containerPort@a",
			"spec.template.spec.containers[0].ports[4].name@a",
		}},
		{name: "pod", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers: [{name: i, image: x, ports: [{containerPort: 22, protocol: TCP}]}]
  containers: [{name: a, image: x, ports: [{containerPort: 8022}]}]
`, want: []string{"spec.initContainers[0].ports[0].containerPort@i"}},
		{name: "service port 22 is not a container", manifest: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: [{port: 22}]}
`},
	})
}
