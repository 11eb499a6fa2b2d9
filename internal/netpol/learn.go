package netpol

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
)

// LearnOptions tune Learn.
type LearnOptions struct {
	// IncludeDropped learns flows Hubble reports as dropped too (by
	// default only traffic that went through is learned).
	IncludeDropped bool
	// SkipNamespaces get no policies (their pods stay as they are).
	SkipNamespaces []string
}

// Learner turns observed flows into the NetworkPolicies that allow exactly
// that traffic: a default deny per namespace, and one policy per set of
// pods (namespace and stable labels) with the ingress and egress it was
// seen to use.
type Learner struct {
	opts LearnOptions
	ids  map[string]int32 // identity key -> index in idents
	// raw caches identity lookups by the endpoint's unsorted labels.
	raw    map[string]int32
	idents []*identity
	ips    map[netip.Addr]int32
	ipList []netip.Addr
	edges  map[flowKey]struct{}
	// dnsTCP are the TCP 53 connections added to observed UDP DNS: in
	// the policies, not in the graph of what was seen.
	dnsTCP map[flowKey]struct{}
	// Counts of what was read and skipped.
	Stats LearnStats
}

// LearnStats count the flows a Learner read.
type LearnStats struct {
	Flows   int `json:"flows"`
	Learned int `json:"learned"`
	Replies int `json:"replies"`
	Dropped int `json:"dropped"`
	// Node counts flows from the local node, which is always allowed.
	Node int `json:"node"`
	// External counts flows between two addresses outside the cluster's pods.
	External int `json:"external"`
	// Skipped counts flows of skipped namespaces.
	Skipped int `json:"skipped"`
}

// identity is a set of pods no policy can tell apart.
type identity struct {
	ns     string
	labels map[string]string
	names  map[string]int
	known  bool // from the inventory, maybe never seen in a flow
}

// flowKey is one learned connection: identities are >= 0, addresses are
// -1 - their index.
type flowKey struct {
	src, dst int32
	proto    int8
	port     int32
}

// NewLearner returns an empty learner.
func NewLearner(opts LearnOptions) *Learner {
	return &Learner{opts: opts, ids: map[string]int32{}, raw: map[string]int32{}, ips: map[netip.Addr]int32{}, edges: map[flowKey]struct{}{}, dnsTCP: map[flowKey]struct{}{}}
}

// Know adds the workloads of inv, so that learned selectors tell them
// apart from the pods seen in flows and their namespaces get a default
// deny even when they were never seen talking.
func (l *Learner) Know(inv *inventory.Inventory) {
	m := newModel(inv)
	for _, w := range m.workloads {
		if w.HostNetwork {
			continue
		}
		id := l.named(l.identity(w.Namespace, w.Labels), w.Name)
		l.idents[id].known = true
	}
}

// Add learns one flow.
func (l *Learner) Add(f Flow) {
	l.Stats.Flows++
	switch {
	case f.Reply:
		l.Stats.Replies++
		return
	case !l.opts.IncludeDropped && !passed(f.Verdict):
		l.Stats.Dropped++
		return
	case f.Src.Node:
		l.Stats.Node++
		return
	case !f.Src.Pod() && !f.Dst.Pod():
		l.Stats.External++
		return
	case l.skipped(f.Src) && l.skipped(f.Dst):
		l.Stats.Skipped++
		return
	}
	k := flowKey{src: l.end(f.Src), dst: l.end(f.Dst), proto: int8(protoIndex(f.Protocol)), port: f.Port}
	if k.proto < 0 || (f.Dst.Node && !f.Dst.IP.IsValid()) {
		l.Stats.External++
		return
	}
	l.Stats.Learned++
	l.edges[k] = struct{}{}
	// DNS falls back to TCP for answers too large for UDP: a workload seen
	// asking the DNS pods over UDP gets TCP 53 too, or large answers would
	// fail (and egress-deny-blocks-dns would report it).
	if k.dst >= 0 && k.port == 53 && f.Protocol == corev1.ProtocolUDP && dnsLabels(l.idents[k.dst].labels) {
		k.proto = int8(protoIndex(corev1.ProtocolTCP))
		l.dnsTCP[k] = struct{}{}
	}
}

// dnsLabels reports whether pods with these labels are the cluster DNS.
func dnsLabels(l map[string]string) bool {
	v := l["k8s-app"]
	return v == "kube-dns" || v == "coredns"
}

func (l *Learner) skipped(e FlowEndpoint) bool {
	return !e.Pod() || slices.Contains(l.opts.SkipNamespaces, e.Namespace)
}

// passed reports whether a Hubble verdict means the traffic went through.
func passed(v string) bool {
	switch v {
	case "", "FORWARDED", "AUDIT", "REDIRECTED", "TRACED", "TRANSLATED":
		return true
	}
	return false
}

