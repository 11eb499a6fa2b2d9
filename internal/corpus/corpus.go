// Package corpus generates realistic Kubernetes manifest trees for
// benchmarks: Deployments, StatefulSets, DaemonSets, CronJobs, Services and
// ConfigMaps of the shape real repositories hold, some hardened and some not.
package corpus

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Write creates files manifest files under dir holding objects workload
// objects in all (spread evenly), and returns the bytes written.
func Write(dir string, files, objects int) (int64, error) {
	r := rand.New(rand.NewPCG(1, 2))
	var total int64
	per := objects / files
	extra := objects % files
	n := 0
	for f := 0; f < files; f++ {
		count := per
		if f < extra {
			count++
		}
		var b strings.Builder
		for i := 0; i < count; i++ {
			if i > 0 {
				b.WriteString("---\n")
			}
			writeObject(&b, r, n)
			n++
		}
		p := filepath.Join(dir, fmt.Sprintf("team-%02d", f%50), fmt.Sprintf("app-%04d.yaml", f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return total, err
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			return total, fmt.Errorf("write %s: %w", p, err)
		}
		total += int64(b.Len())
	}
	return total, nil
}

var images = []string{"nginx:1.27.1", "nginx", "ghcr.io/acme/api:2.3.1", "redis:latest", "registry.example.com/team/worker:v5@sha256:4d8e8d5a0e2f4cdb3a8b3f0f7c1f7e5a9b6d2c1e0f9a8b7c6d5e4f3a2b1c0d9e", "postgres:16", "busybox"}

func writeObject(b *strings.Builder, r *rand.Rand, n int) {
	name := fmt.Sprintf("svc-%d", n)
	ns := fmt.Sprintf("team-%d", n%200)
	kind := []string{"Deployment", "Deployment", "Deployment", "StatefulSet", "DaemonSet", "CronJob"}[r.IntN(6)]
	if r.IntN(4) == 0 {
		// Rendered charts start each document with its template's name.
		fmt.Fprintf(b, "# Source: shop/templates/%s.yaml\n", strings.ToLower(kind))
	}
	fmt.Fprintf(b, "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n    app.kubernetes.io/name: %s\n    app.kubernetes.io/part-of: shop\n    team: t%d\n",
		map[bool]string{true: "batch/v1", false: "apps/v1"}[kind == "CronJob"], kind, name, ns, name, n%17)
	if r.IntN(3) == 0 {
		fmt.Fprintf(b, "  annotations:\n    description: \"generated workload %d for benchmarks\"\n", n)
	}
	indent := "  "
	b.WriteString("spec:\n")
	if kind == "CronJob" {
		b.WriteString("  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n")
		indent = "      "
	} else {
		if kind != "DaemonSet" {
			fmt.Fprintf(b, "  replicas: %d\n", 1+r.IntN(5))
		}
		fmt.Fprintf(b, "  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n", name)
	}
	fmt.Fprintf(b, "%stemplate:\n%s  metadata:\n%s    labels:\n%s      app.kubernetes.io/name: %s\n%s  spec:\n", indent, indent, indent, indent, name, indent)
	in := indent + "    "
	hardened := r.IntN(3) == 0
	config := r.IntN(2) == 0
	if hardened {
		fmt.Fprintf(b, "%sserviceAccountName: %s\n%sautomountServiceAccountToken: false\n%ssecurityContext:\n%s  runAsNonRoot: true\n%s  runAsUser: 10001\n%s  seccompProfile:\n%s    type: RuntimeDefault\n", in, name, in, in, in, in, in, in)
	} else if r.IntN(4) == 0 {
		fmt.Fprintf(b, "%shostNetwork: true\n", in)
	}
	if kind == "CronJob" {
		fmt.Fprintf(b, "%srestartPolicy: OnFailure\n", in)
	}
	fmt.Fprintf(b, "%scontainers:\n", in)
	containers := 1
	if r.IntN(4) == 0 {
		containers = 2 // a sidecar, as in about a quarter of real workloads
	}
	for c := 0; c < containers; c++ {
		fmt.Fprintf(b, "%s- name: c%d\n%s  image: %s\n", in, c, in, images[r.IntN(len(images))])
		if r.IntN(2) == 0 {
			fmt.Fprintf(b, "%s  imagePullPolicy: IfNotPresent\n", in)
		}
		fmt.Fprintf(b, "%s  ports:\n%s  - name: http\n%s    containerPort: %d\n%s    protocol: TCP\n", in, in, in, 8000+c, in)
		fmt.Fprintf(b, "%s  env:\n%s  - name: LOG_LEVEL\n%s    value: info\n", in, in, in)
		if config {
			fmt.Fprintf(b, "%s  - name: DB_HOST\n%s    value: db.%s.svc.cluster.local\n", in, in, ns)
		}
		if !hardened && r.IntN(5) == 0 {
			fmt.Fprintf(b, "%s  - name: API_TOKEN\n%s    value: \"tok-%08x\"\n", in, in, r.Uint32())
		}
		fmt.Fprintf(b, "%s  resources:\n%s    requests:\n%s      cpu: 100m\n%s      memory: 128Mi\n", in, in, in, in)
		if hardened {
			fmt.Fprintf(b, "%s    limits:\n%s      cpu: 500m\n%s      memory: 256Mi\n", in, in, in)
			fmt.Fprintf(b, "%s  livenessProbe:\n%s    httpGet:\n%s      path: /healthz\n%s      port: http\n%s  readinessProbe:\n%s    httpGet:\n%s      path: /ready\n%s      port: http\n", in, in, in, in, in, in, in, in)
			fmt.Fprintf(b, "%s  securityContext:\n%s    allowPrivilegeEscalation: false\n%s    readOnlyRootFilesystem: true\n%s    capabilities:\n%s      drop: [\"ALL\"]\n", in, in, in, in, in)
		} else if r.IntN(3) == 0 {
			fmt.Fprintf(b, "%s  securityContext:\n%s    privileged: %v\n%s    capabilities:\n%s      add: [\"NET_ADMIN\"]\n", in, in, r.IntN(2) == 0, in, in)
		}
		if config {
			fmt.Fprintf(b, "%s  volumeMounts:\n%s  - name: config\n%s    mountPath: /etc/app\n%s    readOnly: true\n", in, in, in, in)
		}
	}
	if config {
		fmt.Fprintf(b, "%svolumes:\n%s- name: config\n%s  configMap:\n%s    name: %s-config\n", in, in, in, in, name)
	}
}
