package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// fakePages serves names as pages of a list, with continue tokens that are
// the offset of the next page. expire lists the continue tokens that
// answer 410 Gone, once each.
type fakePages struct {
	names  []string
	expire map[string]bool
	calls  []metav1.ListOptions
}

func (f *fakePages) page(_ context.Context, _ string, opts metav1.ListOptions) (page, error) {
	f.calls = append(f.calls, opts)
	if f.expire[opts.Continue] {
		delete(f.expire, opts.Continue)
		return page{}, apierrors.NewResourceExpired("the provided continue parameter is too old")
	}
	start := 0
	if opts.Continue != "" {
		start, _ = strconv.Atoi(opts.Continue)
	}
	end := len(f.names)
	if opts.Limit > 0 && start+int(opts.Limit) < end {
		end = start + int(opts.Limit)
	}
	var p page
	for _, n := range f.names[start:end] {
		p.objects = append(p.objects, &Object{Kind: "Pod", Name: n})
	}
	if end < len(f.names) {
		p.next = strconv.Itoa(end)
	}
	return p, nil
}

func names(objs []*Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Name
	}
	return out
}

func TestListAllPages(t *testing.T) {
	f := &fakePages{names: []string{"a", "b", "c", "d", "e"}}
	var progress []int
	objs, err := listAll(context.Background(), f.page, "", 2, func(n int) { progress = append(progress, n) })
	if err != nil {
		t.Fatal(err)
	}
	if got := names(objs); !slices.Equal(got, f.names) {
		t.Errorf("objects = %v, want %v", got, f.names)
	}
	if !slices.Equal(progress, []int{2, 4, 5}) {
		t.Errorf("progress = %v, want [2 4 5]", progress)
	}
	if len(f.calls) != 3 || f.calls[0].Limit != 2 || f.calls[2].Continue != "4" {
		t.Errorf("calls = %+v", f.calls)
	}
}

func TestListAllExpiredContinue(t *testing.T) {
	// The first continue token expires: the list starts again, and no
	// object is returned twice.
	f := &fakePages{names: []string{"a", "b", "c", "d", "e"}, expire: map[string]bool{"4": true}}
	objs, err := listAll(context.Background(), f.page, "", 2, func(int) {})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(objs); !slices.Equal(got, f.names) {
		t.Errorf("objects = %v, want %v", got, f.names)
	}
	if len(f.calls) != 6 || f.calls[3].Continue != "" {
		t.Errorf("calls = %+v, want a restart after the expired token", f.calls)
	}
}

func TestListAllKeepsExpiring(t *testing.T) {
	// A token that expires on every try: after two restarts the list is
	// read in one piece.
	f := &fakePages{names: []string{"a", "b", "c"}}
	calls := 0
	fn := func(ctx context.Context, ns string, opts metav1.ListOptions) (page, error) {
		calls++
		if opts.Continue != "" {
			return page{}, apierrors.NewResourceExpired("too old")
		}
		return f.page(ctx, ns, opts)
	}
	objs, err := listAll(context.Background(), fn, "", 2, func(int) {})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(objs); !slices.Equal(got, f.names) {
		t.Errorf("objects = %v, want %v", got, f.names)
	}
	if last := f.calls[len(f.calls)-1]; last.Limit != 0 {
		t.Errorf("last call %+v, want an unpaginated list", last)
	}
	if calls != 5 {
		t.Errorf("%d calls, want 5 (two expired restarts, then one full list)", calls)
	}
}

func TestListAllError(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no"))
	fn := func(context.Context, string, metav1.ListOptions) (page, error) { return page{}, forbidden }
	if _, err := listAll(context.Background(), fn, "", 2, func(int) {}); !apierrors.IsForbidden(err) {
		t.Errorf("err = %v, want the forbidden error", err)
	}
}

