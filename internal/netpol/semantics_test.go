package netpol

import "testing"

// The truth tables below are written by hand from the Kubernetes
// documentation ("Network Policies" concept page) and the API reference of
// networking.k8s.io/v1 (the field comments of k8s.io/api/networking/v1),
// one table per rule, one cell per source/destination/port. Each cell is
// decided twice, by Explain and by Reach, which must agree.

type cell struct {
	src, dst, port string
	want           string // allowed, denied, node
}

func runTable(t *testing.T, name string, docs []string, cells []cell) {
	t.Helper()
	inv := parse(t, docs...)
	for _, c := range cells {
		if got := decideBoth(t, inv, c.src, c.dst, c.port); got != c.want {
			t.Errorf("%s: %s => %s %s = %s, want %s", name, c.src, c.dst, c.port, got, c.want)
		}
	}
}

// clientsFixture: namespaces team-a (user=alice) and team-b (user=bob),
// clients in both, a database in db.
var clientsFixture = []string{
	ns("team-a", "user=alice"), ns("team-b", "user=bob"), ns("db", ""),
	pod("team-a", "client", "role=client", ""),
	pod("team-a", "other", "role=other", ""),
	pod("team-b", "client", "role=client", ""),
	pod("db", "client", "role=client", ""),
	pod("db", "db", "app=db", ""),
}

// TestPeerAndOr: docs, "Behavior of to and from selectors": a single from
// element with namespaceSelector and podSelector "allows connections from
// Pods with the label role=client in namespaces with the label user=alice",
// while two elements allow "connections from Pods in the local Namespace
// with the label role=client, or from any Pod in any namespace with the
// label user=alice".
func TestPeerAndOr(t *testing.T) {
	and := netpol("db", "and", `{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: {matchLabels: {user: alice}}, podSelector: {matchLabels: {role: client}}}]}]}`)
	or := netpol("db", "or", `{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: {matchLabels: {user: alice}}}, {podSelector: {matchLabels: {role: client}}}]}]}`)
	runTable(t, "AND", append(clientsFixture, and), []cell{
		{"team-a/client", "db/db", "5432", "allowed"},
		{"team-a/other", "db/db", "5432", "denied"},
		{"team-b/client", "db/db", "5432", "denied"},
		{"db/client", "db/db", "5432", "denied"},
	})
	runTable(t, "OR", append(clientsFixture, or), []cell{
		{"team-a/client", "db/db", "5432", "allowed"},
		{"team-a/other", "db/db", "5432", "allowed"},
		{"team-b/client", "db/db", "5432", "denied"},
		{"db/client", "db/db", "5432", "allowed"},
	})
}

// TestEmptySelectors: API reference, NetworkPolicyPeer: podSelector "if
// present but empty, it selects all pods"; namespaceSelector "if present
// but empty, it selects all namespaces"; a peer with podSelector alone
// selects "in the policy's own namespace"; NetworkPolicyIngressRule.from:
// "If this field is empty or missing, this rule matches all sources";
// NetworkPolicySpec.ingress: "If this field is empty then this
// NetworkPolicy does not allow any traffic".
func TestEmptySelectors(t *testing.T) {
	tables := []struct {
		name  string
		spec  string
		cells []string // want for team-a/client, db/client, 203.0.113.9
	}{
		{"podSelector {} alone: all pods of the policy's namespace", `{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {}}]}]}`, []string{"denied", "allowed", "denied"}},
		{"namespaceSelector {} alone: all pods of all namespaces", `{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: {}}]}]}`, []string{"allowed", "allowed", "denied"}},
		{"both empty in one peer: all pods of all namespaces", `{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: {}, podSelector: {}}]}]}`, []string{"allowed", "allowed", "denied"}},
		{"namespaceSelector {} with podSelector: those pods anywhere", `{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {role: other}}}]}]}`, []string{"denied", "denied", "denied"}},
		{"rule without from: every source, addresses too", `{podSelector: {matchLabels: {app: db}}, ingress: [{}]}`, []string{"allowed", "allowed", "allowed"}},
		{"no ingress rules: nothing", `{podSelector: {matchLabels: {app: db}}}`, []string{"denied", "denied", "denied"}},
		{"empty ingress list with policyTypes: nothing", `{podSelector: {}, policyTypes: [Ingress], ingress: []}`, []string{"denied", "denied", "denied"}},
		{"policy podSelector {} selects every pod of its namespace", `{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {role: client}}}]}]}`, []string{"denied", "allowed", "denied"}},
	}
	for _, tb := range tables {
		docs := append(append([]string{}, clientsFixture...), netpol("db", "p", tb.spec))
		runTable(t, tb.name, docs, []cell{
			{"team-a/client", "db/db", "5432", tb.cells[0]},
			{"db/client", "db/db", "5432", tb.cells[1]},
			{"203.0.113.9", "db/db", "5432", tb.cells[2]},
		})
	}
}

