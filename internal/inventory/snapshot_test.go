package inventory

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// awkward are annotation values a YAML writer must quote or fold with care.
var awkward = map[string]string{
	"bool":      "yes",
	"number":    "0123",
	"float":     "1e3",
	"null":      "~",
	"colon":     "a: b",
	"hash":      "a #b",
	"lines":     "line one\nline two\n",
	"trailing":  "  spaced  ",
	"unicode":   "héllo ✓ \u00a0",
	"quote":     `"'`,
	"empty":     "",
	"separator": "---\n...",
	"long":      strings.Repeat("word ", 60),
	"tab":       "a\tb",
	"json":      `{"a":[1,2]}`,
}

// clusterInventory is an inventory shaped as LoadCluster makes them.
func clusterInventory(t *testing.T) *Inventory {
	t.Helper()
	created := metav1.NewTime(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	meta := func(ns, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name), ResourceVersion: "42", CreationTimestamp: created, Labels: map[string]string{"app": name}}
	}
	pod := &corev1.Pod{ObjectMeta: meta("shop", "web-1"), Spec: corev1.PodSpec{
		ServiceAccountName:            "web",
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		SecurityContext:               &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), RunAsNonRoot: ptr.To(true)},
		Containers: []corev1.Container{{
			Name: "web", Image: "nginx:1.27", Command: []string{"sh", "-c", "echo 'hi: there'\nexit 0"},
			Ports: []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("128Mi"),
			}},
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			Env:             []corev1.EnvVar{{Name: "EMPTY"}, {Name: "N", Value: "1"}},
		}},
	}, Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.5"}}
	pod.Annotations = awkward
	pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-abc", UID: "uid-rs", Controller: ptr.To(true)}}
	dep := &appsv1.Deployment{ObjectMeta: meta("shop", "web"), Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To[int32](2),
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: pod.Spec},
		Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: ptr.To(intstr.FromString("25%")), MaxUnavailable: ptr.To(intstr.FromInt32(1))}},
	}}
	secret := &corev1.Secret{ObjectMeta: meta("shop", "web-token"), Type: corev1.SecretTypeServiceAccountToken}
	secret.Annotations = map[string]string{"kubernetes.io/service-account.name": "web"}
	np := &networkingv1.NetworkPolicy{ObjectMeta: meta("shop", "deny"), Spec: networkingv1.NetworkPolicySpec{
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{
			Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromString("http")), EndPort: ptr.To[int32](9000)}},
			From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}}},
		}},
	}}
	cr := &rbacv1.ClusterRole{ObjectMeta: meta("", "reader"), Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods", "secrets"}, Verbs: []string{"get", "list"}}}}
	csr := &certificatesv1.CertificateSigningRequest{ObjectMeta: meta("", "csr-1"), Spec: certificatesv1.CertificateSigningRequestSpec{
		Request: []byte("-----BEGIN CERTIFICATE REQUEST-----\n\x00\xff\n"), SignerName: "kubernetes.io/kube-apiserver-client", Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth},
	}}
	hook := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: meta("", "hook"), Webhooks: []admissionregistrationv1.ValidatingWebhook{{
		Name: "v.example.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{CABundle: []byte{1, 2, 3}, URL: ptr.To("https://x.example/v")},
		SideEffects: ptr.To(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}, FailurePolicy: ptr.To(admissionregistrationv1.Ignore),
	}}}
	node := &corev1.Node{ObjectMeta: meta("", "node-1"), Status: corev1.NodeStatus{
		Capacity:  corev1.ResourceList{corev1.ResourcePods: resource.MustParse("110")},
		NodeInfo:  corev1.NodeSystemInfo{KubeletVersion: "v1.37.2"},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.168.0.2"}},
	}}
	cm := &corev1.ConfigMap{ObjectMeta: meta("shop", "settings")}
	inv := &Inventory{Cluster: &ClusterInfo{
		Server: "https://127.0.0.1:6443", Version: "v1.37.2", CollectedAt: time.Date(2026, 11, 25, 20, 4, 15, 123456789, time.FixedZone("X", 3600)),
		NotAssessed: []NotAssessed{{Resource: "nodes", Reason: `forbidden: User "u" cannot list resource "nodes"`}, {Resource: "secrets", Namespace: "shop", Reason: "forbidden"}},
	}}
	for _, typed := range []kruntime.Object{
		&corev1.Namespace{ObjectMeta: meta("", "shop")}, pod, dep, &corev1.Service{ObjectMeta: meta("shop", "web"), Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http"), NodePort: 30080}},
		}},
		secret, cm, cr, np, node, hook, csr,
	} {
		gvks, _, err := scheme.ObjectKinds(typed)
		if err != nil {
			t.Fatal(err)
		}
		o, err := clusterObject(typed, gvks[0])
		if err != nil {
			t.Fatal(err)
		}
		inv.Objects = append(inv.Objects, o)
	}
	return inv
}

