package admission

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestPodCacheFollowsWatch(t *testing.T) {
	yes := true
	client := fake.NewClientset(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "old"}})
	c, err := NewPodCache(client)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go c.Run(ctx)
	wait := func(ns, name string, d time.Duration) (PodFacts, bool) {
		wctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return c.Pod(wctx, ns, name)
	}
	if _, ok := wait("a", "old", 5*time.Second); !ok {
		t.Fatal("listed pod not cached")
	}
	// The store may hold the list a moment before the informer says so.
	for deadline := time.Now().Add(5 * time.Second); !c.Synced(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("pod cache not synced 5s after its list")
		}
	}
	// A pod created after the list arrives through the watch; the reader
	// waits for it.
	go func() {
		time.Sleep(50 * time.Millisecond)
		_, _ = client.CoreV1().Pods("a").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "new", Labels: map[string]string{"tier": "db"}},
			Spec: corev1.PodSpec{HostPID: true, Containers: []corev1.Container{{Name: "c", Image: "x", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}}}, metav1.CreateOptions{})
	}()
	f, ok := wait("a", "new", 5*time.Second)
	if !ok || !f.Privileged || !f.HostPID || f.Labels["tier"] != "db" {
		t.Fatalf("watched pod: %+v %v", f, ok)
	}
	if err := client.CoreV1().Pods("a").Delete(ctx, "old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := wait("a", "old", 10*time.Millisecond); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("deleted pod still cached")
		}
	}
	if _, ok := wait("a", "ghost", 50*time.Millisecond); ok {
		t.Fatal("found a pod that does not exist")
	}
}

func TestSlimPodKeepsFacts(t *testing.T) {
	yes := true
	full := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "n", Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"big": "x"}},
		Spec: corev1.PodSpec{HostIPC: true,
			InitContainers:      []corev1.Container{{Name: "i", Image: "x", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}},
			Containers:          []corev1.Container{{Name: "c", Image: "x", Env: []corev1.EnvVar{{Name: "A", Value: "1"}}}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "e"}}}}}
	slim, err := slimPod(full)
	if err != nil {
		t.Fatal(err)
	}
	p := slim.(*corev1.Pod)
	if got, want := FactsOf(p), FactsOf(full); got.Privileged != want.Privileged || got.HostIPC != want.HostIPC || got.Labels["a"] != "b" {
		t.Errorf("facts changed: %+v, want %+v", got, want)
	}
	if p.Annotations != nil || p.Spec.Containers[0].Env != nil || p.Spec.Containers[0].Image != "" {
		t.Errorf("slim pod keeps what exec control does not read: %+v", p)
	}
	if tomb, _ := slimPod("tombstone"); tomb != "tombstone" {
		t.Error("non-pods are not passed through")
	}
}
