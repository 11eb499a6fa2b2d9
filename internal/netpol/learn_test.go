package netpol

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\n%s", file, got)
	}
}

func learnFile(t *testing.T, file string, known *inventory.Inventory) *Learner {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := Learn(f, FormatAuto, DefaultLimits, LearnOptions{}, known)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLearnHubble(t *testing.T) {
	l := learnFile(t, "testdata/hubble.json", nil)
	var b bytes.Buffer
	if err := WritePolicies(&b, l.Policies()); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/learned.yaml", b.Bytes())
	out := b.String()
	for _, bad := range []string{"pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io", "41234", "io.kubernetes.pod.namespace", "shop", "creationTimestamp"} {
		if strings.Contains(out, bad) {
			t.Errorf("learned policies mention %q", bad)
		}
	}
	for _, good := range []string{"cidr: 93.184.216.34/32", "k8s-app: kube-dns", "kubernetes.io/metadata.name: kube-system", "name: default-deny"} {
		if !strings.Contains(out, good) {
			t.Errorf("learned policies lack %q", good)
		}
	}
	want := LearnStats{Flows: 8, Learned: 5, Replies: 1, Dropped: 1, Node: 1}
	if l.Stats != want {
		t.Errorf("stats %+v, want %+v", l.Stats, want)
	}
	// The learned policies, applied to pods with those labels, allow the
	// learned flows and deny the dropped one.
	inv := parse(t,
		pod("prod", "api", "app=api", "http:8080"), pod("prod", "db", "app=db", ""),
		pod("kube-system", "coredns", "k8s-app=kube-dns", ""), pod("ingress-nginx", "ctl", "app.kubernetes.io/name=ingress-nginx", ""),
		pod("shop", "web", "app=web", ""))
	inv.Objects = append(inv.Objects, policyObjects(l.Policies())...)
	for _, c := range []cell{
		{"prod/api", "prod/db", "5432", "allowed"},
		{"prod/api", "prod/db", "5433", "allowed"},
		{"prod/api", "prod/db", "5434", "denied"},
		{"prod/db", "prod/api", "41234", "denied"},
		{"prod/api", "kube-system/coredns", "53/UDP", "allowed"},
		{"prod/api", "93.184.216.34", "443", "allowed"},
		{"prod/api", "93.184.216.35", "443", "denied"},
		{"ingress-nginx/ctl", "prod/api", "8080", "allowed"},
		{"shop/web", "prod/db", "5432", "denied"},
	} {
		if got := decideBoth(t, inv, c.src, c.dst, c.port); got != c.want {
			t.Errorf("%s => %s %s: %s, want %s", c.src, c.dst, c.port, got, c.want)
		}
	}
}

func policyObjects(ps []*networkingv1.NetworkPolicy) []*inventory.Object {
	var out []*inventory.Object
	for _, p := range ps {
		out = append(out, &inventory.Object{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: p.Namespace, Name: p.Name, Typed: p})
	}
	return out
}

func TestLearnOwnFormatsAgree(t *testing.T) {
	var a, b bytes.Buffer
	if err := WritePolicies(&a, learnFile(t, "testdata/flows.csv", nil).Policies()); err != nil {
		t.Fatal(err)
	}
	if err := WritePolicies(&b, learnFile(t, "testdata/flows.json", nil).Policies()); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/learned-csv.yaml", a.Bytes())
	if !strings.Contains(b.String(), "cidr: 93.184.216.34/32") || !strings.Contains(b.String(), "port: 5432") {
		t.Errorf("json flows learned:\n%s", b.String())
	}
}

// TestLearnSelectorsTellApart: pods whose labels hold another identity's
// labels and more must not be selected by that identity's policy.
func TestLearnSelectorsTellApart(t *testing.T) {
	l := NewLearner(LearnOptions{})
	api := FlowEndpoint{Namespace: "a", Labels: map[string]string{"app": "api"}}
	canary := FlowEndpoint{Namespace: "a", Labels: map[string]string{"app": "api", "track": "canary"}}
	db := FlowEndpoint{Namespace: "a", Labels: map[string]string{"app": "db"}}
	l.Add(Flow{Src: api, Dst: db, Protocol: corev1.ProtocolTCP, Port: 5432})
	l.Add(Flow{Src: canary, Dst: db, Protocol: corev1.ProtocolTCP, Port: 5433})
	var names []string
	for _, p := range l.Policies() {
		names = append(names, p.Name)
		if p.Name == "allow-api" {
			sel := p.Spec.PodSelector
			if len(sel.MatchExpressions) != 1 || sel.MatchExpressions[0].Key != "track" || sel.MatchExpressions[0].Operator != "DoesNotExist" {
				t.Errorf("allow-api selector %+v", sel)
			}
		}
	}
	if !slices.Equal(names, []string{"default-deny", "allow-api", "allow-api-2", "allow-db"}) {
		t.Errorf("policies %q", names)
	}
}

// TestRoundTrip is the property: policies learned from a flow log allow
// every observed flow, on the observed ports only, and nothing between
// workloads that never talked.
func TestRoundTrip(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 11))
		inv, log, observed := flowLog(r, 12+r.IntN(20), 30+r.IntN(150))
		l, err := Learn(strings.NewReader(log), FormatHubble, DefaultLimits, LearnOptions{}, inv)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		all := &inventory.Inventory{Objects: append(slices.Clip(inv.Objects), policyObjects(l.Policies())...)}
		a := Reach(all, Options{})
		got := map[string]PortSet{}
		for _, c := range a.Connections() {
			from, to := c.From.String(), c.To.String()
			if c.From.Workload != nil && c.To.Workload != nil {
				got[from+" => "+to] = c.Ports
				continue
			}
			// Addresses: check the probe addresses the log used.
			for _, ip := range externalIPs {
				if c.From.IPs != nil && c.From.IPs.Contains(ip) {
					got[ip.String()+" => "+to] = got[ip.String()+" => "+to].Union(c.Ports)
				}
				if c.To.IPs != nil && c.To.IPs.Contains(ip) {
					got[from+" => "+ip.String()] = got[from+" => "+ip.String()].Union(c.Ports)
				}
			}
		}
		for k, want := range observed {
			if !got[k].Equal(want) {
				t.Errorf("seed %d: %s: allowed %s, observed %s", seed, k, got[k], want)
			}
		}
		for k, ports := range got {
			if _, ok := observed[k]; !ok && !ports.Empty() {
				t.Errorf("seed %d: %s never talked but is allowed %s", seed, k, ports)
			}
		}
	}
}

