package workload

import "testing"

// probesDeployment has a container with both probes, one with each and one
// with none, plus init and ephemeral containers, which are never checked.
const probesDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers:
      - {name: i, image: x}
      containers:
      - name: both
        image: x
        livenessProbe: {httpGet: {path: /healthz, port: 8080}}
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
      - name: live
        image: x
        livenessProbe: {tcpSocket: {port: 8080}}
      - name: ready
        image: x
        readinessProbe: {exec: {command: ["true"]}}
      - {name: none, image: x}
      ephemeralContainers:
      - {name: e, image: x}
`

// probesSkipped lists kinds the probe checks do not apply to.
const probesSkipped = `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: x}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec:
      containers:
      - {name: a, image: x}
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
          containers:
          - {name: a, image: x}
`

func TestLivenessProbeMissing(t *testing.T) {
	runCheckCases(t, "liveness-probe-missing", []checkCase{
		{name: "deployment", manifest: probesDeployment, want: []string{
			"spec.template.spec.containers[2].livenessProbe@ready",
			"spec.template.spec.containers[3].livenessProbe@none",
		}},
		{name: "other controllers", manifest: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec:
  template:
    spec:
      containers:
      - {name: a, image: x}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec:
  template:
    spec:
      containers:
      - {name: a, image: x}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc}
spec:
  template:
    spec:
      containers:
      - {name: a, image: x, livenessProbe: {grpc: {port: 9000}}}
`, want: []string{
			"spec.template.spec.containers[0].livenessProbe@a",
			"spec.template.spec.containers[0].livenessProbe@a",
		}},
		{name: "pods and jobs are skipped", manifest: probesSkipped},
	})
}

func TestReadinessProbeMissing(t *testing.T) {
	runCheckCases(t, "readiness-probe-missing", []checkCase{
		{name: "deployment", manifest: probesDeployment, want: []string{
			"spec.template.spec.containers[1].readinessProbe@live",
			"spec.template.spec.containers[3].readinessProbe@none",
		}},
		{name: "replicaset", manifest: `
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec:
  template:
    spec:
      containers:
      - {name: a, image: x}
`, want: []string{"spec.template.spec.containers[0].readinessProbe@a"}},
		{name: "pods and jobs are skipped", manifest: probesSkipped},
	})
}