// TestPolicyTypesDefaulting: API reference, NetworkPolicySpec.policyTypes:
// "If this field is not specified, it will default based on the existence
// of ingress or egress rules; policies that contain an egress section are
// assumed to affect egress, and all policies (whether or not they contain
// an ingress section) are assumed to affect ingress." Columns: traffic into
// db/db from db/client, and out of db/db to team-a/client.
func TestPolicyTypesDefaulting(t *testing.T) {
	tables := []struct {
		name        string
		spec        string
		in, out     string
		isoIn, isoE bool
	}{
		{"no types, no rules: ingress only", `{podSelector: {matchLabels: {app: db}}}`, "denied", "allowed", true, false},
		{"no types, ingress rules", `{podSelector: {matchLabels: {app: db}}, ingress: [{}]}`, "allowed", "allowed", true, false},
		{"no types, egress rules: both", `{podSelector: {matchLabels: {app: db}}, egress: [{to: [{podSelector: {}}]}]}`, "denied", "denied", true, true},
		{"types [Egress], no rules", `{podSelector: {matchLabels: {app: db}}, policyTypes: [Egress]}`, "allowed", "denied", false, true},
		{"types [Ingress, Egress], no rules", `{podSelector: {matchLabels: {app: db}}, policyTypes: [Ingress, Egress]}`, "denied", "denied", true, true},
		{"types [Ingress] with egress rules: egress rules ignored", `{podSelector: {matchLabels: {app: db}}, policyTypes: [Ingress], egress: [{to: [{podSelector: {}}]}]}`, "denied", "allowed", true, false},
		{"types [Egress] with ingress rules: ingress rules ignored", `{podSelector: {matchLabels: {app: db}}, policyTypes: [Egress], ingress: [{}], egress: [{}]}`, "allowed", "allowed", false, true},
	}
	for _, tb := range tables {
		docs := append(append([]string{}, clientsFixture...), netpol("db", "p", tb.spec))
		runTable(t, tb.name, docs, []cell{
			{"db/client", "db/db", "5432", tb.in},
			{"db/db", "team-a/client", "5432", tb.out},
		})
		m := newModel(parse(t, docs...))
		var db *Class
		for _, w := range m.workloads {
			if w.Name == "db" {
				db = w.Class
			}
		}
		if db.ingressIsolated() != tb.isoIn || db.egressIsolated() != tb.isoE {
			t.Errorf("%s: isolated ingress %v egress %v, want %v %v", tb.name, db.ingressIsolated(), db.egressIsolated(), tb.isoIn, tb.isoE)
		}
	}
}