// end returns the key of an endpoint.
func (l *Learner) end(e FlowEndpoint) int32 {
	if !e.Pod() {
		i, ok := l.ips[e.IP]
		if !ok {
			i = int32(len(l.ipList))
			l.ips[e.IP] = i
			l.ipList = append(l.ipList, e.IP)
		}
		return -1 - i
	}
	// Most flows repeat a few endpoints: look them up by the labels as the
	// input wrote them before sorting and filtering.
	if e.key == "" {
		return l.named(l.identity(e.Namespace, e.Labels), e.Name)
	}
	id, ok := l.raw[e.key]
	if !ok {
		id = l.identity(e.Namespace, e.Labels)
		l.raw[e.key] = id
	}
	return l.named(id, e.Name)
}

// named counts a name seen for an identity, to name its policy.
func (l *Learner) named(id int32, name string) int32 {
	if name != "" {
		l.idents[id].names[name]++
	}
	return id
}

// identity returns the index of the identity of pods with these labels.
func (l *Learner) identity(ns string, labels map[string]string) int32 {
	stable := StableLabels(labels)
	key := identityKey(ns, stable)
	id, ok := l.ids[key]
	if !ok {
		id = int32(len(l.idents))
		l.ids[key] = id
		l.idents = append(l.idents, &identity{ns: ns, labels: stable, names: map[string]int{}})
	}
	return id
}

func identityKey(ns string, labels map[string]string) string {
	var b strings.Builder
	b.WriteString(ns)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(labels[k])
	}
	return b.String()
}

// Policies returns the learned policies, sorted by namespace and name:
// per namespace a default deny of ingress and egress, then one policy per
// identity that was seen talking.
func (l *Learner) Policies() []*networkingv1.NetworkPolicy {
	type rules struct {
		in, eg map[int32]*PortSet // peer -> ports
	}
	per := make([]rules, len(l.idents))
	for k := range l.allEdges() {
		ps := PortSet{}
		ps.add(int(k.proto), k.port, k.port)
		if k.src >= 0 && !l.skippedID(k.src) {
			r := &per[k.src]
			if r.eg == nil {
				r.eg = map[int32]*PortSet{}
			}
			r.eg[k.dst] = unionPtr(r.eg[k.dst], ps)
		}
		if k.dst >= 0 && !l.skippedID(k.dst) {
			r := &per[k.dst]
			if r.in == nil {
				r.in = map[int32]*PortSet{}
			}
			r.in[k.src] = unionPtr(r.in[k.src], ps)
		}
	}
	byNS := map[string][]int32{}
	for i, id := range l.idents {
		if !slices.Contains(l.opts.SkipNamespaces, id.ns) {
			byNS[id.ns] = append(byNS[id.ns], int32(i))
		}
	}
	var out []*networkingv1.NetworkPolicy
	for _, ns := range slices.Sorted(maps.Keys(byNS)) {
		out = append(out, &networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: "default-deny", Namespace: ns, Labels: map[string]string{"app.kubernetes.io/managed-by": "rampart"}},
			Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}},
		})
		used := map[string]bool{"default-deny": true}
		ids := byNS[ns]
		slices.SortFunc(ids, func(a, b int32) int { return cmp.Compare(l.name(a), l.name(b)) })
		for _, id := range ids {
			r := per[id]
			if len(r.in) == 0 && len(r.eg) == 0 {
				continue
			}
			name := uniqueName("allow-"+l.name(id), used)
			spec := networkingv1.NetworkPolicySpec{PodSelector: *l.selector(id)}
			if len(r.in) > 0 {
				spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeIngress)
				for _, g := range l.group(ns, r.in) {
					spec.Ingress = append(spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: g.peers, Ports: g.ports})
				}
			}
			if len(r.eg) > 0 {
				spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
				for _, g := range l.group(ns, r.eg) {
					spec.Egress = append(spec.Egress, networkingv1.NetworkPolicyEgressRule{To: g.peers, Ports: g.ports})
				}
			}
			out = append(out, &networkingv1.NetworkPolicy{
				TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/managed-by": "rampart"}},
				Spec:       spec,
			})
		}
	}
	return out
}

// allEdges yields the observed connections and the DNS TCP ones added.
func (l *Learner) allEdges() func(func(flowKey) bool) {
	return func(yield func(flowKey) bool) {
		for _, m := range []map[flowKey]struct{}{l.edges, l.dnsTCP} {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		}
	}
}

func (l *Learner) skippedID(id int32) bool {
	return slices.Contains(l.opts.SkipNamespaces, l.idents[id].ns)
}

