package netpol

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReachFormats are the formats WriteReach knows.
var ReachFormats = []string{"text", "json", "csv", "dot"}

// WriteReach renders connections in one of ReachFormats.
func WriteReach(w io.Writer, format string, cs []Connection, problems []string) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case "text":
		err = writeText(bw, cs, problems)
	case "json":
		err = writeJSON(bw, cs, problems)
	case "csv":
		err = writeCSV(bw, cs)
	case "dot":
		err = writeDOT(bw, cs)
	default:
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(ReachFormats, ", "))
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// Line renders a connection as
// "prod/api[Deployment] => prod/db[StatefulSet] : TCP 5432".
func (c Connection) Line() string {
	s := c.From.String() + " => " + c.To.String() + " : "
	switch {
	case c.NodeLocal && c.Ports.Empty():
		return s + "all ports from the same node only"
	case c.NodeLocal:
		return s + c.Ports.String() + " (all ports from the same node)"
	}
	return s + c.Ports.String()
}

func writeText(w io.Writer, cs []Connection, problems []string) error {
	for _, c := range cs {
		if _, err := fmt.Fprintln(w, c.Line()); err != nil {
			return err
		}
	}
	for _, p := range problems {
		if _, err := fmt.Fprintf(w, "warning: %s (matches nothing)\n", p); err != nil {
			return err
		}
	}
	return nil
}

// PeerJSON is a connection end in JSON output: a workload or addresses.
type PeerJSON struct {
	Kind      string   `json:"kind,omitempty"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name,omitempty"`
	CIDRs     []string `json:"cidrs,omitempty"`
}

// ConnectionJSON is a connection in JSON output.
type ConnectionJSON struct {
	From      PeerJSON `json:"from"`
	To        PeerJSON `json:"to"`
	Ports     []Port   `json:"ports"`
	NodeLocal bool     `json:"nodeLocal,omitempty"`
}

func (p Peer) json() PeerJSON {
	if p.Workload != nil {
		return PeerJSON{Kind: p.Workload.Kind, Namespace: p.Workload.Namespace, Name: p.Workload.Name}
	}
	var out PeerJSON
	for _, x := range p.IPs.Prefixes() {
		out.CIDRs = append(out.CIDRs, x.String())
	}
	return out
}

func writeJSON(w io.Writer, cs []Connection, problems []string) error {
	out := struct {
		Connections []ConnectionJSON `json:"connections"`
		Problems    []string         `json:"problems,omitempty"`
	}{Connections: make([]ConnectionJSON, 0, len(cs)), Problems: problems}
	for _, c := range cs {
		ports := c.Ports.List()
		if ports == nil {
			ports = []Port{}
		}
		out.Connections = append(out.Connections, ConnectionJSON{From: c.From.json(), To: c.To.json(), Ports: ports, NodeLocal: c.NodeLocal})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeCSV writes one row per connection and protocol.
func writeCSV(w io.Writer, cs []Connection) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"from", "to", "protocol", "ports", "node_local"}); err != nil {
		return err
	}
	for _, c := range cs {
		from, to := c.From.String(), c.To.String()
		wrote := false
		for i, rs := range c.Ports.r {
			if len(rs) == 0 {
				continue
			}
			nums := make([]string, len(rs))
			for j, r := range rs {
				nums[j] = r.String()
			}
			wrote = true
			if err := cw.Write([]string{from, to, string(protocols[i]), strings.Join(nums, " "), strconv.FormatBool(c.NodeLocal)}); err != nil {
				return err
			}
		}
		if !wrote {
			if err := cw.Write([]string{from, to, "", "", strconv.FormatBool(c.NodeLocal)}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeDOT writes a Graphviz graph, one cluster per namespace.
func writeDOT(w io.Writer, cs []Connection) error {
	g := newDot()
	for _, c := range cs {
		style := ""
		if c.NodeLocal {
			style = "dashed"
		}
		g.edge(g.node(c.From), g.node(c.To), c.Ports.String(), style, "")
	}
	return g.write(w, "reach")
}

// dot accumulates a Graphviz digraph.
type dot struct {
	ids   map[string]string
	nodes map[string][]string // namespace ("" for addresses) -> node lines
	order []string
	edges []string
}

func newDot() *dot { return &dot{ids: map[string]string{}, nodes: map[string][]string{}} }

func (g *dot) node(p Peer) string {
	label, ns, shape := p.String(), "", "box"
	if p.Workload != nil {
		label, ns = p.Workload.Name+"\n"+p.Workload.Kind, p.Workload.Namespace
	} else {
		shape = "ellipse"
	}
	return g.nodeID(p.String(), label, ns, shape)
}

func (g *dot) nodeID(key, label, ns, shape string) string {
	if id, ok := g.ids[key]; ok {
		return id
	}
	id := "n" + strconv.Itoa(len(g.ids))
	g.ids[key] = id
	if _, ok := g.nodes[ns]; !ok {
		g.order = append(g.order, ns)
	}
	g.nodes[ns] = append(g.nodes[ns], fmt.Sprintf("%s [label=%s, shape=%s];", id, strconv.Quote(label), shape))
	return id
}

func (g *dot) edge(from, to, label, style, color string) {
	attrs := []string{"label=" + strconv.Quote(label)}
	if style != "" {
		attrs = append(attrs, "style="+style)
	}
	if color != "" {
		attrs = append(attrs, "color="+color, "fontcolor="+color)
	}
	g.edges = append(g.edges, fmt.Sprintf("%s -> %s [%s];", from, to, strings.Join(attrs, ", ")))
}

func (g *dot) write(w io.Writer, name string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n", name)
	for i, ns := range g.order {
		if ns == "" {
			for _, n := range g.nodes[ns] {
				fmt.Fprintf(&b, "  %s\n", n)
			}
			continue
		}
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%s;\n", i, strconv.Quote(ns))
		for _, n := range g.nodes[ns] {
			fmt.Fprintf(&b, "    %s\n", n)
		}
		b.WriteString("  }\n")
	}
	for _, e := range g.edges {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
