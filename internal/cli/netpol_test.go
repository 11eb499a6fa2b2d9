package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/testcluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

const (
	npWorkloads = "testdata/netpol/workloads.yaml"
	npPolicies  = "testdata/netpol/policies.yaml"
	npFlows     = "testdata/netpol/flows.jsonl"
)

func TestNetpolReachText(t *testing.T) {
	code, out, errs := run(t, "", "netpol", "reach", npWorkloads, npPolicies)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"prod/api[Deployment] => vault/db[StatefulSet] : TCP 5432\n",
		"prod/report[CronJob] => vault/db[StatefulSet] : TCP 5432\n",
		"web/frontend[Deployment] => prod/api[Deployment] : TCP 8080,9090\n",
		"prod/api[Deployment] => 0.0.0.0/0 except 10.0.0.0/8, 169.254.169.254/32 : TCP 443\n",
		"monitoring/node-exporter[DaemonSet] => vault/db[StatefulSet] : all ports from the same node only\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("reach lacks %q:\n%s", want, out)
		}
	}
	for _, never := range []string{"web/frontend[Deployment] => vault/db", "prod/api[Deployment] => web/frontend"} {
		if strings.Contains(out, never) {
			t.Errorf("reach shows a denied connection %q", never)
		}
	}
}

func TestNetpolReachFocusAndFormats(t *testing.T) {
	code, out, errs := run(t, "", "netpol", "reach", "--to", "vault/db", "--port", "5432", npWorkloads, npPolicies)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := "monitoring/node-exporter[DaemonSet] => vault/db[StatefulSet] : all ports from the same node only\n" +
		"prod/api[Deployment] => vault/db[StatefulSet] : TCP 5432\n" +
		"prod/report[CronJob] => vault/db[StatefulSet] : TCP 5432\n"
	if out != want {
		t.Errorf("--to vault/db --port 5432:\n%s\nwant:\n%s", out, want)
	}
	code, out, _ = run(t, "", "netpol", "reach", "-o", "json", "--from", "prod/api", "--to", "external", npWorkloads, npPolicies)
	var js struct {
		Connections []struct {
			From  struct{ Kind, Namespace, Name string }
			To    struct{ CIDRs []string }
			Ports []struct {
				Protocol string
				Port     int
			}
		}
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &js) != nil || len(js.Connections) != 1 {
		t.Fatalf("json (exit %d):\n%s", code, out)
	}
	c := js.Connections[0]
	if c.From.Name != "api" || len(c.To.CIDRs) < 5 || c.Ports[0].Port != 443 || c.Ports[0].Protocol != "TCP" {
		t.Errorf("json connection %+v", c)
	}
	_, out, _ = run(t, "", "netpol", "reach", "-o", "csv", "--from", "prod/api", npWorkloads, npPolicies)
	if !strings.HasPrefix(out, "from,to,protocol,ports,node_local\n") || !strings.Contains(out, "prod/api[Deployment],kube-system/coredns[Deployment],UDP,53,false\n") {
		t.Errorf("csv:\n%s", out)
	}
	_, out, _ = run(t, "", "netpol", "reach", "-o", "dot", "--from", "prod/*", npWorkloads, npPolicies)
	if !strings.HasPrefix(out, "digraph reach {") || !strings.Contains(out, `label="prod"`) {
		t.Errorf("dot:\n%s", out)
	}
}

func TestNetpolExplain(t *testing.T) {
	code, out, errs := run(t, "", "netpol", "explain", "web/frontend", "vault/db", "5432", npWorkloads, npPolicies)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := `web/frontend[Deployment] => vault/db[StatefulSet] : TCP 5432 DENIED
egress of web/frontend[Deployment]: allowed, no NetworkPolicy selects the source for egress
ingress of vault/db[StatefulSet]: denied; isolated by vault/default-deny, vault/db
  no ingress rule of these policies matches the source
`
	if out != want {
		t.Errorf("explain:\n%s\nwant:\n%s", out, want)
	}
	code, out, _ = run(t, "", "netpol", "explain", "prod/api", "vault/db", "5432/TCP", "-o", "json", npWorkloads, npPolicies)
	var js struct {
		Verdict string
		Allowed bool
		Ingress struct {
			Rules []struct {
				Policy, Field string
				Place         struct{ File string }
			}
		}
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &js) != nil || !js.Allowed || len(js.Ingress.Rules) != 1 {
		t.Fatalf("json (exit %d):\n%s", code, out)
	}
	if r := js.Ingress.Rules[0]; r.Policy != "vault/db" || r.Field != "spec.ingress[0].from[0]" || r.Place.File != npPolicies {
		t.Errorf("rule %+v", r)
	}
	if code, _, errs := run(t, "", "netpol", "explain", "prod/api", "vault/db", "5432", "--expect", "denied", npWorkloads, npPolicies); code != ExitFindings || !strings.Contains(errs, "is allowed, expected denied") {
		t.Errorf("--expect denied: exit %d, %s", code, errs)
	}
	if code, _, _ := run(t, "", "netpol", "explain", "203.0.113.7", "web/frontend", "80", "--expect", "allowed", npWorkloads, npPolicies); code != ExitOK {
		t.Errorf("--expect allowed: exit %d", code)
	}
}

