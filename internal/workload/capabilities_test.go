package workload

import "testing"

const capabilitiesPod = `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - name: i
    image: x
    securityContext:
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE, CHOWN]}
  containers:
  - name: a
    image: x
    securityContext:
      capabilities: {drop: [all], add: [chown, SYS_ADMIN]}
  - name: b
    image: x
    securityContext:
      capabilities: {drop: [NET_RAW], add: [cap_sys_ptrace, NET_ADMIN, KILL]}
  - name: c
    image: x
  ephemeralContainers:
  - name: e
    image: x
    securityContext:
      capabilities: {drop: [ALL], add: [ALL]}
`

func TestCapabilitiesBaseline(t *testing.T) {
	runCheckCases(t, "capabilities-baseline", []checkCase{
		// Names are compared exactly, as PSA does: lower-case chown is outside the set.
		{name: "exact names", manifest: capabilitiesPod, want: []string{
			"spec.containers[0].securityContext.capabilities.add[0]@a",
			"spec.containers[0].securityContext.capabilities.add[1]@a",
			"spec.containers[1].securityContext.capabilities.add[0]@b",
			"spec.containers[1].securityContext.capabilities.add[1]@b",
			"spec.ephemeralContainers[0].securityContext.capabilities.add[0]@e",
		}},
	})
}

func TestCapabilitiesDropAll(t *testing.T) {
	runCheckCases(t, "capabilities-drop-all", []checkCase{
		{name: "drop ALL, add only NET_BIND_SERVICE", manifest: capabilitiesPod, want: []string{
			"spec.initContainers[0].securityContext.capabilities.add[1]@i",
			"spec.containers[0].securityContext.capabilities.drop@a",
			"spec.containers[0].securityContext.capabilities.add[0]@a",
			"spec.containers[0].securityContext.capabilities.add[1]@a",
			"spec.containers[1].securityContext.capabilities.drop@b",
			"spec.containers[1].securityContext.capabilities.add[0]@b",
			"spec.containers[1].securityContext.capabilities.add[1]@b",
			"spec.containers[1].securityContext.capabilities.add[2]@b",
			"spec.containers[2].securityContext.capabilities.drop@c",
			"spec.ephemeralContainers[0].securityContext.capabilities.add[0]@e",
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

func TestCapSysAdmin(t *testing.T) {
	runCheckCases(t, "cap-sys-admin", []checkCase{
		{name: "SYS_ADMIN and ALL", manifest: capabilitiesPod, want: []string{
			"spec.containers[0].securityContext.capabilities.add[1]@a",
			"spec.ephemeralContainers[0].securityContext.capabilities.add[0]@e",
		}},
		{name: "runtime spellings", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: x, securityContext: {capabilities: {add: [CAP_SYS_ADMIN]}}}
  - {name: b, image: x, securityContext: {capabilities: {add: [sys_admin, all]}}}
`, want: []string{
			"spec.containers[0].securityContext.capabilities.add[0]@a",
			"spec.containers[1].securityContext.capabilities.add[0]@b",
			"spec.containers[1].securityContext.capabilities.add[1]@b",
		}},
	})
}

func TestCapNetRaw(t *testing.T) {
	runCheckCases(t, "cap-net-raw", []checkCase{
		{name: "kept or added back", manifest: capabilitiesPod, want: []string{
			"spec.containers[2].securityContext.capabilities.drop@c",
			"spec.ephemeralContainers[0].securityContext.capabilities.add[0]@e",
		}},
		{name: "added after drop", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: x, securityContext: {capabilities: {drop: [ALL], add: [NET_RAW]}}}
  - {name: b, image: x, securityContext: {capabilities: {drop: [cap_net_raw]}}}
  - {name: c, image: x, securityContext: {capabilities: {drop: [CHOWN]}}}
`, want: []string{
			"spec.containers[0].securityContext.capabilities.add[0]@a",
			"spec.containers[2].securityContext.capabilities.drop@c",
		}},
	})
}

func TestDangerousCapabilities(t *testing.T) {
	runCheckCases(t, "dangerous-capabilities", []checkCase{
		{name: "ptrace and net admin, not SYS_ADMIN", manifest: capabilitiesPod, want: []string{
			"spec.containers[1].securityContext.capabilities.add[0]@b",
			"spec.containers[1].securityContext.capabilities.add[1]@b",
		}},
		{name: "kernel reach", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: x, securityContext: {capabilities: {add: [SYS_MODULE, BPF, PERFMON, SETUID]}}}
`, want: []string{
			"spec.containers[0].securityContext.capabilities.add[0]@a",
			"spec.containers[0].securityContext.capabilities.add[1]@a",
			"spec.containers[0].securityContext.capabilities.add[2]@a",
		}},
	})
}
