package workload

import "testing"

func TestSELinuxOptions(t *testing.T) {
	runCheckCases(t, "selinux-options", []checkCase{
		{name: "types, user and role", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {seLinuxOptions: {type: spc_t, level: "s0:c1,c2"}}
  containers:
  - {name: a, image: x, securityContext: {seLinuxOptions: {type: container_engine_t}}}
  - {name: b, image: x, securityContext: {seLinuxOptions: {user: system_u, role: system_r}}}
  - {name: c, image: x, securityContext: {seLinuxOptions: {level: "s0:c3"}}}
`, want: []string{
			"spec.securityContext.seLinuxOptions.type",
			"spec.containers[1].securityContext.seLinuxOptions.user@b",
			"spec.containers[1].securityContext.seLinuxOptions.role@b",
		}},
		{name: "allowed types", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: i, image: x, securityContext: {seLinuxOptions: {type: container_init_t}}}
  containers:
  - {name: a, image: x, securityContext: {seLinuxOptions: {type: container_kvm_t}}}
`},
	})
}
