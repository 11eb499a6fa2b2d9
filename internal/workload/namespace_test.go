package workload

import "testing"

func TestDefaultNamespace(t *testing.T) {
	runCheckCases(t, "default-namespace", []checkCase{
		{name: "explicit default", manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: default}
spec:
  template:
    spec:
      containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: default}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: default}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: default}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: c, namespace: default}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: a, image: x}]
`, want: []string{
			"metadata.namespace", "metadata.namespace", "metadata.namespace", "metadata.namespace",
			"metadata.namespace", "metadata.namespace", "metadata.namespace", "metadata.namespace",
		}},
		{name: "no namespace or another one", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: web}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default-ish}
spec:
  containers: [{name: a, image: x}]
`},
		{name: "cluster-scoped and unknown kinds", manifest: `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cr, namespace: default}
---
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: default}
`},
	})
}