// TestAdditive: API reference, NetworkPolicySpec.podSelector: "Multiple
// network policies can select the same set of pods. In this case, the
// ingress rules for each are combined additively." and docs: "Network
// policies do not conflict; they are additive. ... the order of evaluation
// does not affect the policy result."
func TestAdditive(t *testing.T) {
	deny := netpol("db", "deny", `{podSelector: {}, policyTypes: [Ingress, Egress]}`)
	fromA := netpol("db", "from-a", `{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: {matchLabels: {user: alice}}, podSelector: {matchLabels: {role: client}}}], ports: [{port: 5432}]}]}`)
	fromB := netpol("db", "from-b", `{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: {matchLabels: {user: bob}}}], ports: [{port: 6432}]}]}`)
	cells := []cell{
		{"team-a/client", "db/db", "5432", "allowed"},
		{"team-a/client", "db/db", "6432", "denied"},
		{"team-b/client", "db/db", "6432", "allowed"},
		{"team-b/client", "db/db", "5432", "denied"},
		{"team-a/other", "db/db", "5432", "denied"},
		// The default deny isolates db/client for egress as well.
		{"db/client", "team-a/client", "80", "denied"},
	}
	runTable(t, "deny first", append(append([]string{}, clientsFixture...), deny, fromA, fromB), cells)
	runTable(t, "deny last", append(append([]string{}, clientsFixture...), fromB, fromA, deny), cells)
}

// TestIsolationPerDirection: docs, "The two sorts of pod isolation": "By
// default, a pod is non-isolated for egress ... A pod is isolated for
// egress if there is any NetworkPolicy that both selects the pod and has
// "Egress" in its policyTypes"; likewise for ingress. A connection needs
// both the source's egress and the destination's ingress to allow it.
func TestIsolationPerDirection(t *testing.T) {
	egressOnly := netpol("team-a", "egress", `{podSelector: {matchLabels: {role: client}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: db}}}], ports: [{port: 5432}]}]}`)
	ingressOnly := netpol("db", "ingress", `{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 6432}]}]}`)
	runTable(t, "egress only", append(append([]string{}, clientsFixture...), egressOnly), []cell{
		{"team-a/client", "db/db", "5432", "allowed"},
		{"team-a/client", "db/db", "6432", "denied"},
		{"team-a/client", "team-b/client", "5432", "denied"},
		{"team-b/client", "team-a/client", "80", "allowed"},
	})
	runTable(t, "both sides", append(append([]string{}, clientsFixture...), egressOnly, ingressOnly), []cell{
		{"team-a/client", "db/db", "5432", "denied"}, // egress yes, ingress no
		{"team-a/client", "db/db", "6432", "denied"}, // ingress yes, egress no
		{"team-b/client", "db/db", "6432", "allowed"},
	})
}

// TestNamedPorts: API reference, NetworkPolicyPort.port: "This can either
// be a numerical or named port on a pod." A named port is resolved against
// the container ports of the destination pod: the selected pod for
// ingress, the peer pod for egress, matching name and protocol.
func TestNamedPorts(t *testing.T) {
	docs := []string{
		pod("a", "client", "app=client", ""),
		pod("a", "web1", "app=web,v=1", "http:8080"),
		pod("a", "web2", "app=web,v=2", "http:9090,dns:53/UDP"),
		pod("a", "noname", "app=web,v=3", "other:8080"),
		netpol("a", "in", `{podSelector: {matchLabels: {app: web}}, ingress: [{ports: [{port: http}, {port: dns, protocol: UDP}, {port: dns}]}]}`),
		netpol("a", "out", `{podSelector: {matchLabels: {app: client}}, policyTypes: [Egress], egress: [{ports: [{port: http}]}]}`),
	}
	runTable(t, "named", docs, []cell{
		{"a/client", "a/web1", "8080", "allowed"},
		{"a/client", "a/web1", "9090", "denied"},
		{"a/client", "a/web2", "9090", "allowed"},
		{"a/client", "a/web2", "8080", "denied"},
		{"a/web1", "a/web2", "53/UDP", "allowed"},
		{"a/web1", "a/web2", "53/TCP", "denied"},   // dns is a UDP port: the TCP entry resolves to nothing
		{"a/client", "a/noname", "8080", "denied"}, // no container port named http
		{"a/client", "93.184.216.34", "8080", "denied"},
	})
}

