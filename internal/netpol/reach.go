package netpol

import (
	"cmp"
	"net/netip"
	"runtime"
	"slices"
	"sync"

	"github.com/rampart-dev/rampart/internal/inventory"
)

// Options focus a reachability answer.
type Options struct {
	// From and To keep connections whose source (destination) matches;
	// nil keeps all.
	From, To *EndpointFilter
	// Port keeps connections that allow this port.
	Port *PortQuery
}

// Edge is an allowed connection between the pods of two classes.
type Edge struct {
	From, To int32
	// Ports are the ports allowed between any pod of From and any of To.
	Ports *PortSet
	// NodeLocal says that, beyond Ports, every port is allowed when both
	// pods run on the same node (From runs on the host network and To is
	// isolated for ingress).
	NodeLocal bool
}

// Answer is who can connect to whom. Connections are kept between
// equivalence classes of workloads, so that the answer stays small; use
// Connections for the workload pairs.
type Answer struct {
	Workloads []*Workload
	Classes   []*Class
	Edges     []Edge
	// Egress and Ingress hold, per class ID, the addresses outside the
	// cluster's pods the class may connect to, and may be reached from.
	Egress, Ingress [][]ExternalRange
	// Problems are policy fields that could not be read; what they would
	// have allowed is not in the answer.
	Problems []string

	opts Options
}

// everywhere is every address with every port: what a side that no policy
// isolates allows.
var everywhere = []ExternalRange{{IPs: IPSet{ranges: []ipRange{
	{netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("255.255.255.255")},
	{netip.MustParseAddr("::"), lastAddr(netip.MustParsePrefix("::/0"))},
}}, Ports: AllPorts()}}

var allPortsShared = AllPorts()

// Reach computes every allowed connection between the workloads of inv and
// between them and addresses outside the cluster's pods.
func Reach(inv *inventory.Inventory, opts Options) *Answer {
	m := newModel(inv)
	return m.reach(opts)
}

func (m *model) reach(opts Options) *Answer {
	a := &Answer{Workloads: m.workloads, Classes: m.classes, Problems: m.problems, opts: opts}
	n := len(m.classes)
	if !m.indexed {
		m.indexRules()
	}
	a.Egress = make([][]ExternalRange, n)
	a.Ingress = make([][]ExternalRange, n)

	srcWanted := classFilter(m.classes, opts.From)
	dstWanted := classFilter(m.classes, opts.To)
	all := newBitset(n)
	host := newBitset(n)
	for _, c := range m.classes {
		if dstWanted(c) {
			all.set(c.ID)
			if c.HostNetwork {
				host.set(c.ID)
			}
		}
	}

	workers := min(runtime.GOMAXPROCS(0), max(1, n/64))
	parts := make([][]Edge, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			in := newInterner()
			cand := newBitset(n)
			for id := w; id < n; id += workers {
				s := m.classes[id]
				if srcWanted(s) {
					a.Egress[id] = m.externalEgress(s)
					parts[w] = m.edgesFrom(s, all, host, cand, in, parts[w])
				}
				if dstWanted(s) {
					a.Ingress[id] = m.externalIngress(s)
				}
			}
		}(w)
	}
	wg.Wait()
	for _, p := range parts {
		a.Edges = append(a.Edges, p...)
	}
	slices.SortFunc(a.Edges, func(x, y Edge) int { return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To)) })
	return a
}

// indexRules fills each rule's set of selected classes, sharing the work
// between peers that select the same pods.
func (m *model) indexRules() {
	m.indexed = true
	n := len(m.classes)
	cache := map[string]bitset{}
	nsCache := map[string][]string{}
	for _, p := range m.policies {
		for _, r := range append(slices.Clip(p.in), p.eg...) {
			r.set = newBitset(n)
			if r.named {
				r.byPorts = make([]*PortSet, len(m.portLists))
				for i, c := range m.portLists {
					s := resolvePorts(r.ports, r.allPorts, c)
					r.byPorts[i] = &s
				}
			}
			for i := range r.peers {
				pe := &r.peers[i]
				if pe.invalid {
					continue
				}
				if pe.block != nil {
					r.nodes = r.nodes || m.coversNodes(*pe.block)
					continue
				}
				key := pe.selectorKey(p.ns)
				set, ok := cache[key]
				if !ok {
					set = newBitset(n)
					for _, ns := range m.peerNamespaces(pe, p.ns, nsCache) {
						for _, c := range m.classesByNS[ns] {
							if pe.matches(p.ns, c, m.nsLabels[ns]) {
								set.set(c.ID)
							}
						}
					}
					cache[key] = set
				}
				r.set.or(set)
			}
		}
	}
}

