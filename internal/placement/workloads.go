package placement

import (
	"slices"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// workloadNeeds are what the offline checks read in a live audit: every
// kind that runs pods, and namespaces (a level may come from one).
var workloadNeeds = []string{
	"namespaces", "pods", "replicationcontrollers", "deployments.apps", "statefulsets.apps",
	"daemonsets.apps", "replicasets.apps", "jobs.batch", "cronjobs.batch",
}

// Workload is one object that runs pods, with its sensitivity level.
type Workload struct {
	Object *inventory.Object
	Pod    *inventory.Pod
	Spec   Spec
	// Namespace is the object's namespace, "default" when a manifest
	// names none (where kubectl apply puts it).
	Namespace string
	Level     Level
}

// Level is a workload's sensitivity level and where it was read.
type Level struct {
	// Name is "" when neither the workload nor its namespace carries the
	// policy's label key.
	Name string
	// FromNamespace says the namespace's label decided.
	FromNamespace bool
	// Path is the label's field in the workload, when the workload's own
	// label decided.
	Path inventory.FieldPath
}

// namespaceOf returns where an object lives or will live.
func namespaceOf(o *inventory.Object) string {
	if o.Namespace == "" {
		return "default"
	}
	return o.Namespace
}

// namespaceIndex maps namespace names to their objects.
func namespaceIndex(inv *inventory.Inventory) map[string]*inventory.Object {
	out := map[string]*inventory.Object{}
	for _, o := range inv.Objects {
		if o.Kind == "Namespace" && o.APIVersion == "v1" {
			out[o.Name] = o
		}
	}
	return out
}

// levelOf reads the level of a workload: its own label (on the object,
// else on its pod template), else its namespace's, following
// NamespaceWins when both are set.
func levelOf(s *policy.Sensitivity, o *inventory.Object, p *inventory.Pod, ns *inventory.Object) Level {
	var wl map[string]string
	var path inventory.FieldPath
	if _, ok := o.Labels[s.LabelKey]; ok {
		wl, path = o.Labels, inventory.FieldPath("metadata").Keys("labels", s.LabelKey)
	} else if p != nil && p.Meta != nil {
		if _, ok := p.Meta.Labels[s.LabelKey]; ok {
			wl, path = p.Meta.Labels, p.MetaPath.Keys("labels", s.LabelKey)
		}
	}
	var nl map[string]string
	if ns != nil {
		nl = ns.Labels
	}
	name := s.LevelOf(wl, nl)
	_, wok := wl[s.LabelKey]
	_, nok := nl[s.LabelKey]
	if nok && (!wok || s.NamespaceWins) {
		return Level{Name: name, FromNamespace: true}
	}
	return Level{Name: name, Path: path}
}

// Workloads returns the objects of inv that run pods and that the
// placement checks judge: a Pod (or ReplicaSet, Job) that a controller in
// inv owns is judged through that controller, and the system namespaces
// are left out.
func Workloads(inv *inventory.Inventory, cfg *audit.Config) []Workload {
	s := &cfg.Sensitivity
	nss := namespaceIndex(inv)
	var out []Workload
	for _, o := range inv.Objects {
		// Cheapest tests first: most objects of a cluster are Pods that a
		// controller owns, and PodOf allocates.
		if o.Typed == nil || slices.Contains(cfg.SystemNamespaces, o.Namespace) || inventory.ControllerOwned(o, inv) {
			continue
		}
		p := inventory.PodOf(o)
		if p == nil {
			continue
		}
		ns := namespaceOf(o)
		out = append(out, Workload{Object: o, Pod: p, Spec: SpecOf(p), Namespace: ns, Level: levelOf(s, o, p, nss[ns])})
	}
	return out
}

// owners resolves the controller that a pod ultimately belongs to
// (Pod → ReplicaSet → Deployment), within one inventory.
type owners struct {
	byKey map[ownerKey]*inventory.Object
}

type ownerKey struct{ group, kind, namespace, name string }

func newOwners(inv *inventory.Inventory) *owners {
	o := &owners{byKey: map[ownerKey]*inventory.Object{}}
	for _, obj := range inv.Objects {
		if obj.Kind == "Pod" || inventory.PodOf(obj) == nil {
			continue
		}
		gv, err := schema.ParseGroupVersion(obj.APIVersion)
		if err != nil {
			continue
		}
		o.byKey[ownerKey{gv.Group, obj.Kind, obj.Namespace, obj.Name}] = obj
	}
	return o
}

// root returns the outermost controller of obj found in the inventory,
// or obj itself. It stops after a few hops, so that an ownership cycle in
// a hand-made snapshot cannot loop.
func (ow *owners) root(obj *inventory.Object) *inventory.Object {
	cur := obj
	for range 5 {
		ref := controllerOf(cur)
		if ref == nil {
			return cur
		}
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err != nil {
			return cur
		}
		next, ok := ow.byKey[ownerKey{gv.Group, ref.Kind, cur.Namespace, ref.Name}]
		if !ok || next == cur {
			return cur
		}
		cur = next
	}
	return cur
}

func controllerOf(o *inventory.Object) *metav1.OwnerReference {
	if o.Typed == nil {
		return nil
	}
	m, err := meta.Accessor(o.Typed)
	if err != nil {
		return nil
	}
	return metav1.GetControllerOfNoCopy(m)
}
