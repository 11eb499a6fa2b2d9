package workload

import "testing"

const procMountPod = `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: x, securityContext: {procMount: Unmasked}}
  - {name: b, image: x, securityContext: {procMount: Default}}
  ephemeralContainers:
  - {name: e, image: x, securityContext: {procMount: Unmasked}}
`

const procMountUserNamespacePod = `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostUsers: false
  containers:
  - {name: a, image: x, securityContext: {procMount: Unmasked}}
  - {name: b, image: x}
`

func TestProcMount(t *testing.T) {
	runCheckCases(t, "proc-mount", []checkCase{
		{name: "unmasked", manifest: procMountPod, want: []string{"spec.containers[0].securityContext.procMount@a", "spec.ephemeralContainers[0].securityContext.procMount@e"}},
		{name: "user namespace: baseline allows it", manifest: procMountUserNamespacePod},
	})
	runCheckCases(t, "proc-mount-user-namespace", []checkCase{
		{name: "not a user namespace pod", manifest: procMountPod},
		{name: "user namespace: restricted forbids it", manifest: procMountUserNamespacePod, want: []string{"spec.containers[0].securityContext.procMount@a"}},
	})
}