// TestEndPort: API reference, NetworkPolicyPort.endPort: "endPort
// indicates that the range of ports from port to endPort if set,
// inclusive, should be allowed by the policy."
func TestEndPort(t *testing.T) {
	docs := []string{
		pod("a", "client", "app=client", ""),
		pod("a", "srv", "app=srv", ""),
		netpol("a", "range", `{podSelector: {matchLabels: {app: srv}}, ingress: [{ports: [{port: 8000, endPort: 8080}, {protocol: UDP, port: 30000, endPort: 30001}]}]}`),
	}
	runTable(t, "endPort", docs, []cell{
		{"a/client", "a/srv", "7999", "denied"},
		{"a/client", "a/srv", "8000", "allowed"},
		{"a/client", "a/srv", "8040", "allowed"},
		{"a/client", "a/srv", "8080", "allowed"},
		{"a/client", "a/srv", "8081", "denied"},
		{"a/client", "a/srv", "30001/UDP", "allowed"},
		{"a/client", "a/srv", "30002/UDP", "denied"},
		{"a/client", "a/srv", "30000/TCP", "denied"},
	})
}

// TestProtocols: API reference, NetworkPolicyPort.protocol: "If not
// specified, this field defaults to TCP." and port: "If present, only
// traffic on the specified protocol AND port will be matched."; without
// port, "this matches all port names and numbers" of the protocol.
func TestProtocols(t *testing.T) {
	docs := []string{
		pod("a", "client", "app=client", ""),
		pod("a", "tcp", "app=tcp", ""),
		pod("a", "udp", "app=udp", ""),
		pod("a", "sctp", "app=sctp", ""),
		pod("a", "anyudp", "app=anyudp", ""),
		netpol("a", "tcp", `{podSelector: {matchLabels: {app: tcp}}, ingress: [{ports: [{port: 53}]}]}`),
		netpol("a", "udp", `{podSelector: {matchLabels: {app: udp}}, ingress: [{ports: [{port: 53, protocol: UDP}]}]}`),
		netpol("a", "sctp", `{podSelector: {matchLabels: {app: sctp}}, ingress: [{ports: [{port: 5000, protocol: SCTP}]}]}`),
		netpol("a", "anyudp", `{podSelector: {matchLabels: {app: anyudp}}, ingress: [{ports: [{protocol: UDP}]}]}`),
	}
	runTable(t, "protocols", docs, []cell{
		{"a/client", "a/tcp", "53/TCP", "allowed"},
		{"a/client", "a/tcp", "53/UDP", "denied"},
		{"a/client", "a/udp", "53/UDP", "allowed"},
		{"a/client", "a/udp", "53/TCP", "denied"},
		{"a/client", "a/sctp", "5000/SCTP", "allowed"},
		{"a/client", "a/sctp", "5000/TCP", "denied"},
		{"a/client", "a/sctp", "5000/UDP", "denied"},
		{"a/client", "a/anyudp", "1/UDP", "allowed"},
		{"a/client", "a/anyudp", "65535/UDP", "allowed"},
		{"a/client", "a/anyudp", "80/TCP", "denied"},
	})
}

