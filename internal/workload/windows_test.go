package workload

import "testing"

func TestWindowsHostProcess(t *testing.T) {
	runCheckCases(t, "windows-host-process", []checkCase{
		{name: "pod and container", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  os: {name: windows}
  hostNetwork: true
  securityContext: {windowsOptions: {hostProcess: true, runAsUserName: "NT AUTHORITY\\SYSTEM"}}
  containers:
  - {name: a, image: x, securityContext: {windowsOptions: {hostProcess: true}}}
  - {name: b, image: x, securityContext: {windowsOptions: {hostProcess: false}}}
`, want: []string{"spec.securityContext.windowsOptions.hostProcess", "spec.containers[0].securityContext.windowsOptions.hostProcess@a"}},
		{name: "unset", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {windowsOptions: {runAsUserName: ContainerUser}}
  containers: [{name: a, image: x}]
`},
	})
}
