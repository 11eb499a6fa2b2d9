package netpol

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// nsNameLabel is the label the control plane sets on every namespace to its
// name; policies select a namespace by name with it.
const nsNameLabel = "kubernetes.io/metadata.name"

// Workload is one thing that runs pods: a Deployment, StatefulSet,
// DaemonSet, Job, CronJob, ReplicaSet, ReplicationController or a bare Pod.
// Pods that a controller of the inventory owns are folded into it.
type Workload struct {
	Kind      string
	Namespace string
	Name      string
	// Labels are the labels of the workload's pods.
	Labels map[string]string
	// Ports are the container ports of its pods, for named ports.
	Ports       []corev1.ContainerPort
	HostNetwork bool
	Object      *inventory.Object
	// Class is the workload's equivalence class.
	Class *Class
}

// String renders the workload as namespace/name[Kind].
func (w *Workload) String() string { return fmt.Sprintf("%s/%s[%s]", w.Namespace, w.Name, w.Kind) }

// Class is a set of workloads that no NetworkPolicy can tell apart: same
// namespace, same pod labels, same container ports, same host networking.
type Class struct {
	ID          int
	Namespace   string
	Labels      labels.Set
	Ports       []corev1.ContainerPort
	HostNetwork bool
	Members     []*Workload
	// portsID numbers the distinct container port lists, so that named
	// ports resolve once per list (Reach only).
	portsID int

	// in and eg are the rules of the policies that select the class for
	// ingress and egress; inPols and egPols those policies. A class is
	// isolated for a direction when some policy selecting it has that
	// policy type, even one without rules.
	in, eg         []*rule
	inPols, egPols []*compiledPolicy
}

func (c *Class) ingressIsolated() bool { return len(c.inPols) > 0 }
func (c *Class) egressIsolated() bool  { return len(c.egPols) > 0 }

// model is an inventory compiled for network questions.
type model struct {
	workloads   []*Workload
	classes     []*Class
	nsLabels    map[string]labels.Set
	namespaces  []string
	classesByNS map[string][]*Class
	policies    []*compiledPolicy
	policiesByN map[string][]*compiledPolicy
	// nodeIPs are the addresses of the inventory's nodes, which is what
	// traffic from host-network pods comes from.
	nodeIPs []netip.Addr
	// portLists are the distinct container port lists of the classes.
	portLists []*Class
	// problems are policy fields that could not be read (invalid
	// selectors, CIDRs); the affected peer or port matches nothing.
	problems []string
	// indexed says indexRules has run: the rules' class sets and port
	// caches are filled, and the model is read-only from then on.
	indexed bool
}

// newModel compiles the workloads, namespaces and policies of inv.
func newModel(inv *inventory.Inventory) *model {
	m := &model{nsLabels: map[string]labels.Set{}, classesByNS: map[string][]*Class{}, policiesByN: map[string][]*compiledPolicy{}}
	for _, o := range inv.Objects {
		switch t := o.Typed.(type) {
		case *corev1.Namespace:
			l := labels.Set(maps.Clone(t.Labels))
			if l == nil {
				l = labels.Set{}
			}
			l[nsNameLabel] = t.Name
			m.nsLabels[t.Name] = l
		case *corev1.Node:
			for _, a := range t.Status.Addresses {
				if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
					continue
				}
				if ip, err := netip.ParseAddr(a.Address); err == nil {
					m.nodeIPs = append(m.nodeIPs, ip)
				}
			}
		case *networkingv1.NetworkPolicy:
			p := compilePolicy(o, t)
			m.policies = append(m.policies, p)
			m.policiesByN[p.ns] = append(m.policiesByN[p.ns], p)
			m.problems = append(m.problems, p.problems...)
			m.namespace(p.ns)
		}
	}
	for _, o := range inv.Objects {
		if w := workloadOf(o, inv); w != nil {
			m.workloads = append(m.workloads, w)
			m.namespace(w.Namespace)
		}
	}
	slices.SortFunc(m.workloads, compareWorkloads)
	m.classify()
	m.namespaces = slices.Sorted(maps.Keys(m.nsLabels))
	m.selectClasses()
	return m
}

func compareWorkloads(a, b *Workload) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind))
}

// namespace returns the labels of namespace ns, registering a namespace the
// inventory holds no object for with the one label every namespace has.
func (m *model) namespace(ns string) labels.Set {
	if l, ok := m.nsLabels[ns]; ok {
		return l
	}
	l := labels.Set{nsNameLabel: ns}
	m.nsLabels[ns] = l
	return l
}