var externalIPs = []netipAddr{mustAddr("203.0.113.7"), mustAddr("198.51.100.20"), mustAddr("2001:db8::5")}

// flowLog makes workloads in a few namespaces (some with labels that hold
// others' labels and more) and a Hubble log of random connections between
// them and outside addresses, with the noise real logs have: volatile
// labels, replies, dropped flows, traffic from the node. It returns the
// workloads, the log and the observed connections with their ports.
func flowLog(r *rand.Rand, workloads, flows int) (*inventory.Inventory, string, map[string]PortSet) {
	inv := &inventory.Inventory{}
	type wl struct {
		w      *inventory.Object
		ns     string
		labels map[string]string
	}
	var ws []wl
	for i := range workloads {
		ns := []string{"a", "b", "c", "d"}[r.IntN(4)]
		labels := map[string]string{"app": fmt.Sprintf("app%d", r.IntN(workloads))}
		if r.IntN(3) == 0 {
			labels["track"] = "canary"
		}
		if r.IntN(4) == 0 {
			labels["tier"] = []string{"web", "db"}[r.IntN(2)]
		}
		name := fmt.Sprintf("w%d", i)
		o := deployObject(ns, name, labels, nil, false)
		inv.Objects = append(inv.Objects, o)
		ws = append(ws, wl{o, ns, labels})
	}
	// Workloads with the same namespace and labels are one class: the
	// observed set is per workload pair, so merge what equal pods see.
	key := func(w wl) string { return identityKey(w.ns, w.labels) }
	endpoint := func(w wl) map[string]any {
		var ls []string
		for k, v := range w.labels {
			ls = append(ls, "k8s:"+k+"="+v)
		}
		ls = append(ls, "k8s:io.kubernetes.pod.namespace="+w.ns, fmt.Sprintf("k8s:pod-template-hash=%x", r.Uint32()))
		return map[string]any{"namespace": w.ns, "labels": ls, "pod_name": w.w.Name + "-abc", "workloads": []map[string]string{{"name": w.w.Name, "kind": "Deployment"}}}
	}
	world := map[string]any{"labels": []string{"reserved:world"}}
	classPorts := map[[2]string]PortSet{}
	var ext []struct {
		from, to string
		ports    PortSet
	}
	var b strings.Builder
	write := func(flow map[string]any) {
		line, _ := json.Marshal(map[string]any{"flow": flow, "node_name": "n1"})
		b.Write(line)
		b.WriteByte('\n')
	}
	for range flows {
		src, dst := ws[r.IntN(len(ws))], ws[r.IntN(len(ws))]
		proto := []string{"TCP", "TCP", "UDP"}[r.IntN(3)]
		port := int32([]int{53, 80, 443, 5432, 8080, 8081}[r.IntN(6)])
		l4 := map[string]any{proto: map[string]any{"source_port": 40000 + r.IntN(1000), "destination_port": port}}
		flow := map[string]any{"verdict": "FORWARDED", "IP": map[string]string{"source": "10.0.0.1", "destination": "10.0.0.2"}, "l4": l4, "is_reply": false, "traffic_direction": "EGRESS"}
		var ps PortSet
		ps.add(protoIndex(corev1.Protocol(proto)), port, port)
		switch r.IntN(10) {
		case 0: // to an outside address
			ip := externalIPs[r.IntN(len(externalIPs))]
			flow["IP"] = map[string]string{"source": "10.0.0.1", "destination": ip.String()}
			flow["source"], flow["destination"] = endpoint(src), world
			ext = append(ext, struct {
				from, to string
				ports    PortSet
			}{key(src), ip.String(), ps})
		case 1: // from an outside address
			ip := externalIPs[r.IntN(len(externalIPs))]
			flow["IP"] = map[string]string{"source": ip.String(), "destination": "10.0.0.2"}
			flow["source"], flow["destination"] = world, endpoint(dst)
			ext = append(ext, struct {
				from, to string
				ports    PortSet
			}{ip.String(), key(dst), ps})
		case 2: // a reply: never learned
			flow["source"], flow["destination"], flow["is_reply"] = endpoint(src), endpoint(dst), true
		case 3: // dropped: not learned
			flow["source"], flow["destination"], flow["verdict"] = endpoint(src), endpoint(dst), "DROPPED"
		case 4: // from the node: always allowed, not learned
			flow["source"], flow["destination"] = map[string]any{"labels": []string{"reserved:host"}}, endpoint(dst)
		default:
			flow["source"], flow["destination"] = endpoint(src), endpoint(dst)
			k := [2]string{key(src), key(dst)}
			classPorts[k] = classPorts[k].Union(ps)
		}
		write(flow)
	}
	observed := map[string]PortSet{}
	name := func(w wl) string { return fmt.Sprintf("%s/%s[Deployment]", w.ns, w.w.Name) }
	for _, s := range ws {
		for _, d := range ws {
			if ps, ok := classPorts[[2]string{key(s), key(d)}]; ok {
				observed[name(s)+" => "+name(d)] = ps
			}
		}
		for _, e := range ext {
			if e.from == key(s) {
				k := name(s) + " => " + e.to
				observed[k] = observed[k].Union(e.ports)
			}
			if e.to == key(s) {
				k := e.from + " => " + name(s)
				observed[k] = observed[k].Union(e.ports)
			}
		}
	}
	return inv, b.String(), observed
}