// TestIPBlockExcept: API reference, IPBlock: "The except entry describes
// CIDRs that should not be included within this rule." Rules are additive,
// so an address in one rule's except is still allowed by another rule
// that includes it.
func TestIPBlockExcept(t *testing.T) {
	base := []string{
		pod("a", "srv", "app=srv", ""),
		netpol("a", "private", `{podSelector: {matchLabels: {app: srv}}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]}]}`),
	}
	cells := []cell{
		{"10.2.3.4", "a/srv", "80", "allowed"},
		{"10.1.2.3", "a/srv", "80", "denied"},
		{"10.1.3.3", "a/srv", "80", "denied"},
		{"11.0.0.1", "a/srv", "80", "denied"},
		{"9.255.255.255", "a/srv", "80", "denied"},
		{"10.255.255.255", "a/srv", "80", "allowed"},
	}
	runTable(t, "except", base, cells)
	other := netpol("a", "one-subnet", `{podSelector: {matchLabels: {app: srv}}, ingress: [{from: [{ipBlock: {cidr: 10.1.2.0/24}}], ports: [{port: 443}]}]}`)
	runTable(t, "except allowed elsewhere", append(base, other), []cell{
		{"10.1.2.3", "a/srv", "443", "allowed"},
		{"10.1.2.3", "a/srv", "80", "denied"},
		{"10.1.3.3", "a/srv", "443", "denied"},
		{"10.2.3.4", "a/srv", "80", "allowed"},
	})
	// Egress: the same for destinations.
	egress := []string{
		pod("a", "client", "app=client", ""),
		netpol("a", "out", `{podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]}]}`),
	}
	runTable(t, "egress except", egress, []cell{
		{"a/client", "93.184.216.34", "443", "allowed"},
		{"a/client", "169.254.169.254", "80", "denied"},
	})
}

// TestHostNetworkAndNode: docs, "NetworkPolicy and hostNetwork pods": the
// most common implementation "ignores hostNetwork pods when matching
// podSelector and namespaceSelector. Traffic to/from hostNetwork pods is
// treated the same as all other traffic to/from the node IP." and API
// reference, ingress: traffic is allowed "if the traffic source is the
// pod's local node".
func TestHostNetworkAndNode(t *testing.T) {
	docs := []string{
		hostPod("a", "agent", "app=agent"),
		pod("a", "client", "app=agent", ""),
		pod("a", "srv", "app=srv", ""),
		netpol("a", "deny", `{podSelector: {}, policyTypes: [Ingress, Egress]}`),
		netpol("a", "from-agent", `{podSelector: {matchLabels: {app: srv}}, ingress: [{from: [{podSelector: {matchLabels: {app: agent}}}], ports: [{port: 9100}]}]}`),
		netpol("a", "client-out", `{podSelector: {matchLabels: {app: agent}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: srv}}}]}]}`),
	}
	runTable(t, "hostNetwork", docs, []cell{
		// The pod-network client matches the podSelector peer.
		{"a/client", "a/srv", "9100", "allowed"},
		{"a/client", "a/srv", "80", "denied"},
		// The host-network agent has the same labels but is the node: only
		// its own node gets through.
		{"a/agent", "a/srv", "9100", "node"},
		{"a/agent", "a/srv", "80", "node"},
		// The default deny does not select the agent: anything reaches it,
		// and it reaches anything not isolated.
		{"a/srv", "a/agent", "22", "denied"}, // srv is isolated for egress
		{"203.0.113.1", "a/agent", "22", "allowed"},
	})
	withNodes := append(docs,
		"apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 192.168.0.10}]}\n",
		netpol("a", "from-nodes", `{podSelector: {matchLabels: {app: srv}}, ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/24}}], ports: [{port: 8080}]}]}`),
	)
	runTable(t, "hostNetwork with node addresses", withNodes, []cell{
		{"a/agent", "a/srv", "8080", "allowed"},
		{"a/agent", "a/srv", "80", "node"},
		{"192.168.0.10", "a/srv", "8080", "allowed"},
	})
}

func TestParsePortQuery(t *testing.T) {
	good := map[string]string{"5432": "TCP 5432", "5432/tcp": "TCP 5432", "53/UDP": "UDP 53", "SCTP/9": "SCTP 9", "udp": "UDP any"}
	for in, want := range good {
		q, err := ParsePortQuery(in)
		if err != nil || q.String() != want {
			t.Errorf("%q: %v %v, want %s", in, q, err, want)
		}
	}
	for _, bad := range []string{"", "0", "65536", "http", "80/ICMP", "TCP/", "/80", "80/"} {
		if _, err := ParsePortQuery(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
