package admission

import (
	"context"
	"errors"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// PodFacts is what exec control needs of a pod; the cache keeps only this,
// not whole pods, so that it stays small in large clusters.
type PodFacts struct {
	Labels      map[string]string
	Privileged  bool
	HostPID     bool
	HostIPC     bool
	HostNetwork bool
}

// FactsOf reads the facts of a pod. A container counts as privileged when
// it sets privileged or is a Windows HostProcess container, which has the
// same reach.
func FactsOf(p *corev1.Pod) PodFacts {
	f := PodFacts{
		Labels:      p.Labels,
		HostPID:     p.Spec.HostPID,
		HostIPC:     p.Spec.HostIPC,
		HostNetwork: p.Spec.HostNetwork,
	}
	privileged := func(sc *corev1.SecurityContext) bool {
		if sc == nil {
			return false
		}
		return (sc.Privileged != nil && *sc.Privileged) ||
			(sc.WindowsOptions != nil && sc.WindowsOptions.HostProcess != nil && *sc.WindowsOptions.HostProcess)
	}
	if sc := p.Spec.SecurityContext; sc != nil && sc.WindowsOptions != nil && sc.WindowsOptions.HostProcess != nil && *sc.WindowsOptions.HostProcess {
		f.Privileged = true
	}
	for _, c := range p.Spec.InitContainers {
		f.Privileged = f.Privileged || privileged(c.SecurityContext)
	}
	for _, c := range p.Spec.Containers {
		f.Privileged = f.Privileged || privileged(c.SecurityContext)
	}
	for _, c := range p.Spec.EphemeralContainers {
		f.Privileged = f.Privileged || privileged(c.SecurityContext)
	}
	return f
}

// PodSource finds the facts of a pod by namespace and name.
type PodSource interface {
	// Pod waits until ctx ends for the pod to be known.
	Pod(ctx context.Context, namespace, name string) (PodFacts, bool)
	Synced() bool
}

// errNotSynced is what exec control answers before the first list completed.
var errNotSynced = errors.New("the webhook's pod cache has not synced yet")

// PodCache is a PodSource backed by a client-go informer on all pods, so
// that a decision never calls the API server. A transform keeps of each
// pod only what FactsOf reads, so the cache stays small in large clusters.
type PodCache struct {
	informer cache.SharedIndexInformer
	mu       sync.Mutex
	// changed is closed and replaced on every pod event, so that a reader
	// may wait briefly for a pod it just missed.
	changed chan struct{}
}

// NewPodCache returns a cache of every pod; call Run to fill it.
func NewPodCache(client kubernetes.Interface) (*PodCache, error) {
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTransform(slimPod))
	c := &PodCache{informer: factory.Core().V1().Pods().Informer(), changed: make(chan struct{})}
	notify := func() {
		c.mu.Lock()
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
	_, err := c.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(any, any) { notify() },
	})
	if err != nil {
		return nil, fmt.Errorf("watching pods: %w", err)
	}
	return c, nil
}

// slimPod keeps what FactsOf reads. Informers pass it tombstones too.
func slimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	slim := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: p.Name, Namespace: p.Namespace, Labels: p.Labels, ResourceVersion: p.ResourceVersion, UID: p.UID,
	}}
	s := &slim.Spec
	s.HostPID, s.HostIPC, s.HostNetwork = p.Spec.HostPID, p.Spec.HostIPC, p.Spec.HostNetwork
	if sc := p.Spec.SecurityContext; sc != nil && sc.WindowsOptions != nil {
		s.SecurityContext = &corev1.PodSecurityContext{WindowsOptions: sc.WindowsOptions}
	}
	for _, c := range p.Spec.InitContainers {
		s.InitContainers = append(s.InitContainers, corev1.Container{Name: c.Name, SecurityContext: c.SecurityContext})
	}
	for _, c := range p.Spec.Containers {
		s.Containers = append(s.Containers, corev1.Container{Name: c.Name, SecurityContext: c.SecurityContext})
	}
	for _, c := range p.Spec.EphemeralContainers {
		var e corev1.EphemeralContainer
		e.Name, e.SecurityContext = c.Name, c.SecurityContext
		s.EphemeralContainers = append(s.EphemeralContainers, e)
	}
	return slim, nil
}

// Run fills the cache and keeps it current until ctx ends.
func (c *PodCache) Run(ctx context.Context) { c.informer.Run(ctx.Done()) }

// Synced implements PodSource.
func (c *PodCache) Synced() bool { return c.informer.HasSynced() }

// Pod implements PodSource.
func (c *PodCache) Pod(ctx context.Context, namespace, name string) (PodFacts, bool) {
	key := namespace + "/" + name
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		if obj, ok, err := c.informer.GetIndexer().GetByKey(key); err == nil && ok {
			if p, ok := obj.(*corev1.Pod); ok {
				return FactsOf(p), true
			}
		}
		select {
		case <-ctx.Done():
			return PodFacts{}, false
		case <-ch:
		}
	}
}

// NamespaceLabels finds a namespace's labels.
type NamespaceLabels interface {
	Labels(namespace string) (map[string]string, bool)
	Synced() bool
}

// NamespaceCache is a NamespaceLabels backed by an informer on namespaces.
type NamespaceCache struct {
	informer cache.SharedIndexInformer
	lister   corev1listers.NamespaceLister
}

// NewNamespaceCache returns a cache of namespaces; call Run to fill it.
func NewNamespaceCache(client kubernetes.Interface) *NamespaceCache {
	ns := informers.NewSharedInformerFactory(client, 0).Core().V1().Namespaces()
	return &NamespaceCache{informer: ns.Informer(), lister: ns.Lister()}
}

// Run fills the cache and keeps it current until ctx ends.
func (c *NamespaceCache) Run(ctx context.Context) { c.informer.Run(ctx.Done()) }

// Synced implements NamespaceLabels.
func (c *NamespaceCache) Synced() bool { return c.informer.HasSynced() }

// Labels implements NamespaceLabels.
func (c *NamespaceCache) Labels(namespace string) (map[string]string, bool) {
	ns, err := c.lister.Get(namespace)
	if err != nil {
		return nil, false
	}
	return ns.Labels, true
}
