package netpol

import (
	"fmt"
	"net/netip"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// endpoint is one end of a connection: pods of a class, or an address
// outside the cluster's pods.
type endpoint struct {
	class *Class
	ip    netip.Addr
}

// Side is how one end of a connection decides it: the egress side of the
// source or the ingress side of the destination.
type Side struct {
	// Direction is "egress" or "ingress".
	Direction string `json:"direction"`
	// Isolated says some policy selects the pods for this direction, so
	// only what its rules allow passes.
	Isolated bool `json:"isolated"`
	// Reason explains a side that is not isolated or that nothing allows.
	Reason string `json:"reason,omitempty"`
	// Policies are the policies that select the pods for this direction.
	Policies []string `json:"policies,omitempty"`
	// Rules are the rules whose peers match the other end, with the ports
	// each allows.
	Rules []RuleMatch `json:"rules,omitempty"`
	// Ports are all the ports this side allows to or from the other end.
	Ports PortSet `json:"-"`
	// NodeLocal says that traffic from the pod's own node is allowed
	// whatever the rules say (the source is a host-network pod).
	NodeLocal bool `json:"nodeLocal,omitempty"`
}

// RuleMatch is one rule that matches a connection's other end.
type RuleMatch struct {
	Policy string `json:"policy"`
	// Field is the rule's peer, e.g. spec.ingress[0].from[1], or the rule
	// itself when it has no peers (it matches every source or destination).
	Field string        `json:"field"`
	Ports PortSet       `json:"-"`
	Place finding.Place `json:"place"`
}

func (r *rule) field(peer int) string {
	dir, list := "ingress", "from"
	if r.egress {
		dir, list = "egress", "to"
	}
	if peer < 0 {
		return fmt.Sprintf("spec.%s[%d]", dir, r.index)
	}
	return fmt.Sprintf("spec.%s[%d].%s[%d]", dir, r.index, list, peer)
}

// peerMatch returns the index of the first peer of r that matches the
// other end e (-1 for a rule without peers), or false.
func (m *model) peerMatch(r *rule, e endpoint) (int, bool) {
	if r.any {
		return -1, true
	}
	for i := range r.peers {
		pe := &r.peers[i]
		switch {
		case pe.invalid:
		case e.class == nil:
			if pe.block != nil && pe.block.contains(e.ip) {
				return i, true
			}
		case e.class.HostNetwork:
			// A host-network pod talks with its node's address.
			if pe.block != nil && m.coversNodes(*pe.block) {
				return i, true
			}
		case pe.matches(r.pol.ns, e.class, m.nsLabelsOf(e.class.Namespace)):
			return i, true
		}
	}
	return 0, false
}

// egressSide decides the source side of s connecting to dst.
func (m *model) egressSide(s *Class, dst endpoint) Side {
	side := Side{Direction: "egress"}
	switch {
	case s.HostNetwork:
		side.Reason = "host-network pods are not selected by NetworkPolicies (their traffic is the node's)"
		side.Ports = AllPorts()
		return side
	case !s.egressIsolated():
		side.Reason = "no NetworkPolicy selects the source for egress"
		side.Ports = AllPorts()
		return side
	}
	side.Isolated = true
	for _, p := range s.egPols {
		side.Policies = append(side.Policies, p.Name())
	}
	for _, r := range s.eg {
		i, ok := m.peerMatch(r, dst)
		if !ok {
			continue
		}
		ports := *r.portsTo(dst.class)
		side.Rules = append(side.Rules, RuleMatch{Policy: r.pol.Name(), Field: r.field(i), Ports: ports, Place: r.pol.obj.Place(inventory.FieldPath(r.field(i)))})
		side.Ports = side.Ports.Union(ports)
	}
	if len(side.Rules) == 0 {
		side.Reason = "no egress rule of these policies matches the destination"
	}
	return side
}

// ingressSide decides the destination side of src connecting to d.
func (m *model) ingressSide(d *Class, src endpoint) Side {
	side := Side{Direction: "ingress"}
	switch {
	case d.HostNetwork:
		side.Reason = "host-network pods are not selected by NetworkPolicies (their traffic is the node's)"
		side.Ports = AllPorts()
		return side
	case !d.ingressIsolated():
		side.Reason = "no NetworkPolicy selects the destination for ingress"
		side.Ports = AllPorts()
		return side
	}
	side.Isolated = true
	// "Traffic is allowed to a pod if ... the traffic source is the pod's
	// local node": a host-network source on the same node always passes.
	side.NodeLocal = src.class != nil && src.class.HostNetwork
	for _, p := range d.inPols {
		side.Policies = append(side.Policies, p.Name())
	}
	for _, r := range d.in {
		i, ok := m.peerMatch(r, src)
		if !ok {
			continue
		}
		ports := *r.portsTo(d)
		side.Rules = append(side.Rules, RuleMatch{Policy: r.pol.Name(), Field: r.field(i), Ports: ports, Place: r.pol.obj.Place(inventory.FieldPath(r.field(i)))})
		side.Ports = side.Ports.Union(ports)
	}
	if len(side.Rules) == 0 {
		side.Reason = "no ingress rule of these policies matches the source"
	}
	return side
}

// decide returns both sides of a connection from src to dst and the ports
// they let through together.
func (m *model) decide(src, dst endpoint) (eg, in Side, ports PortSet, nodeLocal bool) {
	eg = Side{Direction: "egress", Reason: "addresses outside the cluster's pods are not governed by NetworkPolicies", Ports: AllPorts()}
	in = Side{Direction: "ingress", Reason: "addresses outside the cluster's pods are not governed by NetworkPolicies", Ports: AllPorts()}
	if src.class != nil {
		eg = m.egressSide(src.class, dst)
	}
	if dst.class != nil {
		in = m.ingressSide(dst.class, src)
	}
	ports = eg.Ports.Intersect(in.Ports)
	nodeLocal = in.NodeLocal && !eg.Ports.Empty()
	return eg, in, ports, nodeLocal
}