func writeSnapshotFile(t *testing.T, inv *Inventory) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSnapshot(&buf, inv); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

// sameInventory fails t unless got holds the objects and cluster
// information of want.
func sameInventory(t *testing.T, got, want *Inventory) {
	t.Helper()
	if len(got.Objects) != len(want.Objects) {
		t.Fatalf("%d objects, want %d", len(got.Objects), len(want.Objects))
	}
	for i, w := range want.Objects {
		g := got.Objects[i]
		id := w.Kind + " " + w.Namespace + "/" + w.Name
		if g.APIVersion != w.APIVersion || g.Kind != w.Kind || g.Namespace != w.Namespace || g.Name != w.Name {
			t.Errorf("object %d: got %s %s %s/%s, want %s %s", i, g.APIVersion, g.Kind, g.Namespace, g.Name, w.APIVersion, id)
			continue
		}
		if !apiequality.Semantic.DeepEqual(g.Labels, w.Labels) || !apiequality.Semantic.DeepEqual(g.Annotations, w.Annotations) {
			t.Errorf("%s: labels/annotations\n got %q %q\nwant %q %q", id, g.Labels, g.Annotations, w.Labels, w.Annotations)
		}
		if !apiequality.Semantic.DeepEqual(g.Typed, w.Typed) {
			t.Errorf("%s: typed object differs\n got %#v\nwant %#v", id, g.Typed, w.Typed)
		}
		if g.Source.File == "" || g.Source.Line < 1 {
			t.Errorf("%s: no position in the snapshot: %+v", id, g.Source)
		}
	}
	gc, wc := got.Cluster, want.Cluster
	if gc == nil || gc.Server != wc.Server || gc.Version != wc.Version || !gc.CollectedAt.Equal(wc.CollectedAt) || !slices.Equal(gc.NotAssessed, wc.NotAssessed) {
		t.Errorf("cluster info\n got %+v\nwant %+v", gc, wc)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	inv := clusterInventory(t)
	path, data := writeSnapshotFile(t, inv)
	got, err := LoadSnapshot(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range got.Notes {
		t.Errorf("note: %+v", n)
	}
	sameInventory(t, got, inv)
	if !bytes.HasPrefix(data, []byte("apiVersion: rampart.dev/v1alpha1\nkind: ClusterSnapshot\n")) {
		t.Errorf("snapshot starts %q", data[:min(80, len(data))])
	}
	// The Pod's securityContext is found at its line in the snapshot.
	pod := got.ByKind("Pod")[0]
	line := pod.Place("spec.containers[0].securityContext").Line
	if lines := strings.Split(string(data), "\n"); line < 1 || !strings.Contains(lines[line-1], "securityContext:") {
		t.Errorf("securityContext placed on line %d", line)
	}
	// Writing what was read gives the same snapshot again.
	if _, again := writeSnapshotFile(t, got); !bytes.Equal(again, data) {
		t.Errorf("a snapshot of a loaded snapshot differs from it")
	}
}

func TestWriteSnapshotNoSecretValues(t *testing.T) {
	// An inventory from manifests can hold Secret values; a snapshot of it
	// must not.
	objs, notes := ParseBytes("s.yaml", []byte(`apiVersion: v1
kind: Secret
metadata:
  name: s
  namespace: ns
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"aHVudGVyMg=="}}'
    keep: me
  managedFields:
  - manager: kubectl
data:
  password: aHVudGVyMg==
stringData:
  other: hunter3
`), Limits{})
	if len(notes) > 0 {
		t.Fatal(notes)
	}
	inv := &Inventory{Objects: objs, Cluster: &ClusterInfo{Server: "s", CollectedAt: time.Now()}}
	path, data := writeSnapshotFile(t, inv)
	for _, v := range []string{"aHVudGVyMg==", "hunter", "last-applied", "managedFields"} {
		if bytes.Contains(data, []byte(v)) {
			t.Errorf("snapshot contains %q:\n%s", v, data)
		}
	}
	if objs[0].Typed.(*corev1.Secret).Data == nil {
		t.Errorf("writing the snapshot changed the inventory")
	}
	got, err := LoadSnapshot(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if a := got.Objects[0].Annotations; a["keep"] != "me" || len(a) != 1 {
		t.Errorf("annotations = %v", a)
	}
}

func TestLoadSnapshotDropsSecretValues(t *testing.T) {
	inv, err := LoadSnapshot("testdata/snapshot-secret-values.yaml", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	secrets := inv.ByKind("Secret")
	if len(secrets) != 2 {
		t.Fatalf("%d secrets, want 2", len(secrets))
	}
	for _, o := range secrets {
		s := o.Typed.(*corev1.Secret)
		if s.Data != nil || s.StringData != nil || o.Raw["data"] != nil || o.Raw["stringData"] != nil {
			t.Errorf("%s: values kept", o.Name)
		}
		if _, ok := o.Annotations[lastApplied]; ok {
			t.Errorf("%s: last-applied annotation kept", o.Name)
		}
		if _, ok := s.Annotations[lastApplied]; ok {
			t.Errorf("%s: last-applied annotation kept in the typed object", o.Name)
		}
	}
	want := []finding.Note{{
		Level: finding.NoteInfo, File: "testdata/snapshot-secret-values.yaml", Line: 11,
		Message: "Secret shop/db carries values in the snapshot; they were dropped (a snapshot holds Secret metadata only)",
	}}
	if !slices.Equal(inv.Notes, want) {
		t.Errorf("notes = %+v, want %+v", inv.Notes, want)
	}
	if inv.Cluster.Server != "https://10.0.0.1:6443" || inv.Cluster.Version != "v1.37.2" || len(inv.Cluster.NotAssessed) != 1 {
		t.Errorf("cluster = %+v", inv.Cluster)
	}
}

func TestLoadSnapshotErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "apiVersion: rampart.dev/v1alpha1\nkind: ClusterSnapshot\nserver: s\nversion: v\ncollectedAt: 2026-01-02T03:04:05Z\n"
	manifests := write("cluster.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n")
	_, err := LoadSnapshot(manifests, Limits{})
	if !errors.Is(err, ErrNotSnapshot) {
		t.Fatalf("err = %v, want ErrNotSnapshot", err)
	}
	if want := manifests + " is not a rampart snapshot: no ClusterSnapshot header (make one with rampart snapshot)"; err.Error() != want {
		t.Errorf("message\n got %s\nwant %s", err, want)
	}
	tests := []struct{ name, content, want string }{
		{"two.yaml", header + "---\n" + header, "two.yaml:7: a second ClusterSnapshot header (the first is on line 1)"},
		{"version.yaml", strings.Replace(header, "v1alpha1", "v9", 1), "version.yaml:1: snapshot version rampart.dev/v9 is not one this rampart reads"},
		{"time.yaml", strings.Replace(header, "2026-01-02T03:04:05Z", "yesterday", 1), "time.yaml:1: ClusterSnapshot header: collectedAt: "},
		{"notime.yaml", strings.Replace(header, "collectedAt: 2026-01-02T03:04:05Z\n", "", 1), "notime.yaml:1: ClusterSnapshot header: no collectedAt"},
		{"broken.yaml", "apiVersion: rampart.dev/v1alpha1\nkind: [ClusterSnapshot\n", "is not a rampart snapshot: no ClusterSnapshot header (make one with rampart snapshot); first problem: line "},
	}
	for _, tc := range tests {
		_, err := LoadSnapshot(write(tc.name, tc.content), Limits{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
	if _, err := LoadSnapshot(filepath.Join(dir, "missing.yaml"), Limits{}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: err = %v", err)
	}
	big := write("big.yaml", header+strings.Repeat("# padding\n", 100))
	if _, err := LoadSnapshot(big, Limits{MaxFileBytes: 100, MaxNodes: 100, MaxDepth: 10}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("large file: err = %v, want ErrTooLarge", err)
	}
	if err := WriteSnapshot(&bytes.Buffer{}, &Inventory{}); err == nil {
		t.Errorf("WriteSnapshot of an inventory without cluster information succeeded")
	}
}

func TestSnapshotFixture(t *testing.T) {
	inv, err := LoadSnapshot("testdata/snapshot.yaml", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Notes) > 0 {
		t.Errorf("notes: %+v", inv.Notes)
	}
	var got []string
	for _, o := range inv.Objects {
		got = append(got, o.Kind+" "+o.Namespace+"/"+o.Name)
		if o.Typed == nil {
			t.Errorf("%s %s is not typed", o.Kind, o.Name)
		}
	}
	want := []string{"Namespace /shop", "Pod shop/web-1", "ReplicaSet shop/web-abc", "Secret shop/web-token"}
	if !slices.Equal(got, want) {
		t.Errorf("objects = %v, want %v", got, want)
	}
	if !ControllerOwned(inv.ByKind("Pod")[0], inv) {
		t.Errorf("the pod of the fixture's ReplicaSet is not controller-owned")
	}
	want0 := time.Date(2026, 11, 25, 20, 4, 15, 0, time.UTC)
	if c := inv.Cluster; c.Server != "https://127.0.0.1:6443" || c.Version != "v1.37.2" || !c.CollectedAt.Equal(want0) || len(c.NotAssessed) != 0 {
		t.Errorf("cluster = %+v", c)
	}
}
