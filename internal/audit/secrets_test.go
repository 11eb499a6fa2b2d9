package audit

import (
	"testing"
	"time"
)

func TestLegacyTokenSecret(t *testing.T) {
	runCases(t, "legacy-token-secret", []auditCase{
		{name: "recent token", manifest: `
apiVersion: v1
kind: Secret
metadata:
  name: ci-token
  namespace: ci
  creationTimestamp: "2026-05-01T00:00:00Z"
  annotations: {kubernetes.io/service-account.name: deployer}
type: kubernetes.io/service-account-token
`, want: []string{"ci/Secret/ci-token type medium"},
			contains: []string{`Secret "ci-token" holds a long-lived token of service account "deployer", created 31 days ago`}},
		{name: "old token, last used", manifest: `
apiVersion: v1
kind: Secret
metadata:
  name: old-token
  namespace: ci
  creationTimestamp: "2025-01-01T00:00:00Z"
  annotations: {kubernetes.io/service-account.name: deployer}
  labels: {kubernetes.io/legacy-token-last-used: "2026-05-30"}
type: kubernetes.io/service-account-token
`, want: []string{"ci/Secret/old-token type high"},
			contains: []string{"created 516 days ago, more than the 90 days allowed; last used on 2026-05-30"}},
		{name: "invalidated token", manifest: `
apiVersion: v1
kind: Secret
metadata:
  name: dead-token
  namespace: ci
  creationTimestamp: "2025-01-01T00:00:00Z"
  annotations: {kubernetes.io/service-account.name: deployer}
  labels: {kubernetes.io/legacy-token-invalid-since: "2026-01-01"}
type: kubernetes.io/service-account-token
`, want: []string{"ci/Secret/dead-token type low"}, contains: []string{"invalidated since 2026-01-01"}},
		{name: "no age, no account", manifest: `
apiVersion: v1
kind: Secret
metadata: {name: t, namespace: ci}
type: kubernetes.io/service-account-token
`, want: []string{"ci/Secret/t type medium"}, contains: []string{"an unnamed service account", "of unknown age"}},
		{name: "shorter maximum age", config: &Config{MaxTokenAge: 10 * 24 * time.Hour}, manifest: `
apiVersion: v1
kind: Secret
metadata: {name: t, namespace: ci, creationTimestamp: "2026-05-01T00:00:00Z"}
type: kubernetes.io/service-account-token
`, want: []string{"ci/Secret/t type high"}, contains: []string{"more than the 10 days allowed"}},
		{name: "other secrets", manifest: `
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: app, creationTimestamp: "2020-01-01T00:00:00Z"}
type: Opaque
---
apiVersion: v1
kind: Secret
metadata: {name: tls, namespace: app, creationTimestamp: "2020-01-01T00:00:00Z"}
type: kubernetes.io/tls
`},
	})
}

func TestSecretAge(t *testing.T) {
	runCases(t, "secret-age", []auditCase{
		{name: "old opaque secret", manifest: `
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: app, creationTimestamp: "2025-01-01T00:00:00Z"}
data: {password: aHVudGVyMg==}
`, want: []string{"app/Secret/db metadata.creationTimestamp low"},
			contains: []string{`Secret "db" (type Opaque) was created 516 days ago and its data never rewritten since, more than the 365 days allowed`}},
		{name: "young secret", manifest: `
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: app, creationTimestamp: "2026-05-01T00:00:00Z"}
type: Opaque
`},
		{name: "old secret whose data was rewritten recently", manifest: `
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: app
  creationTimestamp: "2025-01-01T00:00:00Z"
  managedFields:
  - manager: kubectl
    operation: Update
    apiVersion: v1
    time: "2025-01-01T00:00:00Z"
    fieldsType: FieldsV1
    fieldsV1: {"f:type": {}}
  - manager: rotator
    operation: Apply
    apiVersion: v1
    time: "2026-05-20T00:00:00Z"
    fieldsType: FieldsV1
    fieldsV1: {"f:data": {"f:password": {}}}
type: Opaque
`},
		{name: "data rewritten, but long ago; labels touched recently", manifest: `
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: app
  creationTimestamp: "2024-01-01T00:00:00Z"
  managedFields:
  - manager: rotator
    operation: Update
    apiVersion: v1
    time: "2025-01-01T00:00:00Z"
    fieldsType: FieldsV1
    fieldsV1: {"f:data": {"f:password": {}}}
  - manager: labeller
    operation: Update
    apiVersion: v1
    time: "2026-05-31T00:00:00Z"
    fieldsType: FieldsV1
    fieldsV1: {"f:metadata": {"f:labels": {"f:team": {}}}}
type: kubernetes.io/basic-auth
`, want: []string{"app/Secret/db metadata.creationTimestamp low"},
			contains: []string{"(type kubernetes.io/basic-auth) was created 882 days ago and its data last written 516 days ago"}},
		{name: "token and helm release secrets are skipped", manifest: `
apiVersion: v1
kind: Secret
metadata: {name: t, namespace: app, creationTimestamp: "2020-01-01T00:00:00Z"}
type: kubernetes.io/service-account-token
---
apiVersion: v1
kind: Secret
metadata: {name: sh.helm.release.v1.app.v1, namespace: app, creationTimestamp: "2020-01-01T00:00:00Z"}
type: helm.sh/release.v1
`},
		{name: "no creation time", manifest: `
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: app}
`},
		{name: "shorter maximum age", config: &Config{MaxSecretAge: 30 * 24 * time.Hour}, manifest: `
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: app, creationTimestamp: "2026-05-01T00:00:00Z"}
`, want: []string{"app/Secret/db metadata.creationTimestamp low"}, contains: []string{"more than the 30 days allowed"}},
	})
}

func TestDefaultSAAutomount(t *testing.T) {
	runCases(t, "default-sa-automount", []auditCase{
		{name: "default account used by a deployment", manifest: `
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: app}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: app, uid: d1}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-1
  namespace: app
  uid: r1
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d1, controller: true}]
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1-abc
  namespace: app
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: r1, controller: true}]
spec:
  serviceAccountName: default
  containers: [{name: web, image: nginx}]
`, want: []string{"app/ServiceAccount/default automountServiceAccountToken medium"},
			contains: []string{`ServiceAccount "default" in namespace "app" does not set automountServiceAccountToken, so every pod there that names no service account gets its token; 1 workload runs as it with the token mounted: Deployment/web`}},
		{name: "explicitly true, workloads with their own accounts", manifest: `
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: app}
automountServiceAccountToken: true
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: app}
spec:
  template:
    spec:
      serviceAccountName: migrator
      restartPolicy: Never
      containers: [{name: m, image: m}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: app}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      automountServiceAccountToken: false
      containers: [{name: api, image: api}]
`, want: []string{"app/ServiceAccount/default automountServiceAccountToken low"},
			contains: []string{"sets automountServiceAccountToken: true", "no workload runs as it with the token mounted yet (the namespace runs 2 workloads)"}},
		{name: "automount off", manifest: `
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: app}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: app}
spec:
  containers: [{name: a, image: a}]
`},
		{name: "namespace without workloads, other accounts, system namespace", manifest: `
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: empty}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: empty}
---
apiVersion: v1
kind: PodTemplate
metadata: {name: tmpl, namespace: empty}
template:
  spec:
    containers: [{name: a, image: a}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: app}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: app}
spec:
  containers: [{name: a, image: a}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: kube-system}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system}
spec:
  containers: [{name: a, image: a}]
`},
	})
}
