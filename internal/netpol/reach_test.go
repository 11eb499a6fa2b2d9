package netpol

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

// TestReachAgreesWithDecide compares the indexed, class-level Reach with
// the pair-by-pair decision Explain makes, on random inventories that use
// every feature of NetworkPolicy.
func TestReachAgreesWithDecide(t *testing.T) {
	probes := []netip.Addr{
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.1.2.3"),
		netip.MustParseAddr("192.168.1.7"), netip.MustParseAddr("192.168.2.7"), netip.MustParseAddr("8.8.8.8"),
		netip.MustParseAddr("2001:db8::1"),
	}
	for seed := range uint64(300) {
		inv := randomCorpus(rand.New(rand.NewPCG(seed, 7)))
		m := newModel(inv)
		a := m.reach(Options{})
		edges := map[[2]int]Edge{}
		for _, e := range a.Edges {
			edges[[2]int{int(e.From), int(e.To)}] = e
		}
		for _, s := range m.classes {
			for _, d := range m.classes {
				_, _, want, wantNode := m.decide(endpoint{class: s}, endpoint{class: d})
				e, ok := edges[[2]int{s.ID, d.ID}]
				var got PortSet
				if ok {
					got = *e.Ports
				}
				if !got.Equal(want) || e.NodeLocal != wantNode {
					t.Fatalf("seed %d: %s => %s: reach %s (node %v), decide %s (node %v)", seed, s.Members[0], d.Members[0], got, e.NodeLocal, want, wantNode)
				}
			}
			for _, ip := range probes {
				_, _, want, _ := m.decide(endpoint{class: s}, endpoint{ip: ip})
				if got := portsAt(a.Egress[s.ID], ip); !got.Equal(want) {
					t.Fatalf("seed %d: %s => %s: reach %s, decide %s", seed, s.Members[0], ip, got, want)
				}
				_, _, want, _ = m.decide(endpoint{ip: ip}, endpoint{class: s})
				if got := portsAt(a.Ingress[s.ID], ip); !got.Equal(want) {
					t.Fatalf("seed %d: %s => %s: reach %s, decide %s", seed, ip, s.Members[0], got, want)
				}
			}
		}
	}
}

func portsAt(rs []ExternalRange, ip netip.Addr) PortSet {
	var out PortSet
	for _, r := range rs {
		if r.IPs.Contains(ip) {
			out = out.Union(r.Ports)
		}
	}
	return out
}

const shop = `
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {tier: internal}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: prod}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: prod}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres, ports: [{name: pg, containerPort: 5432}]}]
---
apiVersion: v1
kind: Pod
metadata:
  name: db-0
  namespace: prod
  labels: {app: db}
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: u1, controller: true}]
spec:
  containers: [{name: db, image: postgres}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: prod}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: prod}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{port: pg}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
    ports: [{port: 443}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web}]
`

func TestReachText(t *testing.T) {
	inv := parse(t, shop)
	var got []string
	for _, c := range Reach(inv, Options{}).Connections() {
		got = append(got, c.Line())
	}
	want := []string{
		"prod/api[Deployment] => prod/db[StatefulSet] : TCP 5432",
		"prod/api[Deployment] => 0.0.0.0/0 except 10.0.0.0/8 : TCP 443",
		"shop/web[Deployment] => shop/web[Deployment] : all ports",
		"shop/web[Deployment] => 0.0.0.0/0, ::/0 : all ports",
		"0.0.0.0/0, ::/0 => shop/web[Deployment] : all ports",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("reach:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReachFilters(t *testing.T) {
	inv := parse(t, shop)
	f := func(s string) *EndpointFilter {
		x, err := ParseEndpointFilter(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	q, _ := ParsePortQuery("443")
	tests := []struct {
		opts Options
		want []string
	}{
		{Options{From: f("prod/api")}, []string{"prod/api[Deployment] => prod/db[StatefulSet] : TCP 5432", "prod/api[Deployment] => 0.0.0.0/0 except 10.0.0.0/8 : TCP 443"}},
		{Options{To: f("prod/StatefulSet/db")}, []string{"prod/api[Deployment] => prod/db[StatefulSet] : TCP 5432"}},
		{Options{To: f("prod/Deployment/db")}, nil},
		{Options{From: f("prod/*"), Port: &q}, []string{"prod/api[Deployment] => 0.0.0.0/0 except 10.0.0.0/8 : TCP 443"}},
		{Options{From: f("prod/api"), To: f("10.1.2.3")}, nil},
		{Options{From: f("prod/api"), To: f("8.8.8.8")}, []string{"prod/api[Deployment] => 0.0.0.0/0 except 10.0.0.0/8 : TCP 443"}},
		{Options{From: f("external"), To: f("shop/web")}, []string{"0.0.0.0/0, ::/0 => shop/web[Deployment] : all ports"}},
	}
	for _, tc := range tests {
		var got []string
		for _, c := range Reach(inv, tc.opts).Connections() {
			got = append(got, c.Line())
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%+v:\n got  %q\n want %q", tc.opts, got, tc.want)
		}
	}
	for _, bad := range []string{"", "api", "a/b/c/d", "/x"} {
		if _, err := ParseEndpointFilter(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestExplainText(t *testing.T) {
	inv := parse(t, shop)
	q, _ := ParsePortQuery("5432/TCP")
	x, err := Explain(inv, "prod/api", "prod/db", q)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := x.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `prod/api[Deployment] => prod/db[StatefulSet] : TCP 5432 ALLOWED
egress of prod/api[Deployment]: allowed; isolated by prod/deny, prod/api
  prod/api spec.egress[0].to[0] matches prod/db[StatefulSet], allows: TCP 5432 (test.yaml:50)
ingress of prod/db[StatefulSet]: allowed; isolated by prod/deny, prod/db
  prod/db spec.ingress[0].from[0] matches prod/api[Deployment], allows: TCP 5432 (test.yaml:61)
`
	if b.String() != want {
		t.Errorf("explain:\n%s\nwant:\n%s", b.String(), want)
	}
	q, _ = ParsePortQuery("8080")
	x, err = Explain(inv, "prod/db", "prod/api", q)
	if err != nil || x.Allowed {
		t.Fatalf("db => api: %v %+v", err, x)
	}
	b.Reset()
	_ = x.WriteText(&b)
	for _, s := range []string{"DENIED", "egress of prod/db[StatefulSet]: denied; isolated by prod/deny", "no egress rule of these policies matches the destination"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("explain db => api lacks %q:\n%s", s, b.String())
		}
	}
	if _, err := Explain(inv, "prod/nope", "prod/db", q); err == nil || !strings.Contains(err.Error(), "no such workload") {
		t.Errorf("unknown workload: %v", err)
	}
	if _, err := Explain(inv, "8.8.8.8", "1.1.1.1", q); err == nil {
		t.Error("two addresses: no error")
	}
}