func unionPtr(p *PortSet, s PortSet) *PortSet {
	if p == nil {
		return &s
	}
	u := p.Union(s)
	return &u
}

// ruleGroup is the peers that use the same ports.
type ruleGroup struct {
	key   string
	peers []networkingv1.NetworkPolicyPeer
	ports []networkingv1.NetworkPolicyPort
}

// group turns peer -> ports into rules, one per distinct port set, peers
// and rules in a stable order.
func (l *Learner) group(ns string, m map[int32]*PortSet) []*ruleGroup {
	index := map[string]*ruleGroup{}
	var out []*ruleGroup
	keys := slices.SortedFunc(maps.Keys(m), func(a, b int32) int { return cmp.Compare(l.peerOrder(a), l.peerOrder(b)) })
	for _, peer := range keys {
		ps := m[peer]
		k := ps.key()
		g := index[k]
		if g == nil {
			g = &ruleGroup{key: k, ports: policyPorts(*ps)}
			index[k] = g
			out = append(out, g)
		}
		g.peers = append(g.peers, l.peer(ns, peer))
	}
	return out
}

func (l *Learner) peerOrder(p int32) string {
	if p < 0 {
		return "\xff" + l.ipList[-1-p].String()
	}
	return l.idents[p].ns + "/" + l.name(p)
}

// peer renders a peer: an address as a /32 or /128 ipBlock, pods of the
// same namespace by podSelector, pods of another namespace by both
// selectors in one peer (which ANDs them).
func (l *Learner) peer(ns string, p int32) networkingv1.NetworkPolicyPeer {
	if p < 0 {
		ip := l.ipList[-1-p]
		return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: netip.PrefixFrom(ip, ip.BitLen()).String()}}
	}
	out := networkingv1.NetworkPolicyPeer{PodSelector: l.selector(p)}
	if id := l.idents[p]; id.ns != ns {
		out.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{nsNameLabel: id.ns}}
	}
	return out
}

// selector returns a selector that matches identity p and no other
// identity of its namespace: its labels, and for every identity whose
// labels hold all of them and more, one of the extra keys as DoesNotExist.
func (l *Learner) selector(p int32) *metav1.LabelSelector {
	id := l.idents[p]
	s := &metav1.LabelSelector{MatchLabels: maps.Clone(id.labels)}
	if len(s.MatchLabels) == 0 {
		s.MatchLabels = nil
	}
	excluded := map[string]bool{}
	for q, other := range l.idents {
		if int32(q) == p || other.ns != id.ns || !superset(other.labels, id.labels) {
			continue
		}
		covered := false
		for k := range excluded {
			if _, ok := other.labels[k]; ok {
				covered = true
				break
			}
		}
		if covered {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(other.labels)) {
			if _, ok := id.labels[k]; !ok {
				excluded[k] = true
				break
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(excluded)) {
		s.MatchExpressions = append(s.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpDoesNotExist})
	}
	return s
}

// superset reports whether a holds every label of b and more.
func superset(a, b map[string]string) bool {
	if len(a) <= len(b) {
		return false
	}
	for k, v := range b {
		if w, ok := a[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// name returns a DNS-1123 name for an identity: its most seen workload
// name, else its app label, else its labels.
func (l *Learner) name(p int32) string {
	id := l.idents[p]
	best, n := "", -1
	for _, k := range slices.Sorted(maps.Keys(id.names)) {
		if id.names[k] > n {
			best, n = k, id.names[k]
		}
	}
	if best == "" {
		for _, k := range []string{"app.kubernetes.io/name", "app", "k8s-app", "name"} {
			if v := id.labels[k]; v != "" {
				best = v
				break
			}
		}
	}
	if best == "" {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(id.labels)) {
			parts = append(parts, id.labels[k])
		}
		best = strings.Join(parts, "-")
	}
	return dnsName(best)
}

// dnsName turns s into a DNS-1123 label fragment.
func dnsName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 40 {
		out = strings.Trim(out[:40], "-")
	}
	if out == "" {
		out = "pods"
	}
	return out
}

func uniqueName(base string, used map[string]bool) string {
	name := base
	for i := 2; used[name] || len(validation.IsDNS1123Subdomain(name)) > 0; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	used[name] = true
	return name
}

// policyPorts renders a port set as NetworkPolicyPorts, with endPort for
// runs of consecutive ports.
func policyPorts(s PortSet) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for i, rs := range s.r {
		for _, r := range rs {
			p := networkingv1.NetworkPolicyPort{Protocol: ptr.To(protocols[i]), Port: ptr.To(intstr.FromInt32(r.lo))}
			if r.hi > r.lo {
				p.EndPort = ptr.To(r.hi)
			}
			out = append(out, p)
		}
	}
	return out
}
