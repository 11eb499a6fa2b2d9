package workload

import "testing"

// resourcesPod has one container per way of setting resources; the tests
// of the four resource checks read it.
const resourcesPod = `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: i, image: x}
  containers:
  - name: all
    image: x
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: "1", memory: 128Mi}
  - name: limits-only
    image: x
    resources:
      limits: {cpu: 500m, memory: 1Gi}
  - name: requests-only
    image: x
    resources:
      requests: {cpu: 100m, memory: 64Mi}
  - name: zero
    image: x
    resources:
      requests: {cpu: "0", memory: "0"}
      limits: {cpu: "0", memory: "0"}
  - {name: none, image: x}
  ephemeralContainers:
  - {name: e, image: x}
`

func TestCPURequestsMissing(t *testing.T) {
	runCheckCases(t, "cpu-requests-missing", []checkCase{
		{name: "pod", manifest: resourcesPod, want: []string{
			"spec.initContainers[0].resources.requests.cpu@i",
			"spec.containers[3].resources.requests.cpu@zero",
			"spec.containers[4].resources.requests.cpu@none",
		}},
		{name: "zero request is not defaulted from the limit", manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - name: a
        image: x
        resources: {requests: {cpu: "0"}, limits: {cpu: "1"}}
`, want: []string{"spec.template.spec.containers[0].resources.requests.cpu@a"}},
		{name: "pod-level requests cover every container", manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      resources: {requests: {cpu: "1"}}
      initContainers:
      - {name: i, image: x}
      containers:
      - {name: a, image: x}
`},
		{name: "pod-level limit of the other resource does not", manifest: `
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec:
      resources: {limits: {memory: 1Gi}}
      containers:
      - {name: a, image: x}
`, want: []string{"spec.template.spec.containers[0].resources.requests.cpu@a"}},
		{name: "not a workload", manifest: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: [{port: 80}]}
`},
	})
}

func TestMemoryRequestsMissing(t *testing.T) {
	runCheckCases(t, "memory-requests-missing", []checkCase{
		{name: "pod", manifest: resourcesPod, want: []string{
			"spec.initContainers[0].resources.requests.memory@i",
			"spec.containers[3].resources.requests.memory@zero",
			"spec.containers[4].resources.requests.memory@none",
		}},
		{name: "pod-level limit defaults the request", manifest: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec:
  template:
    spec:
      resources: {limits: {memory: 1Gi}}
      containers:
      - {name: a, image: x}
`},
	})
}

func TestCPULimitsMissing(t *testing.T) {
	runCheckCases(t, "cpu-limits-missing", []checkCase{
		{name: "pod", manifest: resourcesPod, want: []string{
			"spec.initContainers[0].resources.limits.cpu@i",
			"spec.containers[2].resources.limits.cpu@requests-only",
			"spec.containers[3].resources.limits.cpu@zero",
			"spec.containers[4].resources.limits.cpu@none",
		}},
		{name: "pod-level limit", manifest: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec:
  template:
    spec:
      resources: {limits: {cpu: "2"}}
      containers:
      - {name: a, image: x}
`},
		{name: "pod-level request is not a limit", manifest: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec:
  template:
    spec:
      resources: {requests: {cpu: "2"}}
      containers:
      - {name: a, image: x}
`, want: []string{"spec.template.spec.containers[0].resources.limits.cpu@a"}},
	})
}

func TestMemoryLimitsMissing(t *testing.T) {
	runCheckCases(t, "memory-limits-missing", []checkCase{
		{name: "pod", manifest: resourcesPod, want: []string{
			"spec.initContainers[0].resources.limits.memory@i",
			"spec.containers[2].resources.limits.memory@requests-only",
			"spec.containers[3].resources.limits.memory@zero",
			"spec.containers[4].resources.limits.memory@none",
		}},
		{name: "cronjob", manifest: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "@hourly"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - {name: a, image: x, resources: {limits: {cpu: "1"}}}
          - {name: b, image: x, resources: {limits: {memory: 256Mi}}}
`, want: []string{"spec.jobTemplate.spec.template.spec.containers[0].resources.limits.memory@a"}},
	})
}
