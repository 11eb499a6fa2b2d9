package netpol

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// ipBlock is a compiled NetworkPolicyPeer.ipBlock: one CIDR minus the
// CIDRs of except.
type ipBlock struct {
	cidr   netip.Prefix
	except []netip.Prefix
}

func compileIPBlock(b *networkingv1.IPBlock) (ipBlock, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(b.CIDR))
	if err != nil {
		return ipBlock{}, fmt.Errorf("ipBlock.cidr %q: %w", b.CIDR, err)
	}
	out := ipBlock{cidr: p.Masked()}
	for _, e := range b.Except {
		x, err := netip.ParsePrefix(strings.TrimSpace(e))
		if err != nil {
			return ipBlock{}, fmt.Errorf("ipBlock.except %q: %w", e, err)
		}
		out.except = append(out.except, x.Masked())
	}
	return out, nil
}

// contains reports whether addr is in the block: inside cidr and outside
// every except.
func (b ipBlock) contains(a netip.Addr) bool {
	if !b.cidr.Contains(a) {
		return false
	}
	for _, e := range b.except {
		if e.Contains(a) {
			return false
		}
	}
	return true
}

// whole reports whether the block is all addresses of its family.
func (b ipBlock) whole() bool { return b.cidr.Bits() == 0 && len(b.except) == 0 }

func (b ipBlock) String() string {
	s := b.cidr.String()
	if len(b.except) > 0 {
		ex := make([]string, len(b.except))
		for i, e := range b.except {
			ex[i] = e.String()
		}
		s += " except " + strings.Join(ex, ", ")
	}
	return s
}

// ipRange is an inclusive range of addresses of one family.
type ipRange struct{ lo, hi netip.Addr }

// lastAddr returns the last address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	b := a.AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	out, _ := netip.AddrFromSlice(b)
	return out
}

// IPSet is a set of addresses, kept as sorted disjoint ranges. The
// standard library has prefixes but no sets of them (go4.org/netipx has,
// and is not a dependency), hence this small type.
type IPSet struct {
	ranges []ipRange
}

// Prefixes returns the set as the fewest CIDR prefixes.
func (s IPSet) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, r := range s.ranges {
		out = append(out, rangePrefixes(r)...)
	}
	return out
}

// rangePrefixes splits a range into the fewest prefixes.
func rangePrefixes(r ipRange) []netip.Prefix {
	var out []netip.Prefix
	lo := r.lo
	for {
		var p netip.Prefix
		for bits := 0; bits <= lo.BitLen(); bits++ {
			c := netip.PrefixFrom(lo, bits)
			if c.Masked().Addr() == lo && lastAddr(c).Compare(r.hi) <= 0 {
				p = c
				break
			}
		}
		out = append(out, p)
		end := lastAddr(p)
		if end.Compare(r.hi) >= 0 || !end.Next().IsValid() {
			return out
		}
		lo = end.Next()
	}
}

// Contains reports whether a is in the set.
func (s IPSet) Contains(a netip.Addr) bool {
	for _, r := range s.ranges {
		if r.lo.Compare(a) <= 0 && a.Compare(r.hi) <= 0 {
			return true
		}
	}
	return false
}

// Overlaps reports whether the set and prefix p share an address.
func (s IPSet) Overlaps(p netip.Prefix) bool {
	lo, hi := p.Masked().Addr(), lastAddr(p)
	for _, r := range s.ranges {
		if r.lo.Compare(hi) <= 0 && lo.Compare(r.hi) <= 0 {
			return true
		}
	}
	return false
}

// String renders the set as CIDRs, or as "0.0.0.0/0 except ..." when that
// is shorter.
func (s IPSet) String() string {
	var parts []string
	for _, fam := range []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")} {
		var in IPSet
		for _, r := range s.ranges {
			if r.lo.Is4() == fam.Addr().Is4() {
				in.ranges = append(in.ranges, r)
			}
		}
		if len(in.ranges) == 0 {
			continue
		}
		ps := in.Prefixes()
		comp := in.complement(fam).Prefixes()
		if len(comp) < len(ps) {
			s := fam.String()
			if len(comp) > 0 {
				s += " except " + joinPrefixes(comp)
			}
			parts = append(parts, s)
			continue
		}
		parts = append(parts, joinPrefixes(ps))
	}
	return strings.Join(parts, ", ")
}

