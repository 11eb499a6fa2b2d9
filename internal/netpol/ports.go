package netpol

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// protocols are the layer 4 protocols NetworkPolicy governs, in the order
// PortSet keeps them.
var protocols = [...]corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}

func protoIndex(p corev1.Protocol) int {
	switch corev1.Protocol(strings.ToUpper(string(p))) {
	case corev1.ProtocolTCP, "":
		// "If not specified, this field defaults to TCP." (NetworkPolicyPort.protocol)
		return 0
	case corev1.ProtocolUDP:
		return 1
	case corev1.ProtocolSCTP:
		return 2
	}
	return -1
}

// portRange is an inclusive range of port numbers.
type portRange struct{ lo, hi int32 }

// PortSet is a set of (protocol, port) pairs: for each of TCP, UDP and
// SCTP a sorted list of disjoint, non-adjacent port ranges. The zero value
// is the empty set. No library offers port-range sets, hence this type.
type PortSet struct {
	r [len(protocols)][]portRange
}

// AllPorts returns the set of every port of every protocol.
func AllPorts() PortSet {
	var s PortSet
	for i := range s.r {
		s.r[i] = []portRange{{1, 65535}}
	}
	return s
}

// Empty reports whether the set holds nothing.
func (s PortSet) Empty() bool {
	for _, rs := range s.r {
		if len(rs) > 0 {
			return false
		}
	}
	return true
}

// All reports whether the set holds every port of every protocol.
func (s PortSet) All() bool {
	for _, rs := range s.r {
		if len(rs) != 1 || rs[0] != (portRange{1, 65535}) {
			return false
		}
	}
	return true
}

// Has reports whether the set holds port of proto.
func (s PortSet) Has(proto corev1.Protocol, port int32) bool {
	i := protoIndex(proto)
	if i < 0 {
		return false
	}
	for _, r := range s.r[i] {
		if port >= r.lo && port <= r.hi {
			return true
		}
	}
	return false
}

// add adds the range [lo, hi] of protocol index i.
func (s *PortSet) add(i int, lo, hi int32) {
	lo, hi = max(lo, 1), min(hi, 65535)
	if lo > hi {
		return
	}
	s.r[i] = normalize(append(slices.Clone(s.r[i]), portRange{lo, hi}))
}

// normalize sorts ranges and merges overlapping or adjacent ones.
func normalize(rs []portRange) []portRange {
	slices.SortFunc(rs, func(a, b portRange) int { return int(a.lo - b.lo) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// Union returns s ∪ o.
func (s PortSet) Union(o PortSet) PortSet {
	var u PortSet
	for i := range s.r {
		switch {
		case len(o.r[i]) == 0:
			u.r[i] = s.r[i]
		case len(s.r[i]) == 0:
			u.r[i] = o.r[i]
		default:
			u.r[i] = normalize(append(slices.Clone(s.r[i]), o.r[i]...))
		}
	}
	return u
}

// Intersect returns s ∩ o.
func (s PortSet) Intersect(o PortSet) PortSet {
	var x PortSet
	for i := range s.r {
		a, b := s.r[i], o.r[i]
		for j, k := 0, 0; j < len(a) && k < len(b); {
			lo, hi := max(a[j].lo, b[k].lo), min(a[j].hi, b[k].hi)
			if lo <= hi {
				x.r[i] = append(x.r[i], portRange{lo, hi})
			}
			if a[j].hi < b[k].hi {
				j++
			} else {
				k++
			}
		}
	}
	return x
}

// Equal reports whether both sets hold the same ports.
func (s PortSet) Equal(o PortSet) bool {
	for i := range s.r {
		if !slices.Equal(s.r[i], o.r[i]) {
			return false
		}
	}
	return true
}

// String renders the set as "TCP 80,443,8000-8080; UDP 53", or "all ports".
func (s PortSet) String() string {
	if s.All() {
		return "all ports"
	}
	if s.Empty() {
		return "no ports"
	}
	var parts []string
	for i, rs := range s.r {
		if len(rs) == 0 {
			continue
		}
		if len(rs) == 1 && rs[0] == (portRange{1, 65535}) {
			parts = append(parts, string(protocols[i])+" all")
			continue
		}
		nums := make([]string, len(rs))
		for j, r := range rs {
			nums[j] = r.String()
		}
		parts = append(parts, string(protocols[i])+" "+strings.Join(nums, ","))
	}
	return strings.Join(parts, "; ")
}

func (r portRange) String() string {
	if r.lo == r.hi {
		return strconv.Itoa(int(r.lo))
	}
	return fmt.Sprintf("%d-%d", r.lo, r.hi)
}

// Port is one entry of a PortSet as machines read it.
type Port struct {
	Protocol string `json:"protocol"`
	Port     int32  `json:"port"`
	EndPort  int32  `json:"endPort,omitempty"`
}

// List returns the set as a list of protocol and port ranges.
func (s PortSet) List() []Port {
	var out []Port
	for i, rs := range s.r {
		for _, r := range rs {
			p := Port{Protocol: string(protocols[i]), Port: r.lo}
			if r.hi != r.lo {
				p.EndPort = r.hi
			}
			out = append(out, p)
		}
	}
	return out
}

// key is a compact identity of the set, for interning.
func (s PortSet) key() string {
	var b strings.Builder
	for i, rs := range s.r {
		b.WriteByte(byte('0' + i))
		for _, r := range rs {
			b.WriteString(strconv.Itoa(int(r.lo)))
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(r.hi)))
			b.WriteByte(',')
		}
	}
	return b.String()
}

// PortQuery is one protocol and port, as in "5432/TCP"; Port 0 means any
// port of the protocol.
type PortQuery struct {
	Protocol corev1.Protocol
	Port     int32
}

// ParsePortQuery reads "5432", "5432/TCP", "53/udp", "TCP/5432" or "UDP"
// (any port). A port without protocol is TCP, as in NetworkPolicy.
func ParsePortQuery(s string) (PortQuery, error) {
	s = strings.TrimSpace(s)
	a, b, hasSlash := strings.Cut(s, "/")
	num, proto := a, b
	if _, err := strconv.Atoi(a); err != nil {
		num, proto = b, a
	}
	if !hasSlash {
		if _, err := strconv.Atoi(a); err == nil {
			num, proto = a, "TCP"
		} else {
			num, proto = "", a
		}
	}
	q := PortQuery{Protocol: corev1.Protocol(strings.ToUpper(proto))}
	if protoIndex(q.Protocol) < 0 || q.Protocol == "" {
		return q, fmt.Errorf("%q is not a port: want NUMBER[/PROTOCOL] (5432, 5432/TCP, 53/UDP) or a protocol (TCP, UDP, SCTP)", s)
	}
	if num != "" {
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 65535 {
			return q, fmt.Errorf("%q is not a port: %q is not a number from 1 to 65535", s, num)
		}
		q.Port = int32(n)
	} else if hasSlash {
		return q, fmt.Errorf("%q is not a port: the number is missing", s)
	}
	return q, nil
}

// String renders the query as "TCP 5432" or "UDP any".
func (q PortQuery) String() string {
	if q.Port == 0 {
		return string(q.Protocol) + " any"
	}
	return fmt.Sprintf("%s %d", q.Protocol, q.Port)
}

// Matches reports whether s holds the queried port (any port of the
// protocol when Port is 0).
func (q PortQuery) Matches(s PortSet) bool {
	if q.Port != 0 {
		return s.Has(q.Protocol, q.Port)
	}
	i := protoIndex(q.Protocol)
	return i >= 0 && len(s.r[i]) > 0
}
