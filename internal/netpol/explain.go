package netpol

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/rampart-dev/rampart/internal/inventory"
)

// ErrNoSuchWorkload is returned by Explain when an end names no workload
// of the inventory.
var ErrNoSuchWorkload = errors.New("no such workload")

// Explanation says whether one connection is allowed and which policies
// and rules decide it on each side.
type Explanation struct {
	From, To Peer
	Port     PortQuery
	Allowed  bool
	// NodeLocal is set when the connection is allowed only when both pods
	// run on the same node.
	NodeLocal bool
	Egress    Side
	Ingress   Side
	Problems  []string
}

// Explain decides a connection from src to dst on port q. src and dst are
// a workload (NAMESPACE/NAME or NAMESPACE/KIND/NAME) or an IP address.
func Explain(inv *inventory.Inventory, src, dst string, q PortQuery) (*Explanation, error) {
	m := newModel(inv)
	from, fe, err := m.resolve(src)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	to, te, err := m.resolve(dst)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	if fe.class == nil && te.class == nil {
		return nil, errors.New("source and destination are both addresses: NetworkPolicies decide nothing between them")
	}
	x := &Explanation{From: from, To: to, Port: q, Problems: m.problems}
	var ports PortSet
	x.Egress, x.Ingress, ports, x.NodeLocal = m.decide(fe, te)
	x.Allowed = q.Matches(ports)
	x.NodeLocal = x.NodeLocal && !x.Allowed
	return x, nil
}

// resolve finds the workload or address s names.
func (m *model) resolve(s string) (Peer, endpoint, error) {
	if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
		set := IPSet{ranges: []ipRange{{a, a}}}
		return Peer{IPs: &set}, endpoint{ip: a}, nil
	}
	f, err := ParseEndpointFilter(s)
	if err != nil {
		return Peer{}, endpoint{}, err
	}
	if f.external || f.name == "*" {
		return Peer{}, endpoint{}, fmt.Errorf("%q: name one workload or one IP address", s)
	}
	var found []*Workload
	for _, w := range m.workloads {
		if f.matchWorkload(w) {
			found = append(found, w)
		}
	}
	switch len(found) {
	case 0:
		return Peer{}, endpoint{}, fmt.Errorf("%w %q", ErrNoSuchWorkload, s)
	case 1:
		return Peer{Workload: found[0]}, endpoint{class: found[0].Class}, nil
	}
	names := make([]string, len(found))
	for i, w := range found {
		names[i] = w.Namespace + "/" + w.Kind + "/" + w.Name
	}
	return Peer{}, endpoint{}, fmt.Errorf("%q names %d workloads (%s): add the kind, as NAMESPACE/KIND/NAME", s, len(found), strings.Join(names, ", "))
}

// Verdict is "allowed", "denied" or "allowed from the same node only".
func (x *Explanation) Verdict() string {
	switch {
	case x.Allowed:
		return "allowed"
	case x.NodeLocal:
		return "allowed from the same node only"
	}
	return "denied"
}

// WriteText renders the explanation for people.
func (x *Explanation) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s => %s : %s %s\n", x.From, x.To, x.Port, strings.ToUpper(x.Verdict()))
	x.side(&b, x.Egress, x.From, x.To)
	x.side(&b, x.Ingress, x.To, x.From)
	for _, p := range x.Problems {
		fmt.Fprintf(&b, "warning: %s (matches nothing)\n", p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (x *Explanation) side(b *strings.Builder, s Side, self, other Peer) {
	if self.Workload == nil {
		fmt.Fprintf(b, "%s of %s: not governed (%s)\n", s.Direction, self, s.Reason)
		return
	}
	if !s.Isolated {
		fmt.Fprintf(b, "%s of %s: allowed, %s\n", s.Direction, self, s.Reason)
		return
	}
	verdict := "denied"
	if x.Port.Matches(s.Ports) {
		verdict = "allowed"
	} else if s.NodeLocal {
		verdict = "denied except from the same node"
	}
	fmt.Fprintf(b, "%s of %s: %s; isolated by %s\n", s.Direction, self, verdict, strings.Join(s.Policies, ", "))
	if len(s.Rules) == 0 {
		fmt.Fprintf(b, "  %s\n", s.Reason)
	}
	for _, r := range s.Rules {
		mark := "does not allow the port"
		if x.Port.Matches(r.Ports) {
			mark = "allows"
		}
		at := ""
		if p := r.Place.String(); p != "" {
			at = " (" + p + ")"
		}
		fmt.Fprintf(b, "  %s %s matches %s, %s: %s%s\n", r.Policy, r.Field, other, mark, r.Ports, at)
	}
}
