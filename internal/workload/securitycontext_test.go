package workload

import "testing"

func TestAllowPrivilegeEscalation(t *testing.T) {
	runCheckCases(t, "allow-privilege-escalation", []checkCase{
		{name: "unset counts, as in PSS", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: i, image: x, securityContext: {allowPrivilegeEscalation: false}}
  containers:
  - {name: a, image: x}
  - {name: b, image: x, securityContext: {allowPrivilegeEscalation: true}}
  - {name: c, image: x, securityContext: {runAsNonRoot: true}}
  ephemeralContainers:
  - {name: e, image: x}
`, want: []string{
			"spec.containers[0].securityContext.allowPrivilegeEscalation@a",
			"spec.containers[1].securityContext.allowPrivilegeEscalation@b",
			"spec.containers[2].securityContext.allowPrivilegeEscalation@c",
			"spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation@e",
		}},
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

func TestRunAsNonRoot(t *testing.T) {
	runCheckCases(t, "run-as-non-root", []checkCase{
		{name: "pod true, one container false", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: a, image: x}
  - {name: b, image: x, securityContext: {runAsNonRoot: false}}
`, want: []string{"spec.containers[1].securityContext.runAsNonRoot@b"}},
		{name: "pod unset, containers must set it", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: x, securityContext: {runAsNonRoot: true}}
  - {name: b, image: x}
  ephemeralContainers:
  - {name: e, image: x}
`, want: []string{"spec.containers[1].securityContext.runAsNonRoot@b", "spec.ephemeralContainers[0].securityContext.runAsNonRoot@e"}},
		{name: "pod false is reported once, at the pod", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: false}
  containers:
  - {name: a, image: x}
  - {name: b, image: x, securityContext: {runAsNonRoot: true}}
`, want: []string{"spec.securityContext.runAsNonRoot"}},
		{name: "user namespace pods are exempt", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostUsers: false
  containers: [{name: a, image: x}]
`},
	})
}

func TestRunAsRootUser(t *testing.T) {
	runCheckCases(t, "run-as-root-user", []checkCase{
		{name: "explicit zero", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsUser: 0}
  containers:
  - {name: a, image: x, securityContext: {runAsUser: 1000}}
  - {name: b, image: x, securityContext: {runAsUser: 0}}
  - {name: c, image: x}
`, want: []string{"spec.securityContext.runAsUser", "spec.containers[1].securityContext.runAsUser@b"}},
		{name: "user namespace pods are exempt", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostUsers: false
  securityContext: {runAsUser: 0}
  containers: [{name: a, image: x}]
`},
	})
}

func TestRunAsRootGroup(t *testing.T) {
	runCheckCases(t, "run-as-root-group", []checkCase{
		{name: "group zero anywhere", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsGroup: 0, fsGroup: 0, supplementalGroups: [10, 0]}
  containers:
  - {name: a, image: x, securityContext: {runAsGroup: 0}}
  - {name: b, image: x, securityContext: {runAsGroup: 1000}}
`, want: []string{
			"spec.securityContext.runAsGroup", "spec.securityContext.fsGroup", "spec.securityContext.supplementalGroups[1]",
			"spec.containers[0].securityContext.runAsGroup@a",
		}},
		{name: "non-zero", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsGroup: 3000, fsGroup: 2000}
  containers: [{name: a, image: x}]
`},
	})
}

func TestReadOnlyRootFilesystem(t *testing.T) {
	runCheckCases(t, "read-only-root-filesystem", []checkCase{
		{name: "unset and false", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: i, image: x, securityContext: {readOnlyRootFilesystem: true}}
  containers:
  - {name: a, image: x}
  - {name: b, image: x, securityContext: {readOnlyRootFilesystem: false}}
`, want: []string{"spec.containers[0].securityContext.readOnlyRootFilesystem@a", "spec.containers[1].securityContext.readOnlyRootFilesystem@b"}},
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