func TestReadKindNamespaceFallback(t *testing.T) {
	podsKind := clusterKinds[slices.IndexFunc(clusterKinds, func(k clusterKind) bool { return k.kind == "Pod" })]
	forbid := func(ns string) error {
		return apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", fmt.Errorf("User \"u\" cannot list resource \"pods\" in API group \"\" %s", ns))
	}
	// Cluster-wide forbidden; namespace "a" allowed, "b" forbidden.
	fn := func(_ context.Context, ns string, _ metav1.ListOptions) (page, error) {
		switch ns {
		case "a":
			return page{objects: []*Object{{Kind: "Pod", Namespace: "a", Name: "p"}}}, nil
		case "":
			return page{}, forbid("at the cluster scope")
		}
		return page{}, forbid("in the namespace " + ns)
	}
	c := &clusterClient{server: "https://x"}
	noProgress := func(string) func(int) { return func(int) {} }

	r, err := c.readKind(context.Background(), podsKind, fn, ClusterOptions{PageSize: 10}, []string{"a", "b"}, noProgress)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.objects) != 1 || r.objects[0].Name != "p" {
		t.Errorf("objects = %v, want pod a/p", names(r.objects))
	}
	want := []NotAssessed{{Resource: "pods", Namespace: "b", Reason: `forbidden: User "u" cannot list resource "pods" in API group "" in the namespace b`}}
	if !slices.Equal(r.notAssessed, want) {
		t.Errorf("notAssessed = %+v, want %+v", r.notAssessed, want)
	}

	// Forbidden in every namespace: one entry for the whole resource.
	r, err = c.readKind(context.Background(), podsKind, fn, ClusterOptions{PageSize: 10}, []string{"b", "c"}, noProgress)
	if err != nil {
		t.Fatal(err)
	}
	want = []NotAssessed{{Resource: "pods", Reason: `forbidden: User "u" cannot list resource "pods" in API group "" at the cluster scope`}}
	if len(r.objects) != 0 || !slices.Equal(r.notAssessed, want) {
		t.Errorf("got %v, %+v; want no objects and %+v", names(r.objects), r.notAssessed, want)
	}

	// Unknown namespaces: no fallback.
	r, err = c.readKind(context.Background(), podsKind, fn, ClusterOptions{PageSize: 10}, nil, noProgress)
	if err != nil || len(r.notAssessed) != 1 || r.notAssessed[0].Namespace != "" {
		t.Errorf("got %+v, %v; want one cluster-wide entry", r.notAssessed, err)
	}

	// Other errors abort.
	broken := func(context.Context, string, metav1.ListOptions) (page, error) {
		return page{}, apierrors.NewInternalError(errors.New("etcd is down"))
	}
	if _, err := c.readKind(context.Background(), podsKind, broken, ClusterOptions{}, nil, noProgress); err == nil || !strings.Contains(err.Error(), "list pods: ") {
		t.Errorf("err = %v, want the internal error", err)
	}
}

func TestSecretsFromTable(t *testing.T) {
	body := `{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"continue":"tok"},
	"columnDefinitions":[{"name":"Name","type":"string"},{"name":"Type","type":"string"},{"name":"Data","type":"string"},{"name":"Age","type":"string"}],
	"rows":[{"cells":["tok-1","kubernetes.io/service-account-token",3,"1d"],
	  "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"tok-1","namespace":"ns","uid":"u1",
	    "labels":{"l":"v"},
	    "annotations":{"kubernetes.io/service-account.name":"sa","kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"token\":\"c2VjcmV0\"}}"},
	    "managedFields":[{"manager":"kubectl","operation":"Update"}]}}}]}`
	p, err := secretsFromTable([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if p.next != "tok" || len(p.objects) != 1 {
		t.Fatalf("page = %+v", p)
	}
	o := p.objects[0]
	s, ok := o.Typed.(*corev1.Secret)
	if !ok {
		t.Fatalf("typed = %T", o.Typed)
	}
	if o.APIVersion != "v1" || o.Kind != "Secret" || s.Kind != "Secret" || o.Namespace != "ns" || o.Name != "tok-1" || o.Labels["l"] != "v" {
		t.Errorf("object = %+v", o)
	}
	if s.Type != corev1.SecretTypeServiceAccountToken {
		t.Errorf("type = %q", s.Type)
	}
	if _, ok := s.Annotations[lastApplied]; ok {
		t.Errorf("the last-applied annotation, which holds the values, was kept")
	}
	if s.Annotations["kubernetes.io/service-account.name"] != "sa" || s.ManagedFields != nil {
		t.Errorf("metadata = %+v", s.ObjectMeta)
	}

	if _, err := secretsFromTable([]byte(`{"kind":"SecretList","apiVersion":"v1","items":[]}`)); err == nil {
		t.Errorf("a plain list was accepted in place of a Table")
	}
	if _, err := secretsFromTable([]byte(`{"kind":"Table","rows":[{"cells":["x"]}]}`)); err == nil {
		t.Errorf("a row without object metadata was accepted")
	}
}

func TestMetadataPage(t *testing.T) {
	list := &metav1.PartialObjectMetadataList{
		ListMeta: metav1.ListMeta{Continue: "c"},
		Items: []metav1.PartialObjectMetadata{{ObjectMeta: metav1.ObjectMeta{
			Name: "cm", Namespace: "ns", Labels: map[string]string{"a": "b"},
			Annotations:   map[string]string{lastApplied: "{}", "keep": "me"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}},
		}}},
	}
	p, err := metadataPage(list, coreGV.WithKind("ConfigMap"))
	if err != nil {
		t.Fatal(err)
	}
	cm, ok := p.objects[0].Typed.(*corev1.ConfigMap)
	if !ok || p.next != "c" {
		t.Fatalf("page = %+v, typed %T", p, p.objects[0].Typed)
	}
	if cm.Name != "cm" || cm.Namespace != "ns" || cm.Labels["a"] != "b" || cm.Annotations["keep"] != "me" || cm.ManagedFields != nil || cm.Kind != "ConfigMap" || cm.APIVersion != "v1" {
		t.Errorf("configmap = %+v", cm)
	}
	if _, ok := cm.Annotations[lastApplied]; ok {
		t.Errorf("last-applied annotation kept")
	}
}

func TestTypedPage(t *testing.T) {
	list := &appsv1.DeploymentList{
		ListMeta: metav1.ListMeta{Continue: "next"},
		Items: []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{
			Name: "d", Namespace: "ns", ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}},
		}}},
	}
	p, err := typedPage(list, appsGV.WithKind("Deployment"))
	if err != nil {
		t.Fatal(err)
	}
	o := p.objects[0]
	d := o.Typed.(*appsv1.Deployment)
	if p.next != "next" || o.APIVersion != "apps/v1" || o.Kind != "Deployment" || d.APIVersion != "apps/v1" || d.Kind != "Deployment" || d.ManagedFields != nil || o.Raw != nil {
		t.Errorf("object = %+v", o)
	}
	if &list.Items[0] != d {
		t.Errorf("the typed object is a copy of the list item, not the item")
	}
	raw, err := o.Unstructured()
	if err != nil || raw["kind"] != "Deployment" {
		t.Errorf("Unstructured() = %v, %v", raw, err)
	}
}

func TestLoadClusterUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = LoadCluster(context.Background(), &rest.Config{Host: "https://" + addr}, ClusterOptions{})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if strings.Count(err.Error(), "\n") > 0 {
		t.Errorf("error spans lines: %q", err)
	}
}

func TestLoadClusterUnauthorized(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`)
	}))
	defer srv.Close()
	cfg := &rest.Config{Host: srv.URL, BearerToken: "expired", TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	_, err := LoadCluster(context.Background(), cfg, ClusterOptions{})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
}

func TestLoadClusterUntrustedCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	_, err := LoadCluster(context.Background(), &rest.Config{Host: srv.URL}, ClusterOptions{})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want ErrUnreachable about the certificate", err)
	}
}

func TestControllerOwned(t *testing.T) {
	ctrl := true
	owned := func(kind, name string, uid types.UID) *Object {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p-" + name, Namespace: "ns", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "apps/v1", Kind: kind, Name: name, UID: uid, Controller: &ctrl},
		}}}
		if kind == "Node" {
			p.OwnerReferences[0].APIVersion = "v1"
		}
		return &Object{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Name: p.Name, Typed: p}
	}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "rs", Namespace: "ns", UID: "uid-rs"}}
	inv := &Inventory{Objects: []*Object{
		{APIVersion: "apps/v1", Kind: "ReplicaSet", Namespace: "ns", Name: "rs", Typed: rs},
		{APIVersion: "v1", Kind: "Node", Name: "node-1", Typed: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}},
	}}
	notController := owned("ReplicaSet", "rs", "uid-rs")
	notController.Typed.(*corev1.Pod).OwnerReferences[0].Controller = nil
	tests := []struct {
		name string
		o    *Object
		want bool
	}{
		{"owner in inventory", owned("ReplicaSet", "rs", "uid-rs"), true},
		{"owner without uid", owned("ReplicaSet", "rs", ""), true},
		{"owner re-created", owned("ReplicaSet", "rs", "uid-old"), false},
		{"owner not in inventory", owned("ReplicaSet", "other", ""), false},
		{"owner of another kind", owned("StatefulSet", "rs", ""), false},
		{"mirror pod of a node", owned("Node", "node-1", ""), false},
		{"not a controller reference", notController, false},
		{"no owner", &Object{Kind: "Pod", Typed: &corev1.Pod{}}, false},
		{"untyped", &Object{Kind: "Pod"}, false},
	}
	for _, tc := range tests {
		if got := ControllerOwned(tc.o, inv); got != tc.want {
			t.Errorf("%s: ControllerOwned = %v, want %v", tc.name, got, tc.want)
		}
	}
	// The index follows objects added later.
	o := owned("ReplicaSet", "late", "")
	if ControllerOwned(o, inv) {
		t.Fatal("owned before the owner was added")
	}
	inv.Objects = append(inv.Objects, &Object{APIVersion: "apps/v1", Kind: "ReplicaSet", Namespace: "ns", Name: "late", Typed: &appsv1.ReplicaSet{}})
	if !ControllerOwned(o, inv) {
		t.Error("not owned after the owner was added")
	}
}

func TestReason(t *testing.T) {
	err := apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "", errors.New(`User "u" cannot list resource "secrets" in API group "" in the namespace "a"`))
	if got, want := reason(err), `forbidden: User "u" cannot list resource "secrets" in API group "" in the namespace "a"`; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
	if got := reason(apierrors.NewNotFound(schema.GroupResource{Resource: "x"}, "")); got != "not served by this API server" {
		t.Errorf("reason = %q", got)
	}
}

func TestClusterKindsOrder(t *testing.T) {
	// Every kind is typed by the scheme, with a list kind for the typed
	// lists, and appears once.
	seen := map[string]bool{}
	for _, k := range clusterKinds {
		if seen[k.kind] {
			t.Errorf("%s listed twice", k.kind)
		}
		seen[k.kind] = true
		if newTyped(k.gv.String(), k.kind) == nil {
			t.Errorf("%s %s is not in the scheme", k.gv, k.kind)
		}
		if k.mode == typedList && newTyped(k.gv.String(), k.kind+"List") == nil {
			t.Errorf("%s %sList is not in the scheme", k.gv, k.kind)
		}
	}
}

func TestConfigzDocument(t *testing.T) {
	kc, err := ConfigzDocument([]byte(`{"kubeletconfig":{"readOnlyPort":10255,"authentication":{"anonymous":{"enabled":false}}}}`))
	if err != nil || kc["readOnlyPort"] != float64(10255) {
		t.Fatalf("%v %v", kc, err)
	}
	for _, bad := range []string{``, `null`, `{}`, `{"kubeletconfig": null}`, `{"kubeletconfig": [1]}`, `<html>`, `{"kubeletconfig":{}} trailing`} {
		if kc, err := ConfigzDocument([]byte(bad)); err == nil {
			t.Errorf("%q: read as %v", bad, kc)
		}
	}
	kc, err = ConfigzDocument([]byte(`{"kubeletconfig":{"staticPodURL":"https://pods.example","staticPodURLHeader":{"Authorization":["Bearer s3cr3t-t0ken"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := json.Marshal(kc); strings.Contains(string(h), "s3cr3t") || !strings.Contains(string(h), `"Authorization":["REDACTED"]`) {
		t.Errorf("staticPodURLHeader not redacted: %s", h)
	}
	if _, err := ConfigzDocument(append([]byte(`{"kubeletconfig":{"a":"`), make([]byte, maxConfigzBytes)...)); err == nil {
		t.Error("an oversized answer was read")
	}
}

// FuzzConfigzDocument: any answer gives a configuration or an error, and
// a configuration can be written to a snapshot.
func FuzzConfigzDocument(f *testing.F) {
	f.Add([]byte(`{"kubeletconfig":{"readOnlyPort":10255,"featureGates":{"A":true},"tlsCipherSuites":["x"]}}`))
	f.Add([]byte(`{"kubeletconfig":{"authentication":{"anonymous":{"enabled":"yes"}}}}`))
	f.Add([]byte(`{"kubeletconfig":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		kc, err := ConfigzDocument(body)
		if (kc == nil) == (err == nil) {
			t.Fatalf("config %v, error %v", kc, err)
		}
		if err != nil {
			return
		}
		o := &Object{APIVersion: KubeletConfigzAPIVersion, Kind: KubeletConfigzKind, Name: "n",
			Raw: map[string]any{"apiVersion": KubeletConfigzAPIVersion, "kind": KubeletConfigzKind, "metadata": map[string]any{"name": "n"}, "kubeletconfig": kc}}
		var b strings.Builder
		if err := WriteSnapshot(&b, &Inventory{Objects: []*Object{o}, Cluster: &ClusterInfo{}}); err != nil {
			t.Fatalf("snapshot: %v", err)
		}
	})
}
