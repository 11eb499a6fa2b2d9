package audit

import (
	"fmt"
	"sort"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// item is one object of a known type with its typed value.
type item[T any] struct {
	obj *inventory.Object
	v   T
}

// all returns the objects whose typed value is a T, in inventory order.
func all[T any](inv *inventory.Inventory) []item[T] {
	var out []item[T]
	for _, o := range inv.Objects {
		if v, ok := o.Typed.(T); ok {
			out = append(out, item[T]{obj: o, v: v})
		}
	}
	return out
}

// report makes a finding about o pointing at path; the engine fills in the
// check's metadata.
func report(o *inventory.Object, path inventory.FieldPath, sev finding.Severity, format string, args ...any) finding.Finding {
	return finding.Finding{Severity: sev, Object: o.Ref(), Place: o.Place(path), Message: fmt.Sprintf(format, args...)}
}

// workloadResources are the resources whose objects run pods.
var workloadResources = []string{
	"pods", "replicationcontrollers", "deployments.apps", "statefulsets.apps",
	"daemonsets.apps", "replicasets.apps", "jobs.batch", "cronjobs.batch",
}

// needs joins resource lists for a check's Needs.
func needs(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// namespaceSet is what the namespace checks know about each namespace.
type namespaceSet struct {
	// objects are the Namespace objects by name.
	objects map[string]*inventory.Object
	// workloads are the top-level workloads (objects that run pods and
	// are not controlled by another object of the inventory) by namespace.
	workloads map[string][]*inventory.Object
}

// namespaces indexes namespaces and their workloads in one pass.
func namespaces(inv *inventory.Inventory) *namespaceSet {
	ns := &namespaceSet{objects: map[string]*inventory.Object{}, workloads: map[string][]*inventory.Object{}}
	uids := map[string]bool{}
	for _, o := range inv.Objects {
		if m, ok := o.Typed.(metav1.Object); ok && m.GetUID() != "" {
			uids[string(m.GetUID())] = true
		}
	}
	for _, o := range inv.Objects {
		if _, ok := o.Typed.(*corev1.Namespace); ok {
			ns.objects[o.Name] = o
			continue
		}
		if !runsPods(o) {
			continue
		}
		if owner := metav1.GetControllerOfNoCopy(o.Typed.(metav1.Object)); owner != nil && uids[string(owner.UID)] {
			continue
		}
		ns.workloads[o.Namespace] = append(ns.workloads[o.Namespace], o)
	}
	return ns
}

// runsPods reports whether o is a workload: it runs pods, or makes
// objects that do. A PodTemplate runs nothing by itself.
func runsPods(o *inventory.Object) bool {
	if _, ok := o.Typed.(*corev1.PodTemplate); ok {
		return false
	}
	return inventory.PodOf(o) != nil && o.Namespace != ""
}

// withWorkloads returns the namespaces with workloads, sorted.
func (ns *namespaceSet) withWorkloads() []string {
	out := make([]string, 0, len(ns.workloads))
	for n := range ns.workloads {
		if n != "" { // manifests without a namespace: it is chosen at apply time
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// report makes a finding about namespace name: on its Namespace object
// when the inventory has it, else on a reference to it, placed (in
// manifests) where its first workload names the namespace.
func (ns *namespaceSet) report(name string, path inventory.FieldPath, sev finding.Severity, format string, args ...any) finding.Finding {
	if o := ns.objects[name]; o != nil {
		return report(o, path, sev, format, args...)
	}
	f := finding.Finding{
		Severity: sev,
		Object:   finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: name},
		Message:  fmt.Sprintf(format, args...),
	}
	if ws := ns.workloads[name]; len(ws) > 0 && ws[0].Source.File != "" {
		f.Place = ws[0].Place(inventory.FieldPath("metadata.namespace"))
	}
	return f
}

// describeWorkloads names up to three workloads, then counts the rest.
func describeWorkloads(ws []*inventory.Object) string {
	s := ""
	for i, w := range ws {
		if i == 3 {
			return s + fmt.Sprintf(" and %d more", len(ws)-3)
		}
		if i > 0 {
			s += ", "
		}
		s += w.Kind + "/" + w.Name
	}
	return s
}

// plural returns "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// age returns how old an object is at now, and false when it has no
// creation timestamp.
func age(m metav1.Object, now time.Time) (time.Duration, bool) {
	t := m.GetCreationTimestamp()
	if t.IsZero() {
		return 0, false
	}
	return max(now.Sub(t.Time), 0), true
}

// days renders a duration as whole days.
func days(d time.Duration) string {
	return plural(int(d/(24*time.Hour)), "day", "days")
}
