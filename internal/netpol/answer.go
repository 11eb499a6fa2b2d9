package netpol

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// EndpointFilter picks one end of connections: a workload
// (NAMESPACE/NAME or NAMESPACE/KIND/NAME), every workload of a namespace
// (NAMESPACE/*), addresses outside the cluster's pods (an IP, a CIDR, or
// "external").
type EndpointFilter struct {
	raw                   string
	namespace, kind, name string
	prefix                netip.Prefix
	external              bool
}

// ParseEndpointFilter reads a filter; see EndpointFilter.
func ParseEndpointFilter(s string) (*EndpointFilter, error) {
	f := &EndpointFilter{raw: s}
	s = strings.TrimSpace(s)
	if s == "external" {
		f.external = true
		return f, nil
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		f.prefix, f.external = p.Masked(), true
		return f, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		f.prefix, f.external = netip.PrefixFrom(a, a.BitLen()), true
		return f, nil
	}
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 2:
		f.namespace, f.name = parts[0], parts[1]
	case 3:
		f.namespace, f.kind, f.name = parts[0], parts[1], parts[2]
	default:
		return nil, fmt.Errorf("%q names no workload: want NAMESPACE/NAME, NAMESPACE/KIND/NAME, NAMESPACE/*, an IP, a CIDR or \"external\"", s)
	}
	if f.namespace == "" || f.name == "" {
		return nil, fmt.Errorf("%q names no workload: want NAMESPACE/NAME, NAMESPACE/KIND/NAME, NAMESPACE/*, an IP, a CIDR or \"external\"", s)
	}
	return f, nil
}

func (f *EndpointFilter) String() string { return f.raw }

// matchWorkload reports whether w is picked.
func (f *EndpointFilter) matchWorkload(w *Workload) bool {
	if f == nil {
		return true
	}
	if f.external || w.Namespace != f.namespace {
		return false
	}
	return (f.name == "*" || f.name == w.Name) && (f.kind == "" || strings.EqualFold(f.kind, w.Kind))
}

// matchIPs reports whether addresses of s are picked.
func (f *EndpointFilter) matchIPs(s IPSet) bool {
	if f == nil {
		return true
	}
	if !f.external {
		return false
	}
	return !f.prefix.IsValid() || s.Overlaps(f.prefix)
}

// classFilter returns whether a class has a member f picks.
func classFilter(classes []*Class, f *EndpointFilter) func(*Class) bool {
	if f == nil {
		return func(*Class) bool { return true }
	}
	return func(c *Class) bool {
		return slices.ContainsFunc(c.Members, f.matchWorkload)
	}
}

// Peer is one end of a connection: a workload or a set of addresses.
type Peer struct {
	Workload *Workload
	IPs      *IPSet
}

func (p Peer) String() string {
	if p.Workload != nil {
		return p.Workload.String()
	}
	return p.IPs.String()
}

// Connection is an allowed connection between two workloads, or between a
// workload and addresses outside the cluster's pods.
type Connection struct {
	From, To  Peer
	Ports     PortSet
	NodeLocal bool
}

// Connections lists the allowed connections between workloads, then with
// addresses, sorted by source and destination.
func (a *Answer) Connections() []Connection {
	var out []Connection
	keep := func(c Connection) {
		if a.opts.Port != nil && !a.opts.Port.Matches(c.Ports) && !c.NodeLocal {
			return
		}
		out = append(out, c)
	}
	for _, e := range a.Edges {
		for _, f := range a.Classes[e.From].Members {
			if !a.opts.From.matchWorkload(f) {
				continue
			}
			for _, t := range a.Classes[e.To].Members {
				if a.opts.To.matchWorkload(t) {
					keep(Connection{From: Peer{Workload: f}, To: Peer{Workload: t}, Ports: *e.Ports, NodeLocal: e.NodeLocal})
				}
			}
		}
	}
	for id, c := range a.Classes {
		for i := range a.Egress[id] {
			r := &a.Egress[id][i]
			if !a.opts.To.matchIPs(r.IPs) {
				continue
			}
			for _, w := range c.Members {
				if a.opts.From.matchWorkload(w) {
					keep(Connection{From: Peer{Workload: w}, To: Peer{IPs: &r.IPs}, Ports: r.Ports})
				}
			}
		}
		for i := range a.Ingress[id] {
			r := &a.Ingress[id][i]
			if !a.opts.From.matchIPs(r.IPs) {
				continue
			}
			for _, w := range c.Members {
				if a.opts.To.matchWorkload(w) {
					keep(Connection{From: Peer{IPs: &r.IPs}, To: Peer{Workload: w}, Ports: r.Ports})
				}
			}
		}
	}
	slices.SortStableFunc(out, compareConnections)
	return out
}

func compareConnections(a, b Connection) int {
	return cmp.Or(comparePeers(a.From, b.From), comparePeers(a.To, b.To))
}

// comparePeers orders workloads before addresses, workloads by namespace,
// name and kind.
func comparePeers(a, b Peer) int {
	switch {
	case a.Workload != nil && b.Workload != nil:
		return compareWorkloads(a.Workload, b.Workload)
	case a.Workload != nil:
		return -1
	case b.Workload != nil:
		return 1
	}
	return cmp.Compare(a.IPs.String(), b.IPs.String())
}