// peerNamespaces returns the namespaces whose pods the peer may select.
func (m *model) peerNamespaces(pe *peer, policyNS string, cache map[string][]string) []string {
	if pe.ns == nil {
		return []string{policyNS}
	}
	key := pe.ns.String()
	if out, ok := cache[key]; ok {
		return out
	}
	var out []string
	for _, ns := range m.namespaces {
		if pe.ns.Matches(m.nsLabels[ns]) {
			out = append(out, ns)
		}
	}
	cache[key] = out
	return out
}

// edgesFrom appends the edges from class s to the wanted classes.
func (m *model) edgesFrom(s *Class, all, host, cand bitset, in *interner, out []Edge) []Edge {
	open := s.HostNetwork || !s.egressIsolated()
	if open {
		copy(cand, all)
	} else {
		clear(cand)
		for _, r := range s.eg {
			switch {
			case r.any:
				copy(cand, all)
			default:
				cand.or(r.set)
				if r.nodes {
					cand.or(host)
				}
			}
		}
		for i := range cand {
			cand[i] &= all[i]
		}
	}
	cand.each(func(id int) {
		d := m.classes[id]
		eg := &allPortsShared
		if !open {
			eg = nil
			for _, r := range s.eg {
				if r.any || r.set.has(id) || (d.HostNetwork && r.nodes) {
					eg = in.union(eg, r.portsTo(d))
				}
			}
			if eg == nil {
				return
			}
		}
		ing, nodeLocal := &allPortsShared, false
		if !d.HostNetwork && d.ingressIsolated() {
			nodeLocal = s.HostNetwork
			ing = nil
			for _, r := range d.in {
				if r.any || r.set.has(s.ID) || (s.HostNetwork && r.nodes) {
					ing = in.union(ing, r.portsTo(d))
				}
			}
		}
		ports := in.intersect(eg, ing)
		if ports == nil && !nodeLocal {
			return
		}
		if ports == nil {
			ports = &PortSet{}
		}
		out = append(out, Edge{From: int32(s.ID), To: int32(id), Ports: ports, NodeLocal: nodeLocal})
	})
	return out
}

// externalEgress returns the addresses outside the cluster's pods that s
// may connect to.
func (m *model) externalEgress(s *Class) []ExternalRange {
	if s.HostNetwork || !s.egressIsolated() {
		return everywhere
	}
	return partition(externalAllows(s.eg, nil))
}

// externalIngress returns the addresses outside the cluster's pods that
// may connect to d.
func (m *model) externalIngress(d *Class) []ExternalRange {
	if d.HostNetwork || !d.ingressIsolated() {
		return everywhere
	}
	return partition(externalAllows(d.in, d))
}

func externalAllows(rules []*rule, dst *Class) []ipAllow {
	var out []ipAllow
	for _, r := range rules {
		// Named ports name a pod's container ports: toward an address
		// they resolve to nothing.
		ports := resolvePorts(r.ports, r.allPorts, dst)
		if ports.Empty() {
			continue
		}
		if r.any {
			for _, fam := range []string{"0.0.0.0/0", "::/0"} {
				out = append(out, ipAllow{block: ipBlock{cidr: netip.MustParsePrefix(fam)}, ports: ports})
			}
			continue
		}
		for _, pe := range r.peers {
			if pe.block != nil && !pe.invalid {
				out = append(out, ipAllow{block: *pe.block, ports: ports})
			}
		}
	}
	return out
}

// interner shares port sets between edges, so that an answer with
// millions of edges holds a handful of sets, and remembers unions and
// intersections of shared sets so that the pair loop does not allocate.
type interner struct {
	sets map[string]*PortSet
	ops  map[opKey]*PortSet
}

type opKey struct {
	a, b  *PortSet
	union bool
}

func newInterner() *interner {
	return &interner{sets: map[string]*PortSet{}, ops: map[opKey]*PortSet{}}
}

func (in *interner) intern(s PortSet) *PortSet {
	if s.All() {
		return &allPortsShared
	}
	k := s.key()
	if p, ok := in.sets[k]; ok {
		return p
	}
	p := &s
	in.sets[k] = p
	return p
}

// union returns a ∪ b, where nil is the empty set.
func (in *interner) union(a, b *PortSet) *PortSet {
	switch {
	case b == nil || b.Empty():
		return a
	case a == nil || a == b:
		return b
	case a.All():
		return a
	case b.All():
		return b
	}
	k := opKey{a, b, true}
	if p, ok := in.ops[k]; ok {
		return p
	}
	p := in.intern(a.Union(*b))
	in.ops[k] = p
	return p
}

// intersect returns a ∩ b, or nil when it is empty or either is nil.
func (in *interner) intersect(a, b *PortSet) *PortSet {
	switch {
	case a == nil || b == nil:
		return nil
	case a == b || b.All():
		return a
	case a.All():
		return b
	}
	k := opKey{a, b, false}
	if p, ok := in.ops[k]; ok {
		return p
	}
	var p *PortSet
	if x := a.Intersect(*b); !x.Empty() {
		p = in.intern(x)
	}
	in.ops[k] = p
	return p
}
