package netpol

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/inventory"
)

// parse builds an inventory from YAML documents.
func parse(t testing.TB, docs ...string) *inventory.Inventory {
	t.Helper()
	objs, notes := inventory.ParseBytes("test.yaml", []byte(strings.Join(docs, "\n---\n")), inventory.DefaultLimits)
	for _, n := range notes {
		t.Fatalf("fixture: %s:%d: %s", n.File, n.Line, n.Message)
	}
	return &inventory.Inventory{Objects: objs, Files: 1}
}

// ns is a Namespace with labels "k=v,k=v".
func ns(name, lbls string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels: {%s}\n", name, yamlMap(lbls))
}

// pod is a bare Pod with labels "k=v,..." and ports "name:number/PROTO,...".
func pod(namespace, name, lbls, ports string) string {
	return podSpec(namespace, name, lbls, ports, false)
}

func hostPod(namespace, name, lbls string) string { return podSpec(namespace, name, lbls, "", true) }

func podSpec(namespace, name, lbls, ports string, host bool) string {
	var ps []string
	for _, p := range strings.Split(ports, ",") {
		if p == "" {
			continue
		}
		n, rest, _ := strings.Cut(p, ":")
		num, proto, _ := strings.Cut(rest, "/")
		if proto == "" {
			proto = "TCP"
		}
		ps = append(ps, fmt.Sprintf("{name: %s, containerPort: %s, protocol: %s}", n, num, proto))
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: %s, labels: {%s}}
spec:
  hostNetwork: %t
  containers: [{name: c, image: i, ports: [%s]}]
`, name, namespace, yamlMap(lbls), host, strings.Join(ps, ", "))
}

func yamlMap(kvs string) string {
	var out []string
	for _, kv := range strings.Split(kvs, ",") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, fmt.Sprintf("%q: %q", k, v))
	}
	return strings.Join(out, ", ")
}

// netpol is a NetworkPolicy with a spec written in YAML flow style.
func netpol(namespace, name, spec string) string {
	return fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: %s, namespace: %s}\nspec: %s\n", name, namespace, spec)
}

// decideBoth decides src => dst on port q with Explain and with Reach, and
// fails the test when they disagree. The verdict is "allowed", "denied" or
// "node" (allowed from the same node only).
func decideBoth(t *testing.T, inv *inventory.Inventory, src, dst, port string) string {
	t.Helper()
	q, err := ParsePortQuery(port)
	if err != nil {
		t.Fatal(err)
	}
	x, err := Explain(inv, src, dst, q)
	if err != nil {
		t.Fatalf("explain %s => %s: %v", src, dst, err)
	}
	got := "denied"
	switch {
	case x.Allowed:
		got = "allowed"
	case x.NodeLocal:
		got = "node"
	}
	byReach := "denied"
	for _, c := range Reach(inv, Options{}).Connections() {
		if !endpointIs(c.From, src) || !endpointIs(c.To, dst) {
			continue
		}
		switch {
		case q.Matches(c.Ports):
			byReach = "allowed"
		case c.NodeLocal && byReach == "denied":
			byReach = "node"
		}
	}
	if byReach != got {
		t.Errorf("%s => %s %s: explain says %s, reach says %s", src, dst, port, got, byReach)
	}
	return got
}

func endpointIs(p Peer, s string) bool {
	if p.Workload != nil {
		return p.Workload.Namespace+"/"+p.Workload.Name == s
	}
	a, err := netip.ParseAddr(s)
	return err == nil && p.IPs.Contains(a)
}

type netipAddr = netip.Addr

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