func TestNetpolLearn(t *testing.T) {
	code, out, errs := run(t, "", "netpol", "learn", "--workloads", npWorkloads, npFlows)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if errs != "rampart: 8 flows read, 5 learned, 1 replies ignored, 1 dropped ignored, 1 from the local node ignored; 9 policies\n" {
		t.Errorf("stderr %q", errs)
	}
	if strings.Contains(out, "pod-template-hash") || strings.Contains(out, "job-name") || !strings.Contains(out, "cidr: 93.184.216.34/32") {
		t.Errorf("learned:\n%s", out)
	}
	// The learned policies, with the workloads, allow what was observed
	// and deny what was dropped.
	dir := t.TempDir()
	learned := filepath.Join(dir, "learned.yaml")
	if err := os.WriteFile(learned, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ src, dst, port, expect string }{
		{"prod/api", "vault/db", "5432", "allowed"},
		{"prod/report", "vault/db", "5432", "allowed"},
		{"web/frontend", "prod/api", "8080", "allowed"},
		{"prod/api", "kube-system/coredns", "53/UDP", "allowed"},
		{"prod/api", "93.184.216.34", "443", "allowed"},
		{"web/frontend", "vault/db", "5432", "denied"},
		{"web/frontend", "prod/api", "9090", "denied"},
		{"vault/db", "prod/api", "41234", "denied"},
	} {
		if code, out, errs := run(t, "", "netpol", "explain", tc.src, tc.dst, tc.port, "--expect", tc.expect, npWorkloads, learned); code != ExitOK {
			t.Errorf("%s => %s %s: exit %d\n%s%s", tc.src, tc.dst, tc.port, code, out, errs)
		}
	}
	// From standard input, CSV.
	csv := "src_namespace,src_labels,dst_namespace,dst_labels,protocol,port\nprod,app=api,vault,app=db,TCP,5432\n"
	code, out, _ = run(t, csv, "netpol", "learn", "-o", "json", "-")
	var list struct {
		Kind  string
		Items []struct {
			Metadata struct{ Name, Namespace string }
		}
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &list) != nil || list.Kind != "List" || len(list.Items) != 4 {
		t.Errorf("csv from stdin (exit %d):\n%s", code, out)
	}
}

func TestNetpolGraph(t *testing.T) {
	code, out, errs := run(t, "", "netpol", "graph", "-o", "json", npFlows, npWorkloads, npPolicies)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var g struct {
		Edges []struct {
			From, To string
			Denied   []struct{ Port int }
		}
	}
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatal(err)
	}
	var denied []string
	for _, e := range g.Edges {
		if len(e.Denied) > 0 {
			denied = append(denied, e.From+" -> "+e.To)
		}
	}
	if len(g.Edges) != 6 || strings.Join(denied, ",") != "web/frontend -> vault/db" {
		t.Errorf("edges %+v, denied %q", g.Edges, denied)
	}
	_, out, _ = run(t, "", "netpol", "graph", npFlows, npWorkloads, npPolicies)
	if !strings.Contains(out, `[label="denied: TCP 5432", style=dashed, color=red, fontcolor=red]`) {
		t.Errorf("dot:\n%s", out)
	}
}

