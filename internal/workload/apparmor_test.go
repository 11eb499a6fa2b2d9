package workload

import "testing"

func TestAppArmor(t *testing.T) {
	runCheckCases(t, "apparmor", []checkCase{
		{name: "fields", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {appArmorProfile: {type: Unconfined}}
  containers:
  - {name: a, image: x, securityContext: {appArmorProfile: {type: RuntimeDefault}}}
  - {name: b, image: x, securityContext: {appArmorProfile: {type: Localhost, localhostProfile: k8s-apparmor}}}
  ephemeralContainers:
  - {name: e, image: x, securityContext: {appArmorProfile: {type: Unconfined}}}
`, want: []string{"spec.securityContext.appArmorProfile.type", "spec.ephemeralContainers[0].securityContext.appArmorProfile.type@e"}},
		{name: "annotations", manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/a: runtime/default
        container.apparmor.security.beta.kubernetes.io/b: localhost/custom
        container.apparmor.security.beta.kubernetes.io/c: unconfined
        container.apparmor.security.beta.kubernetes.io/d: ""
        apparmor.example/x: unconfined
    spec:
      containers: [{name: a, image: x}, {name: c, image: x}]
`, want: []string{`spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/c"]@c`}},
	})
}
