package netpol

import (
	"fmt"

	"github.com/rampart-dev/rampart/internal/inventory"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// policy is a NetworkPolicy compiled for matching.
type compiledPolicy struct {
	obj    *inventory.Object
	np     *networkingv1.NetworkPolicy
	ns     string
	podSel labels.Selector
	// ingress and egress are the policy types after defaulting.
	ingress, egress bool
	in, eg          []*rule
	problems        []string
}

// Name renders the policy as namespace/name.
func (p *compiledPolicy) Name() string { return p.ns + "/" + p.np.Name }

// rule is one ingress or egress rule.
type rule struct {
	pol    *compiledPolicy
	egress bool
	index  int
	// any is set when the rule has no from (to) list: it matches every
	// source (destination), pods and addresses alike.
	any   bool
	peers []peer
	// ports are the rule's ports; allPorts is set when it lists none.
	ports    []portEntry
	allPorts bool
	// static is the rule's port set when it names no port; named ports
	// resolve against the destination pod.
	static *PortSet
	named  bool
	// byPorts holds the ports of a rule with named ports per distinct
	// container port list (Reach only).
	byPorts []*PortSet

	// set holds the IDs of the classes its pod peers select (Reach only).
	set bitset
	// nodes says whether a peer's ipBlock holds every node's address.
	nodes bool
}

// peer is one from/to entry.
type peer struct {
	index int
	// pod and ns are nil when the field is absent.
	pod, ns labels.Selector
	block   *ipBlock
	// invalid peers (no field set, or a selector or CIDR that does not
	// parse) match nothing.
	invalid bool
}

// portEntry is one NetworkPolicyPort.
type portEntry struct {
	proto  int // index in protocols, -1 for an unknown protocol
	all    bool
	lo, hi int32
	name   string
}

// policyTypes returns the directions a policy governs, defaulted as the API
// server documents: "If this field is not specified, it will default based
// on the existence of ingress or egress rules; policies that contain an
// egress section are assumed to affect egress, and all policies (whether
// or not they contain an ingress section) are assumed to affect ingress."
func policyTypes(spec *networkingv1.NetworkPolicySpec) (ingress, egress bool) {
	if len(spec.PolicyTypes) == 0 {
		return true, len(spec.Egress) > 0
	}
	for _, t := range spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

func compilePolicy(o *inventory.Object, np *networkingv1.NetworkPolicy) *compiledPolicy {
	p := &compiledPolicy{obj: o, np: np, ns: np.Namespace}
	if p.ns == "" {
		p.ns = o.Namespace
	}
	if p.ns == "" {
		p.ns = "default"
	}
	p.ingress, p.egress = policyTypes(&np.Spec)
	sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	if err != nil {
		p.problem("spec.podSelector: %v", err)
		sel = labels.Nothing()
	}
	p.podSel = sel
	// Rules of a direction the policy does not govern have no effect.
	if p.ingress {
		for i, r := range np.Spec.Ingress {
			p.in = append(p.in, p.compileRule(false, i, r.From, r.Ports))
		}
	}
	if p.egress {
		for i, r := range np.Spec.Egress {
			p.eg = append(p.eg, p.compileRule(true, i, r.To, r.Ports))
		}
	}
	return p
}

func (p *compiledPolicy) problem(format string, a ...any) {
	p.problems = append(p.problems, fmt.Sprintf("NetworkPolicy %s: ", p.Name())+fmt.Sprintf(format, a...))
}

func (p *compiledPolicy) compileRule(egress bool, i int, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) *rule {
	r := &rule{pol: p, egress: egress, index: i, any: len(peers) == 0, allPorts: len(ports) == 0}
	base, field := fmt.Sprintf("spec.ingress[%d]", i), "from"
	if egress {
		base, field = fmt.Sprintf("spec.egress[%d]", i), "to"
	}
	field = base + "." + field
	for j, pp := range peers {
		r.peers = append(r.peers, p.compilePeer(fmt.Sprintf("%s[%d]", field, j), j, pp))
	}
	for j, pp := range ports {
		e := compilePort(pp)
		if e.proto < 0 {
			p.problem("%s.ports[%d]: protocol %q is not TCP, UDP or SCTP", base, j, *pp.Protocol)
		}
		r.ports = append(r.ports, e)
		r.named = r.named || e.name != ""
	}
	if !r.named {
		s := resolvePorts(r.ports, r.allPorts, nil)
		r.static = &s
	}
	return r
}

func (p *compiledPolicy) compilePeer(field string, j int, pp networkingv1.NetworkPolicyPeer) peer {
	out := peer{index: j}
	if pp.IPBlock != nil {
		b, err := compileIPBlock(pp.IPBlock)
		if err != nil {
			p.problem("%s: %v", field, err)
			out.invalid = true
			return out
		}
		out.block = &b
		return out
	}
	if pp.PodSelector == nil && pp.NamespaceSelector == nil {
		out.invalid = true
		return out
	}
	if pp.PodSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(pp.PodSelector)
		if err != nil {
			p.problem("%s.podSelector: %v", field, err)
			out.invalid = true
		}
		out.pod = s
	}
	if pp.NamespaceSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(pp.NamespaceSelector)
		if err != nil {
			p.problem("%s.namespaceSelector: %v", field, err)
			out.invalid = true
		}
		out.ns = s
	}
	return out
}