func TestNetpolFaults(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"flow":{"l4":{"TCP":{"destination_port":80}},"IP":{"source":"1.2.3.4","destination":"nope"}}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"netpol", "reach", "-o", "xml", npPolicies}, "unknown format"},
		{[]string{"netpol", "reach", "--from", "api", npPolicies}, "--from"},
		{[]string{"netpol", "reach", "--port", "http", npPolicies}, "--port"},
		{[]string{"netpol", "reach", "--snapshot", "x.yaml", npPolicies}, "either PATH arguments"},
		{[]string{"netpol", "explain", "prod/api", "vault/db", npPolicies}, "is not a port"},
		{[]string{"netpol", "explain", "prod/nope", "vault/db", "80", npWorkloads}, "no such workload"},
		{[]string{"netpol", "learn", bad}, "bad.json: invalid flow input: line 1"},
		{[]string{"netpol", "learn", "--format", "pcap", bad}, "--format"},
		{[]string{"netpol", "learn", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"netpol", "graph", "-o", "svg", npFlows, npPolicies}, "unknown format"},
	}
	for _, tc := range tests {
		code, _, errs := run(t, "", tc.args...)
		if code != ExitError || !strings.HasPrefix(errs, "rampart: ") || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q (want %q)", tc.args, code, errs, tc.want)
		}
	}
	// A broken manifest: the answer for the rest, then exit 2.
	code, out, errs := run(t, "", "netpol", "reach", "testdata/broken.yaml", npWorkloads, npPolicies)
	if code != ExitError || !strings.Contains(out, "prod/api[Deployment]") || !strings.Contains(errs, "broken.yaml") {
		t.Errorf("broken input: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestNetpolHelp(t *testing.T) {
	for _, sub := range []string{"reach", "explain", "learn", "graph"} {
		code, out, _ := run(t, "", "netpol", sub, "--help")
		if code != ExitOK || !strings.Contains(out, "Examples:") || !strings.Contains(out, "rampart netpol "+sub) {
			t.Errorf("%s --help: exit %d\n%s", sub, code, out)
		}
	}
}

// TestNetpolLive reads workloads and policies from a real API server: the
// Deployment's Pod is folded into it, and the answer is the same from a
// snapshot.
func TestNetpolLive(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"np-shop", "np-db"} {
		must(c.CreateNamespace(ctx, ns))
	}
	deploy := func(ns, name string, port int32) *appsv1.Deployment {
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "example/" + name,
						Ports: []corev1.ContainerPort{{Name: "svc", ContainerPort: port}}}}},
				},
			},
		}
		d, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
		must(err)
		return d
	}
	deploy("np-shop", "web", 8080)
	db := deploy("np-db", "db", 5432)
	_, err := cs.CoreV1().Pods("np-db").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "db-1", Namespace: "np-db", Labels: map[string]string{"app": "db"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "db", UID: db.UID, Controller: ptr.To(true)}}},
		Spec: db.Spec.Template.Spec,
	}, metav1.CreateOptions{})
	must(err)
	_, err = cs.NetworkingV1().NetworkPolicies("np-db").Create(ctx, &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "np-shop"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromString("svc"))}},
			}},
		},
	}, metav1.CreateOptions{})
	must(err)

	kc := c.Kubeconfig(t)
	code, out, errs := run(t, "", "netpol", "reach", "--kubeconfig", kc, "--to", "np-db/*")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "np-shop/web[Deployment] => np-db/db[Deployment] : TCP 5432\n") || strings.Contains(out, "db-1") {
		t.Errorf("live reach:\n%s", out)
	}
	if strings.Contains(out, "np-db/db[Deployment] => np-db/db[Deployment]") {
		t.Errorf("db reaches itself though only np-shop may:\n%s", out)
	}
	snap := t.TempDir() + "/cluster.yaml"
	if code, _, errs := run(t, "", "snapshot", "--kubeconfig", kc, "-o", snap); code != ExitOK {
		t.Fatalf("snapshot exit %d: %s", code, errs)
	}
	_, fromSnap, _ := run(t, "", "netpol", "reach", "--snapshot", snap, "--to", "np-db/*")
	if fromSnap != out {
		t.Errorf("snapshot answer differs:\n%s\nlive:\n%s", fromSnap, out)
	}
	code, out, _ = run(t, "", "netpol", "explain", "np-db/db", "np-db/db", "5432", "--kubeconfig", kc)
	if code != ExitOK || !strings.Contains(out, "DENIED") || !strings.Contains(out, "isolated by np-db/db") {
		t.Errorf("live explain (exit %d):\n%s", code, out)
	}
}
