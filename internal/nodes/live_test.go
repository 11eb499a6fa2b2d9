package nodes

import (
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

func TestAuditRegistryIsValid(t *testing.T) {
	if err := audit.Validate(Checks()); err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, c := range ConfigChecks() {
		in := audit.Lookup(Checks(), c.ID) != nil
		if in != (InAudit(c) != "") {
			t.Errorf("%s: in audit %t, InAudit %q", c.ID, in, InAudit(c))
		}
		if in {
			live++
		}
		if c.FlagsOnly && !in {
			t.Errorf("%s decides from flags but does not run in audit", c.ID)
		}
	}
	// The CIS checks, and kubelet-serving-cert-rotation.
	if len(Checks()) != live+1 || audit.Lookup(Checks(), "kubelet-serving-cert-rotation") == nil {
		t.Errorf("%d audit checks for %d CIS checks", len(Checks()), live)
	}
}

// Mirror Pods are checked exactly like their manifests, per node, and
// findings point at the Pod.
func TestMirrorPods(t *testing.T) {
	mirror := func(name, node string, args ...string) string {
		m := pod(APIServer, args...)
		m = strings.Replace(m, "name: kube-apiserver-node1", "name: "+name+"\n  annotations: {kubernetes.io/config.mirror: abc}", 1)
		return strings.Replace(m, "spec:\n", "spec:\n  nodeName: "+node+"\n", 1)
	}
	manifests := strings.Join([]string{
		mirror("kube-apiserver-a", "a", "--enable-admission-plugins=NodeRestriction", "--profiling=false"),
		mirror("kube-apiserver-b", "b", "--profiling=true"),
		mirror("kube-apiserver-c", "c", "--profiling=false", "--authorization-config=/etc/kubernetes/authz.yaml", "--enable-admission-plugins=NodeRestriction"),
		pod(Etcd, "--client-cert-auth=false"),
		"apiVersion: v1\nkind: Node\nmetadata: {name: b}\n",
		"apiVersion: v1\nkind: Node\nmetadata: {name: a}\n",
		// Not in kube-system: not a control-plane Pod.
		strings.Replace(pod(APIServer), "namespace: kube-system", "namespace: shop", 1),
	}, "---\n")
	objs := parseDoc(t, "cluster.yaml", manifests)
	inv := &inventory.Inventory{Objects: objs, Cluster: &inventory.ClusterInfo{Version: "v1.37.2"}}
	res := audit.RunChecks(inv, nil, Checks())
	var got []string
	for _, f := range res.Findings {
		if f.Check == "apiserver-node-restriction" || f.Check == "apiserver-profiling" || f.Check == "etcd-client-cert-auth" {
			got = append(got, f.Check+" "+f.Object.String()+" "+f.Severity.String())
		}
		if strings.Contains(f.Message, "not assessed") || f.Severity == finding.Info {
			t.Errorf("a not-assessed result as a finding: %+v", f)
		}
	}
	slices.Sort(got)
	want := []string{
		"apiserver-node-restriction kube-system/Pod/kube-apiserver-b high",
		"apiserver-profiling kube-system/Pod/kube-apiserver-b low",
		"etcd-client-cert-auth kube-system/Pod/etcd-node1 critical",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got  %q\n want %q", got, want)
	}
	// Not assessed: the API server checks that read a file a flag names,
	// for the Pod that names it; the controller manager and scheduler
	// checks as a whole (no mirror Pod).
	var na []string
	for _, n := range res.NotAssessed {
		if strings.HasPrefix(n.CheckID, "apiserver-authz") || n.CheckID == "scheduler-profiling" || n.CheckID == "controller-manager-profiling" || n.CheckID == "etcd-tls" {
			na = append(na, n.CheckID+" "+n.Object.Name)
		}
		if n.Reason == "" {
			t.Errorf("not assessed without a reason: %+v", n)
		}
	}
	slices.Sort(na)
	wantNA := []string{"apiserver-authz-always-allow kube-apiserver-c", "apiserver-authz-node kube-apiserver-c", "apiserver-authz-rbac kube-apiserver-c",
		"controller-manager-profiling ", "scheduler-profiling "}
	if !slices.Equal(na, wantNA) {
		t.Errorf("not assessed in audit:\n got  %q\n want %q", na, wantNA)
	}
	for _, f := range res.Findings {
		if f.Check == "apiserver-node-restriction" && !strings.HasSuffix(f.Message, "the kubelets of 2 nodes (a, b) are not restricted to their own Node and Pods") {
			t.Errorf("NodeRestriction finding does not name the nodes: %s", f.Message)
		}
		if f.Check == "apiserver-profiling" && (f.Place.Line == 0 || !strings.Contains(f.Message, "--profiling=true (flag)")) {
			t.Errorf("finding does not point at the flag: %+v", f)
		}
	}
}
