package netpol

import (
	"fmt"
	"math/rand/v2"

	"github.com/rampart-dev/rampart/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Generators of typed inventories for benchmarks and property tests.

func nsObject(name string, lbls map[string]string) *inventory.Object {
	n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls}}
	return &inventory.Object{APIVersion: "v1", Kind: "Namespace", Name: name, Labels: lbls, Typed: n}
}

func deployObject(namespace, name string, lbls map[string]string, ports []corev1.ContainerPort, host bool) *inventory.Object {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: lbls},
			Spec:       corev1.PodSpec{HostNetwork: host, Containers: []corev1.Container{{Name: "c", Image: "i", Ports: ports}}},
		}},
	}
	return &inventory.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: namespace, Name: name, Typed: d}
}

func policyObject(namespace, name string, spec networkingv1.NetworkPolicySpec) *inventory.Object {
	p := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Spec: spec}
	return &inventory.Object{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: namespace, Name: name, Typed: p}
}

func sel(kv ...string) *metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &metav1.LabelSelector{MatchLabels: m}
}

func tcp(port int) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Port: ptr.To(intstr.FromInt32(int32(port)))}
}

func named(name string) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Port: ptr.To(intstr.FromString(name))}
}

var tiers = []string{"frontend", "backend", "db", "worker", "cache"}

// realisticCorpus builds namespaces of workloads in tiers, each with
// polPerNS policies (at most 11): a default deny, DNS, tier-to-tier rules,
// monitoring, a cross-namespace rule and an egress to the internet. When
// openEvery > 0, one namespace in openEvery has no policy at all, so its
// workloads reach and are reached from everything not isolated.
func realisticCorpus(nsCount, wlPerNS, polPerNS, openEvery int) *inventory.Inventory {
	inv := &inventory.Inventory{}
	add := func(o *inventory.Object) { inv.Objects = append(inv.Objects, o) }
	dnsPorts := []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP}}
	add(nsObject("kube-system", nil))
	add(deployObject("kube-system", "coredns", map[string]string{"k8s-app": "kube-dns"}, dnsPorts, false))
	add(nsObject("monitoring", nil))
	add(deployObject("monitoring", "prometheus", map[string]string{"app": "prometheus"}, nil, false))
	add(nsObject("ingress-nginx", nil))
	add(deployObject("ingress-nginx", "controller", map[string]string{"app": "ingress-nginx"}, nil, false))
	ports := []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "metrics", ContainerPort: 9090}}
	for i := range nsCount {
		n := fmt.Sprintf("team-%03d", i)
		add(nsObject(n, map[string]string{"team": fmt.Sprintf("t%d", i%20), "env": []string{"prod", "dev"}[i%2]}))
		for j := range wlPerNS {
			tier := tiers[j%len(tiers)]
			add(deployObject(n, fmt.Sprintf("%s-%d", tier, j), map[string]string{"app": fmt.Sprintf("%s-%d", tier, j), "tier": tier}, ports, false))
		}
		if openEvery > 0 && i%openEvery == 0 {
			continue
		}
		specs := []networkingv1.NetworkPolicySpec{{PolicyTypes: []networkingv1.PolicyType{"Ingress", "Egress"}}}
		in := func(podSel *metav1.LabelSelector, from []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicySpec {
			return networkingv1.NetworkPolicySpec{PodSelector: *podSel, Ingress: []networkingv1.NetworkPolicyIngressRule{{From: from, Ports: ports}}}
		}
		eg := func(podSel *metav1.LabelSelector, to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicySpec {
			return networkingv1.NetworkPolicySpec{PodSelector: *podSel, PolicyTypes: []networkingv1.PolicyType{"Egress"}, Egress: []networkingv1.NetworkPolicyEgressRule{{To: to, Ports: ports}}}
		}
		udp := corev1.ProtocolUDP
		specs = append(specs,
			eg(sel(), []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel(nsNameLabel, "kube-system"), PodSelector: sel("k8s-app", "kube-dns")}},
				networkingv1.NetworkPolicyPort{Protocol: &udp, Port: ptr.To(intstr.FromInt32(53))}, tcp(53)),
			in(sel("tier", "frontend"), []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel(nsNameLabel, "ingress-nginx")}}, named("http")),
			in(sel("tier", "backend"), []networkingv1.NetworkPolicyPeer{{PodSelector: sel("tier", "frontend")}}, named("http")),
			in(sel("tier", "db"), []networkingv1.NetworkPolicyPeer{{PodSelector: sel("tier", "backend")}}, tcp(5432)),
			eg(sel("tier", "frontend"), []networkingv1.NetworkPolicyPeer{{PodSelector: sel("tier", "backend")}}, named("http")),
			eg(sel("tier", "backend"), []networkingv1.NetworkPolicyPeer{{PodSelector: sel("tier", "db")}, {PodSelector: sel("tier", "cache")}}),
			in(sel(), []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel(nsNameLabel, "monitoring"), PodSelector: sel("app", "prometheus")}}, named("metrics")),
			in(sel("tier", "backend"), []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("team", fmt.Sprintf("t%d", (i+1)%20)), PodSelector: sel("tier", "frontend")}}, named("http")),
			eg(sel("tier", "worker"), []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8", "169.254.169.254/32"}}}}, tcp(443)),
			in(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"cache", "worker"}}}},
				[]networkingv1.NetworkPolicyPeer{{PodSelector: sel("tier", "backend")}}, tcp(6379)),
		)
		for k := 0; k < polPerNS && k < len(specs); k++ {
			add(policyObject(n, fmt.Sprintf("p%d", k), specs[k]))
		}
	}
	return inv
}

