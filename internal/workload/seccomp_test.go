package workload

import "testing"

func TestSeccompBaseline(t *testing.T) {
	runCheckCases(t, "seccomp-baseline", []checkCase{
		{name: "unconfined at pod and container", manifest: `
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {seccomp.security.alpha.kubernetes.io/pod: unconfined}
spec:
  securityContext: {seccompProfile: {type: Unconfined}}
  containers:
  - {name: a, image: x, securityContext: {seccompProfile: {type: RuntimeDefault}}}
  - {name: b, image: x, securityContext: {seccompProfile: {type: Unconfined}}}
  - {name: c, image: x, securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}}}
`, want: []string{"spec.securityContext.seccompProfile.type", "spec.containers[1].securityContext.seccompProfile.type@b"}},
		// Since v1.19 PSA ignores the deprecated annotations.
		{name: "unset, annotations ignored", manifest: `
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {seccomp.security.alpha.kubernetes.io/pod: unconfined}
spec:
  containers: [{name: a, image: x}]
`},
	})
}

func TestSeccompRestricted(t *testing.T) {
	runCheckCases(t, "seccomp-restricted", []checkCase{
		{name: "pod-level profile covers containers", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers:
  - {name: a, image: x}
  - {name: b, image: x, securityContext: {seccompProfile: {type: Unconfined}}}
`, want: []string{"spec.containers[1].securityContext.seccompProfile.type@b"}},
		{name: "every container must be covered", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: i, image: x}
  containers:
  - {name: a, image: x, securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}}}
  ephemeralContainers:
  - {name: e, image: x}
`, want: []string{"spec.initContainers[0].securityContext.seccompProfile.type@i", "spec.ephemeralContainers[0].securityContext.seccompProfile.type@e"}},
		{name: "a bad pod-level profile is reported at the pod", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {seccompProfile: {type: Unconfined}}
  containers:
  - {name: a, image: x}
  - {name: b, image: x, securityContext: {seccompProfile: {type: RuntimeDefault}}}
`, want: []string{"spec.securityContext.seccompProfile.type"}},
		{name: "windows pods are exempt", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  os: {name: windows}
  containers: [{name: a, image: x}]
`},
	})
}
