package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
	"github.com/rampart-dev/rampart/internal/report"
	"github.com/rampart-dev/rampart/internal/testcluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// populateAuditCluster loads the audit corpus into the cluster:
// 200 namespaces, 1,000 Deployments, 5,000 Pods (owned by them) and 50 Nodes.
func populateAuditCluster(b *testing.B, cs kubernetes.Interface, c *testcluster.Cluster) {
	ctx := context.Background()
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	do := func(f func() error) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for n := 0; n < 50; n++ {
		do(func() error {
			_, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-node-%02d", n)}}, metav1.CreateOptions{})
			return err
		})
	}
	for ns := 0; ns < 200; ns++ {
		name := fmt.Sprintf("bench-%03d", ns)
		if err := c.CreateNamespace(ctx, name); err != nil {
			b.Fatal(err)
		}
		for d := 0; d < 5; d++ {
			do(func() error {
				spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
					SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(d == 0)}}}}
				dep, err := cs.AppsV1().Deployments(name).Create(ctx, &appsv1.Deployment{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d", d)},
					Spec: appsv1.DeploymentSpec{
						Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": fmt.Sprint(d)}},
						Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": fmt.Sprint(d)}}, Spec: spec},
					},
				}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				for p := 0; p < 5; p++ {
					_, err := cs.CoreV1().Pods(name).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
						Name: fmt.Sprintf("app-%d-%d", d, p), Labels: map[string]string{"app": fmt.Sprint(d)},
						OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: ptr.To(true)}},
					}, Spec: spec}, metav1.CreateOptions{})
					if err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
}

// BenchmarkAudit measures rampart audit on a real API server holding 5,000
// Pods, 1,000 Deployments, 200 namespaces and 50 Nodes: live (read the
// cluster, every check, JSON report) and from a snapshot of it.
// Run with: go test ./internal/cli -run XXX -bench Audit -benchtime 3x
func BenchmarkAudit(b *testing.B) {
	c := testcluster.Shared(b)
	populateAuditCluster(b, c.Client(), c)
	pol := policy.Default()
	snap := filepath.Join(b.TempDir(), "cluster.yaml")
	b.Run("live", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			inv, err := inventory.LoadCluster(context.Background(), c.Config(), inventory.ClusterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if n := len(inv.ByKind("Pod")); n < 5000 {
				b.Fatalf("read %d pods", n)
			}
			if err := report.Render(io.Discard, "json", Audit(inv, pol, ""), report.Options{}); err != nil {
				b.Fatal(err)
			}
			if i == 0 {
				f, err := os.Create(snap)
				if err != nil {
					b.Fatal(err)
				}
				if err := inventory.WriteSnapshot(f, inv); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		}
	})
	b.Run("snapshot", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			inv, err := inventory.LoadSnapshot(snap, inventory.DefaultLimits)
			if err != nil {
				b.Fatal(err)
			}
			if err := report.Render(io.Discard, "json", Audit(inv, pol, snap), report.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