// randomCorpus builds a small inventory with every feature NetworkPolicy
// has, at random, for comparing Reach with pair-by-pair decisions.
func randomCorpus(r *rand.Rand) *inventory.Inventory {
	inv := &inventory.Inventory{}
	add := func(o *inventory.Object) { inv.Objects = append(inv.Objects, o) }
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	nss := []string{"a", "b", "c"}
	for _, n := range nss {
		add(nsObject(n, map[string]string{"env": pick("prod", "dev")}))
	}
	randLabels := func() map[string]string {
		l := map[string]string{}
		for _, k := range []string{"app", "tier"} {
			if r.IntN(3) > 0 {
				l[k] = pick("x", "y", "z")
			}
		}
		return l
	}
	for i := range 4 + r.IntN(8) {
		var ports []corev1.ContainerPort
		if r.IntN(2) == 0 {
			ports = append(ports, corev1.ContainerPort{Name: "http", ContainerPort: int32(8000 + r.IntN(3)), Protocol: corev1.Protocol(pick("TCP", "TCP", "UDP"))})
		}
		add(deployObject(pick(nss...), fmt.Sprintf("w%d", i), randLabels(), ports, r.IntN(8) == 0))
	}
	if r.IntN(2) == 0 {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0." + fmt.Sprint(r.IntN(4))}}}}
		add(&inventory.Object{APIVersion: "v1", Kind: "Node", Name: "n", Typed: n})
	}
	randSel := func() *metav1.LabelSelector {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return &metav1.LabelSelector{}
		case 2:
			return sel(pick("app", "tier"), pick("x", "y", "z"))
		}
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: pick("app", "tier", "env"), Operator: metav1.LabelSelectorOpIn, Values: []string{pick("x", "y", "prod")}}}}
	}
	randPeers := func() []networkingv1.NetworkPolicyPeer {
		var out []networkingv1.NetworkPolicyPeer
		for range r.IntN(3) {
			if r.IntN(4) == 0 {
				b := &networkingv1.IPBlock{CIDR: pick("10.0.0.0/8", "0.0.0.0/0", "10.0.0.0/30", "192.168.0.0/16", "::/0")}
				if r.IntN(2) == 0 && b.CIDR != "::/0" {
					b.Except = []string{pick("10.0.0.0/31", "10.0.0.2/32", "192.168.1.0/24")}
				}
				out = append(out, networkingv1.NetworkPolicyPeer{IPBlock: b})
				continue
			}
			p := networkingv1.NetworkPolicyPeer{PodSelector: randSel(), NamespaceSelector: randSel()}
			if p.PodSelector == nil && p.NamespaceSelector == nil {
				p.PodSelector = &metav1.LabelSelector{}
			}
			out = append(out, p)
		}
		return out
	}
	randPorts := func() []networkingv1.NetworkPolicyPort {
		var out []networkingv1.NetworkPolicyPort
		for range r.IntN(3) {
			p := networkingv1.NetworkPolicyPort{}
			if r.IntN(3) == 0 {
				p.Protocol = ptr.To(corev1.Protocol(pick("TCP", "UDP", "SCTP")))
			}
			switch r.IntN(4) {
			case 0:
			case 1:
				p.Port = ptr.To(intstr.FromString("http"))
			case 2:
				p.Port = ptr.To(intstr.FromInt32(int32(8000 + r.IntN(3))))
			default:
				p.Port = ptr.To(intstr.FromInt32(8000))
				p.EndPort = ptr.To(int32(8000 + r.IntN(3)))
			}
			out = append(out, p)
		}
		return out
	}
	for i := range r.IntN(7) {
		spec := networkingv1.NetworkPolicySpec{}
		if s := randSel(); s != nil {
			spec.PodSelector = *s
		}
		for range r.IntN(3) {
			spec.Ingress = append(spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: randPeers(), Ports: randPorts()})
		}
		for range r.IntN(3) {
			spec.Egress = append(spec.Egress, networkingv1.NetworkPolicyEgressRule{To: randPeers(), Ports: randPorts()})
		}
		switch r.IntN(4) {
		case 1:
			spec.PolicyTypes = []networkingv1.PolicyType{"Ingress"}
		case 2:
			spec.PolicyTypes = []networkingv1.PolicyType{"Egress"}
		case 3:
			spec.PolicyTypes = []networkingv1.PolicyType{"Ingress", "Egress"}
		}
		add(policyObject(pick(nss...), fmt.Sprintf("p%d", i), spec))
	}
	return inv
}
