package netpol

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/inventory"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// GraphNode is one end of observed connections.
type GraphNode struct {
	ID        string            `json:"id"`
	Namespace string            `json:"namespace,omitempty"`
	Name      string            `json:"name,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	IP        string            `json:"ip,omitempty"`
}

// GraphEdge is the observed traffic from one node to another.
type GraphEdge struct {
	From, To string
	// Observed are the ports seen; Denied those of them the current
	// policies would deny.
	Observed, Denied PortSet
}

// Graph is the observed connections, checked against current policies.
type Graph struct {
	Nodes []GraphNode
	Edges []GraphEdge
	Stats LearnStats
}

// Graph returns the connections the learner saw, each port marked when
// the policies of inv would deny it. Pods are matched to the workloads of
// inv by namespace and stable labels, for named ports; pods inv does not
// hold are judged by their labels alone.
func (l *Learner) Graph(inv *inventory.Inventory) *Graph {
	m := newModel(inv)
	byKey := map[string]*Class{}
	for _, c := range m.classes {
		if !c.HostNetwork {
			byKey[identityKey(c.Namespace, StableLabels(c.Labels))] = c
		}
	}
	g := &Graph{Stats: l.Stats}
	nodeID := func(p int32) string {
		if p < 0 {
			return l.ipList[-1-p].String()
		}
		return l.idents[p].ns + "/" + l.name(p)
	}
	ends := map[int32]endpoint{}
	end := func(p int32) endpoint {
		if e, ok := ends[p]; ok {
			return e
		}
		var e endpoint
		if p < 0 {
			e = endpoint{ip: l.ipList[-1-p]}
			g.Nodes = append(g.Nodes, GraphNode{ID: nodeID(p), IP: e.ip.String()})
		} else {
			id := l.idents[p]
			c := byKey[identityKey(id.ns, id.labels)]
			if c == nil {
				c = m.endpointClass(id.ns, id.labels, nil)
			}
			e = endpoint{class: c}
			g.Nodes = append(g.Nodes, GraphNode{ID: nodeID(p), Namespace: id.ns, Name: l.name(p), Labels: id.labels})
		}
		ends[p] = e
		return e
	}
	type pair struct{ src, dst int32 }
	edges := map[pair]*GraphEdge{}
	for k := range l.edges {
		pk := pair{k.src, k.dst}
		e := edges[pk]
		if e == nil {
			e = &GraphEdge{From: nodeID(k.src), To: nodeID(k.dst)}
			edges[pk] = e
		}
		e.Observed.add(int(k.proto), k.port, k.port)
		_, _, allowed, _ := m.decide(end(k.src), end(k.dst))
		if !allowed.Has(protocols[k.proto], k.port) {
			e.Denied.add(int(k.proto), k.port, k.port)
		}
	}
	for _, e := range edges {
		g.Edges = append(g.Edges, *e)
	}
	slices.SortFunc(g.Nodes, func(a, b GraphNode) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(g.Edges, func(a, b GraphEdge) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) })
	return g
}

// WriteDOT draws the graph for Graphviz: denied traffic in red, dashed.
func (g *Graph) WriteDOT(w io.Writer) error {
	d := newDot()
	nodes := map[string]GraphNode{}
	for _, n := range g.Nodes {
		nodes[n.ID] = n
	}
	id := func(key string) string {
		n := nodes[key]
		if n.IP != "" {
			return d.nodeID(key, n.IP, "", "ellipse")
		}
		return d.nodeID(key, n.Name, n.Namespace, "box")
	}
	for _, e := range g.Edges {
		from, to := id(e.From), id(e.To)
		allowed := e.Observed.Intersect(complement(e.Denied))
		if !allowed.Empty() {
			d.edge(from, to, allowed.String(), "", "")
		}
		if !e.Denied.Empty() {
			d.edge(from, to, "denied: "+e.Denied.String(), "dashed", "red")
		}
	}
	return d.write(w, "flows")
}

// complement returns every port not in s.
func complement(s PortSet) PortSet {
	var out PortSet
	for i, rs := range s.r {
		next := int32(1)
		for _, r := range rs {
			if r.lo > next {
				out.r[i] = append(out.r[i], portRange{next, r.lo - 1})
			}
			next = r.hi + 1
		}
		if next <= 65535 {
			out.r[i] = append(out.r[i], portRange{next, 65535})
		}
	}
	return out
}

// WriteJSON writes the graph as JSON.
func (g *Graph) WriteJSON(w io.Writer) error {
	type edge struct {
		From     string `json:"from"`
		To       string `json:"to"`
		Observed []Port `json:"observed"`
		Denied   []Port `json:"denied,omitempty"`
	}
	out := struct {
		Nodes []GraphNode `json:"nodes"`
		Edges []edge      `json:"edges"`
		Stats LearnStats  `json:"stats"`
	}{Nodes: g.Nodes, Edges: []edge{}, Stats: g.Stats}
	if out.Nodes == nil {
		out.Nodes = []GraphNode{}
	}
	for _, e := range g.Edges {
		out.Edges = append(out.Edges, edge{From: e.From, To: e.To, Observed: e.Observed.List(), Denied: e.Denied.List()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WritePolicies writes policies as a YAML stream.
func WritePolicies(w io.Writer, ps []*networkingv1.NetworkPolicy) error {
	bw := bufio.NewWriter(w)
	for i, p := range ps {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p)
		if err != nil {
			return fmt.Errorf("policy %s/%s: %w", p.Namespace, p.Name, err)
		}
		if md, ok := u["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		delete(u, "status")
		b, err := yaml.Marshal(u)
		if err != nil {
			return fmt.Errorf("policy %s/%s: %w", p.Namespace, p.Name, err)
		}
		if i > 0 {
			bw.WriteString("---\n")
		}
		bw.Write(b)
	}
	return bw.Flush()
}

// Learn reads flows and returns the policies that allow exactly them. known
// (may be nil) holds workloads to tell apart from the observed pods and to
// isolate even when silent.
func Learn(r io.Reader, format string, lim Limits, opts LearnOptions, known *inventory.Inventory) (*Learner, error) {
	l := NewLearner(opts)
	if known != nil {
		l.Know(known)
	}
	err := ParseFlows(r, format, lim, func(f Flow) error { l.Add(f); return nil })
	return l, err
}

// String summarises the stats in one line.
func (s LearnStats) String() string {
	parts := []string{fmt.Sprintf("%d flows read", s.Flows), fmt.Sprintf("%d learned", s.Learned)}
	for _, x := range []struct {
		n    int
		what string
	}{{s.Replies, "replies"}, {s.Dropped, "dropped"}, {s.Node, "from the local node"}, {s.External, "not involving pods"}, {s.Skipped, "in skipped namespaces"}} {
		if x.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s ignored", x.n, x.what))
		}
	}
	return strings.Join(parts, ", ")
}
