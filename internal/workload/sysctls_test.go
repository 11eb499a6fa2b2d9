package workload

import "testing"

func TestSysctlsUnsafe(t *testing.T) {
	runCheckCases(t, "sysctls-unsafe", []checkCase{
		{name: "safe and unsafe", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    sysctls:
    - {name: net.ipv4.tcp_syncookies, value: "1"}
    - {name: kernel.msgmax, value: "65536"}
    - {name: net.ipv4.tcp_notsent_lowat, value: "16384"}
    - {name: net.core.somaxconn, value: "1024"}
  containers: [{name: a, image: x}]
`, want: []string{"spec.securityContext.sysctls[1].name", "spec.securityContext.sysctls[3].name"}},
		{name: "none", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]
`},
	})
}