func joinPrefixes(ps []netip.Prefix) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = p.String()
	}
	return strings.Join(ss, ", ")
}

// complement returns the addresses of family fam (0.0.0.0/0 or ::/0) not in s.
func (s IPSet) complement(fam netip.Prefix) IPSet {
	var out IPSet
	next := fam.Addr()
	done := false
	for _, r := range s.ranges {
		if r.lo.Compare(next) > 0 {
			out.ranges = append(out.ranges, ipRange{next, r.lo.Prev()})
		}
		if !r.hi.Next().IsValid() || r.hi.Next().Is4() != fam.Addr().Is4() {
			done = true
			break
		}
		next = r.hi.Next()
	}
	if !done {
		out.ranges = append(out.ranges, ipRange{next, lastAddr(fam)})
	}
	return out
}

// ipAllow is an ipBlock with the ports a rule allows to it; partition
// splits the address space at every boundary of every block
// so that "an IP in except allowed by another policy" comes out right.
type ipAllow struct {
	block ipBlock
	ports PortSet
}

// ExternalRange is a set of addresses outside the cluster's pods with the
// ports allowed to or from all of them.
type ExternalRange struct {
	IPs   IPSet
	Ports PortSet
}

// partition returns, for the union of allows, the address sets grouped by
// the ports allowed to them, sorted by the first address.
func partition(allows []ipAllow) []ExternalRange {
	var out []ExternalRange
	index := map[string]int{}
	for _, v4 := range []bool{true, false} {
		for _, r := range partitionFamily(allows, v4) {
			k := r.Ports.key()
			if i, ok := index[k]; ok {
				out[i].IPs.ranges = append(out[i].IPs.ranges, r.IPs.ranges...)
				continue
			}
			index[k] = len(out)
			out = append(out, r)
		}
	}
	return out
}

func partitionFamily(allows []ipAllow, v4 bool) []ExternalRange {
	var points []netip.Addr
	var fam []ipAllow
	for _, a := range allows {
		if a.block.cidr.Addr().Is4() != v4 || a.ports.Empty() {
			continue
		}
		fam = append(fam, a)
		for _, p := range append([]netip.Prefix{a.block.cidr}, a.block.except...) {
			points = append(points, p.Masked().Addr())
			if n := lastAddr(p).Next(); n.IsValid() && n.Is4() == v4 {
				points = append(points, n)
			}
		}
	}
	if len(fam) == 0 {
		return nil
	}
	slices.SortFunc(points, netip.Addr.Compare)
	points = slices.Compact(points)
	type atom struct {
		r     ipRange
		ports PortSet
	}
	var atoms []atom
	for i, lo := range points {
		var hi netip.Addr
		if i+1 < len(points) {
			hi = points[i+1].Prev()
		} else if v4 {
			hi = netip.MustParseAddr("255.255.255.255")
		} else {
			hi = lastAddr(netip.MustParsePrefix("::/0"))
		}
		var ports PortSet
		for _, a := range fam {
			if a.block.contains(lo) {
				ports = ports.Union(a.ports)
			}
		}
		if ports.Empty() {
			continue
		}
		if n := len(atoms); n > 0 && atoms[n-1].r.hi.Next() == lo && atoms[n-1].ports.Equal(ports) {
			atoms[n-1].r.hi = hi
			continue
		}
		atoms = append(atoms, atom{ipRange{lo, hi}, ports})
	}
	var out []ExternalRange
	index := map[string]int{}
	for _, a := range atoms {
		k := a.ports.key()
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, ExternalRange{Ports: a.ports})
		}
		out[i].IPs.ranges = append(out[i].IPs.ranges, a.r)
	}
	return out
}