func compilePort(pp networkingv1.NetworkPolicyPort) portEntry {
	e := portEntry{proto: 0}
	if pp.Protocol != nil {
		e.proto = protoIndex(*pp.Protocol)
	}
	switch {
	case pp.Port == nil:
		// "If this field is not provided, this matches all port names and numbers."
		e.all = true
	case pp.Port.Type == intstr.String:
		e.name = pp.Port.StrVal
	default:
		e.lo, e.hi = pp.Port.IntVal, pp.Port.IntVal
		// "endPort indicates that the range of ports from port to endPort
		// if set, inclusive, should be allowed". An endPort below port is
		// rejected by the API server; here it is read as port alone.
		if pp.EndPort != nil && *pp.EndPort >= e.lo {
			e.hi = *pp.EndPort
		}
	}
	return e
}

// resolvePorts returns the ports the entries allow to a pod of class dst
// (nil for an address outside the cluster's pods): named ports are looked
// up among dst's container ports, by name and protocol.
func resolvePorts(es []portEntry, all bool, dst *Class) PortSet {
	if all {
		return AllPorts()
	}
	var s PortSet
	for _, e := range es {
		switch {
		case e.proto < 0:
		case e.all:
			s.add(e.proto, 1, 65535)
		case e.name != "":
			if dst == nil {
				continue
			}
			for _, cp := range dst.Ports {
				if cp.Name == e.name && protoIndex(cp.Protocol) == e.proto {
					s.add(e.proto, cp.ContainerPort, cp.ContainerPort)
				}
			}
		default:
			s.add(e.proto, e.lo, e.hi)
		}
	}
	return s
}

// portsTo returns the ports r allows to a pod of class dst.
func (r *rule) portsTo(dst *Class) *PortSet {
	if r.static != nil {
		return r.static
	}
	if r.byPorts != nil && dst != nil && dst.ID >= 0 {
		return r.byPorts[dst.portsID]
	}
	s := resolvePorts(r.ports, r.allPorts, dst)
	return &s
}

// selects reports whether the policy's podSelector selects the pods of c.
// Host-network pods are never selected: most network plugins cannot tell
// their traffic from the node's.
func (p *compiledPolicy) selects(c *Class) bool {
	return !c.HostNetwork && c.Namespace == p.ns && p.podSel.Matches(c.Labels)
}

// matches reports whether the peer selects the pods of class c, per the
// API reference of NetworkPolicyPeer: "If namespaceSelector is also set,
// then the NetworkPolicyPeer as a whole selects the pods matching
// podSelector in the Namespaces selected by NamespaceSelector. Otherwise it
// selects the pods matching podSelector in the policy's own namespace."
// and "Otherwise it selects all pods in the namespaces selected by
// namespaceSelector." An ipBlock selects addresses, not pods.
func (pe *peer) matches(policyNS string, c *Class, nsLabels labels.Set) bool {
	if pe.invalid || pe.block != nil || c.HostNetwork {
		return false
	}
	if pe.ns == nil {
		return c.Namespace == policyNS && pe.pod.Matches(c.Labels)
	}
	if !pe.ns.Matches(nsLabels) {
		return false
	}
	return pe.pod == nil || pe.pod.Matches(c.Labels)
}

// selectorKey identifies what a peer selects, to share the work of peers
// that select the same pods.
func (pe *peer) selectorKey(policyNS string) string {
	pod, ns := "<nil>", "<nil>"
	if pe.pod != nil {
		pod = pe.pod.String()
	}
	if pe.ns != nil {
		ns = pe.ns.String()
	} else {
		ns = "=" + policyNS
	}
	return ns + "\x00" + pod
}