// nsLabelsOf is namespace without registering.
func (m *model) nsLabelsOf(ns string) labels.Set {
	if l, ok := m.nsLabels[ns]; ok {
		return l
	}
	return labels.Set{nsNameLabel: ns}
}

// workloadOf returns the workload o is, or nil when o runs no pods of its
// own (a PodTemplate, a cluster-scoped object, or a pod or controller that
// a controller of the inventory owns).
func workloadOf(o *inventory.Object, inv *inventory.Inventory) *Workload {
	if _, ok := o.Typed.(*corev1.PodTemplate); ok || o.Namespace == "" {
		return nil
	}
	p := inventory.PodOf(o)
	if p == nil || inventory.ControllerOwned(o, inv) {
		return nil
	}
	w := &Workload{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Object: o, HostNetwork: p.Spec.HostNetwork}
	w.Labels = maps.Clone(p.Meta.Labels)
	if w.Labels == nil {
		w.Labels = map[string]string{}
	}
	if o.Kind == "Job" {
		// The Job controller labels its pods with the Job's name; policies
		// may select them by it.
		w.Labels["job-name"] = o.Name
		w.Labels["batch.kubernetes.io/job-name"] = o.Name
	}
	for _, c := range p.Containers() {
		if c.Field == "ephemeralContainers" {
			continue
		}
		w.Ports = append(w.Ports, c.Ports...)
	}
	return w
}

// classify groups the workloads into equivalence classes.
func (m *model) classify() {
	index := map[string]*Class{}
	lists := map[string]int{}
	for _, w := range m.workloads {
		k := classKey(w)
		c := index[k]
		if c == nil {
			c = &Class{ID: len(m.classes), Namespace: w.Namespace, Labels: w.Labels, Ports: w.Ports, HostNetwork: w.HostNetwork}
			pk := fmt.Sprint(w.Ports)
			id, ok := lists[pk]
			if !ok {
				id = len(m.portLists)
				lists[pk] = id
				m.portLists = append(m.portLists, c)
			}
			c.portsID = id
			index[k] = c
			m.classes = append(m.classes, c)
			m.classesByNS[c.Namespace] = append(m.classesByNS[c.Namespace], c)
		}
		c.Members = append(c.Members, w)
		w.Class = c
	}
}

func classKey(w *Workload) string {
	var b strings.Builder
	b.WriteString(w.Namespace)
	b.WriteByte(0)
	for _, k := range slices.Sorted(maps.Keys(w.Labels)) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(w.Labels[k])
		b.WriteByte(0)
	}
	b.WriteByte(1)
	ports := make([]string, 0, len(w.Ports))
	for _, p := range w.Ports {
		if p.Name != "" {
			ports = append(ports, fmt.Sprintf("%s/%s/%d", p.Name, p.Protocol, p.ContainerPort))
		}
	}
	sort.Strings(ports)
	b.WriteString(strings.Join(ports, ","))
	if w.HostNetwork {
		b.WriteString("\x01host")
	}
	return b.String()
}

// selectClasses records on each class the policies that select it.
func (m *model) selectClasses() {
	for _, p := range m.policies {
		for _, c := range m.classesByNS[p.ns] {
			m.attach(p, c)
		}
	}
}

// attach records p on c when p selects c.
func (m *model) attach(p *compiledPolicy, c *Class) {
	if !p.selects(c) {
		return
	}
	if p.ingress {
		c.inPols = append(c.inPols, p)
		c.in = append(c.in, p.in...)
	}
	if p.egress {
		c.egPols = append(c.egPols, p)
		c.eg = append(c.eg, p.eg...)
	}
}

// endpointClass returns a class for pods with these labels in namespace ns
// that the inventory may not hold (a flow's endpoint), with the policies
// of the inventory that select it.
func (m *model) endpointClass(ns string, l map[string]string, ports []corev1.ContainerPort) *Class {
	c := &Class{ID: -1, Namespace: ns, Labels: labels.Set(l), Ports: ports}
	for _, p := range m.policiesByN[ns] {
		m.attach(p, c)
	}
	return c
}

// coversNodes reports whether an ipBlock holds the addresses of every node,
// which is where traffic from host-network pods comes from. Without nodes
// in the inventory only a block of the whole address space does.
func (m *model) coversNodes(b ipBlock) bool {
	if len(m.nodeIPs) == 0 {
		return b.whole()
	}
	for _, ip := range m.nodeIPs {
		if !b.contains(ip) {
			return false
		}
	}
	return true
}
