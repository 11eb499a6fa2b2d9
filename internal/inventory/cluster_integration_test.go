package inventory

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/testcluster"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// These tests read a real kube-apiserver (internal/testcluster). They skip
// outside CI when its binaries are not built, and fail in CI.

func TestMain(m *testing.M) { testcluster.Main(m, testcluster.Options{}) }

// The values of the seeded Secrets and ConfigMap: none may appear in an
// inventory, a snapshot or (for the first two) any response LoadCluster
// receives.
const (
	tokenValue     = "sekrit-token-value-7f3a"
	configMapValue = "configmap-value-91c2"
	appliedValue   = "applied-password-4d8e"
)

// seeded names what seed created.
type seeded struct {
	prefix    string
	shop, ops string // namespaces
	node      string
	uids      map[string]string // kind/name -> uid
}

// seeds counts calls of seed, so that -count=N runs find fresh names.
var seeds atomic.Int32

// seed creates one object of every kind LoadCluster reads, in two
// namespaces of their own (named after prefix and a counter, since the
// cluster is shared and namespaces are never deleted without a controller
// manager).
func seed(t *testing.T, c *testcluster.Cluster, prefix string) seeded {
	t.Helper()
	ctx := t.Context()
	cs := c.Client()
	prefix = fmt.Sprintf("%s%d", prefix, seeds.Add(1))
	s := seeded{prefix: prefix, shop: prefix + "-shop", ops: prefix + "-ops", node: prefix + "-node", uids: map[string]string{}}
	for _, ns := range []string{s.shop, s.ops} {
		if err := c.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	must := func(what string, obj metav1.Object, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("create %s: %v", what, err)
		}
		s.uids[what] = string(obj.GetUID())
	}
	om := func(ns, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": name}}
	}
	podSpec := corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27",
		SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false)}}}}
	template := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: podSpec}
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}

	sa, err := cs.CoreV1().ServiceAccounts(s.shop).Create(ctx, &corev1.ServiceAccount{ObjectMeta: om(s.shop, "web")}, metav1.CreateOptions{})
	must("ServiceAccount/web", sa, err)
	dep, err := cs.AppsV1().Deployments(s.shop).Create(ctx, &appsv1.Deployment{ObjectMeta: om(s.shop, "web"),
		Spec: appsv1.DeploymentSpec{Selector: selector, Template: template}}, metav1.CreateOptions{})
	must("Deployment/web", dep, err)
	rsMeta := om(s.shop, "web-abc")
	rsMeta.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: dep.UID, Controller: ptr.To(true)}}
	rs, err := cs.AppsV1().ReplicaSets(s.shop).Create(ctx, &appsv1.ReplicaSet{ObjectMeta: rsMeta,
		Spec: appsv1.ReplicaSetSpec{Selector: selector, Template: template}}, metav1.CreateOptions{})
	must("ReplicaSet/web-abc", rs, err)
	// There is no controller manager: the pods are made by hand, one
	// owned by the ReplicaSet, one by a ReplicaSet that does not exist,
	// and one by nothing.
	for _, p := range []struct {
		name  string
		owner *metav1.OwnerReference
	}{
		{"web-abc-1", &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-abc", UID: rs.UID, Controller: ptr.To(true)}},
		{"gone-1", &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "gone", UID: "0f0f0f0f-0000-4000-8000-000000000000", Controller: ptr.To(true)}},
		{"solo", nil},
	} {
		m := om(s.shop, p.name)
		if p.owner != nil {
			m.OwnerReferences = []metav1.OwnerReference{*p.owner}
		}
		pod, err := cs.CoreV1().Pods(s.shop).Create(ctx, &corev1.Pod{ObjectMeta: m, Spec: podSpec}, metav1.CreateOptions{})
		must("Pod/"+p.name, pod, err)
	}
	pod, err := cs.CoreV1().Pods(s.ops).Create(ctx, &corev1.Pod{ObjectMeta: om(s.ops, "tool"), Spec: podSpec}, metav1.CreateOptions{})
	must("Pod/tool", pod, err)
	sts, err := cs.AppsV1().StatefulSets(s.shop).Create(ctx, &appsv1.StatefulSet{ObjectMeta: om(s.shop, "db"),
		Spec: appsv1.StatefulSetSpec{Selector: selector, Template: template}}, metav1.CreateOptions{})
	must("StatefulSet/db", sts, err)
	ds, err := cs.AppsV1().DaemonSets(s.ops).Create(ctx, &appsv1.DaemonSet{ObjectMeta: om(s.ops, "agent"),
		Spec: appsv1.DaemonSetSpec{Selector: selector, Template: template}}, metav1.CreateOptions{})
	must("DaemonSet/agent", ds, err)
	rc, err := cs.CoreV1().ReplicationControllers(s.ops).Create(ctx, &corev1.ReplicationController{ObjectMeta: om(s.ops, "legacy"),
		Spec: corev1.ReplicationControllerSpec{Selector: map[string]string{"app": "web"}, Template: &template}}, metav1.CreateOptions{})
	must("ReplicationController/legacy", rc, err)
	jobTemplate := template
	jobTemplate.Spec.RestartPolicy = corev1.RestartPolicyNever
	job, err := cs.BatchV1().Jobs(s.ops).Create(ctx, &batchv1.Job{ObjectMeta: om(s.ops, "once"),
		Spec: batchv1.JobSpec{Template: jobTemplate}}, metav1.CreateOptions{})
	must("Job/once", job, err)
	cj, err := cs.BatchV1().CronJobs(s.ops).Create(ctx, &batchv1.CronJob{ObjectMeta: om(s.ops, "nightly"),
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: jobTemplate}}}}, metav1.CreateOptions{})
	must("CronJob/nightly", cj, err)
	svc, err := cs.CoreV1().Services(s.shop).Create(ctx, &corev1.Service{ObjectMeta: om(s.shop, "web"),
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
	must("Service/web", svc, err)

	// A legacy service account token, with its value as the token
	// controller would have written it.
	tokMeta := om(s.shop, "web-token")
	tokMeta.Annotations = map[string]string{corev1.ServiceAccountNameKey: "web"}
	sec, err := cs.CoreV1().Secrets(s.shop).Create(ctx, &corev1.Secret{ObjectMeta: tokMeta, Type: corev1.SecretTypeServiceAccountToken,
		Data: map[string][]byte{corev1.ServiceAccountTokenKey: []byte(tokenValue)}}, metav1.CreateOptions{})
	must("Secret/web-token", sec, err)
	// A Secret made with kubectl apply, whose annotation repeats its value.
	appMeta := om(s.shop, "db-password")
	appMeta.Annotations = map[string]string{lastApplied: fmt.Sprintf(`{"apiVersion":"v1","kind":"Secret","stringData":{"password":%q}}`, appliedValue)}
	sec, err = cs.CoreV1().Secrets(s.shop).Create(ctx, &corev1.Secret{ObjectMeta: appMeta, StringData: map[string]string{"password": appliedValue}}, metav1.CreateOptions{})
	must("Secret/db-password", sec, err)
	cm, err := cs.CoreV1().ConfigMaps(s.shop).Create(ctx, &corev1.ConfigMap{ObjectMeta: om(s.shop, "settings"),
		Data: map[string]string{"key": configMapValue}}, metav1.CreateOptions{})
	must("ConfigMap/settings", cm, err)

	rule := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}
	role, err := cs.RbacV1().Roles(s.shop).Create(ctx, &rbacv1.Role{ObjectMeta: om(s.shop, "reader"), Rules: []rbacv1.PolicyRule{rule}}, metav1.CreateOptions{})
	must("Role/reader", role, err)
	rb, err := cs.RbacV1().RoleBindings(s.shop).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: om(s.shop, "reader"),
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "reader"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "web", Namespace: s.shop}}}, metav1.CreateOptions{})
	must("RoleBinding/reader", rb, err)
	cr, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: om("", prefix+"-reader"), Rules: []rbacv1.PolicyRule{rule}}, metav1.CreateOptions{})
	must("ClusterRole/"+prefix+"-reader", cr, err)
	crb, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: om("", prefix+"-reader"),
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: prefix + "-reader"},
		Subjects: []rbacv1.Subject{{Kind: "Group", APIGroup: rbacv1.GroupName, Name: prefix + "-auditors"}}}, metav1.CreateOptions{})
	must("ClusterRoleBinding/"+prefix+"-reader", crb, err)
	np, err := cs.NetworkingV1().NetworkPolicies(s.shop).Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: om(s.shop, "deny-all"),
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}, metav1.CreateOptions{})
	must("NetworkPolicy/deny-all", np, err)
	node, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: om("", s.node)}, metav1.CreateOptions{})
	must("Node/"+s.node, node, err)

	// Webhooks for a group no request uses, so that they cannot disturb
	// other tests sharing the cluster.
	hookRule := admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule: admissionregistrationv1.Rule{APIGroups: []string{"never.rampart.dev"}, APIVersions: []string{"v1"}, Resources: []string{"nothings"}}}
	hookClient := admissionregistrationv1.WebhookClientConfig{URL: ptr.To("https://127.0.0.1:1/hook")}
	vwc, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: om("", prefix+"-validate"),
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "v.rampart.dev", ClientConfig: hookClient, Rules: []admissionregistrationv1.RuleWithOperations{hookRule},
			SideEffects: ptr.To(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}, FailurePolicy: ptr.To(admissionregistrationv1.Ignore)}},
	}, metav1.CreateOptions{})
	must("ValidatingWebhookConfiguration/"+prefix+"-validate", vwc, err)
	mwc, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: om("", prefix+"-mutate"),
		Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "m.rampart.dev", ClientConfig: hookClient, Rules: []admissionregistrationv1.RuleWithOperations{hookRule},
			SideEffects: ptr.To(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}, FailurePolicy: ptr.To(admissionregistrationv1.Ignore)}},
	}, metav1.CreateOptions{})
	must("MutatingWebhookConfiguration/"+prefix+"-mutate", mwc, err)
	csr, err := cs.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
		ObjectMeta: om("", prefix+"-csr"),
		Spec: certificatesv1.CertificateSigningRequestSpec{Request: csrPEM(t, prefix), SignerName: certificatesv1.KubeAPIServerClientSignerName,
			Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}},
	}, metav1.CreateOptions{})
	must("CertificateSigningRequest/"+prefix+"-csr", csr, err)
	return s
}

func csrPEM(t *testing.T, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// find returns the object of kind, namespace and name, or nil.
func find(inv *Inventory, kind, ns, name string) *Object {
	for _, o := range inv.Objects {
		if o.Kind == kind && o.Namespace == ns && o.Name == name {
			return o
		}
	}
	return nil
}

// recorder keeps every response body a client receives.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	rt     http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, body)
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// containsValue reports whether data holds v as is or base64-encoded.
func containsValue(data []byte, v string) bool {
	return bytes.Contains(data, []byte(v)) || bytes.Contains(data, []byte(base64.StdEncoding.EncodeToString([]byte(v))))
}

func TestLoadClusterAdmin(t *testing.T) {
	c := testcluster.Shared(t)
	s := seed(t, c, "adm")
	cfg := c.Config()
	rec := &recorder{}
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { rec.rt = rt; return rec }
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	progress := map[string][]int{}
	inv, err := LoadCluster(t.Context(), cfg, ClusterOptions{
		Now:      func() time.Time { return now },
		Progress: func(r string, n int) { progress[r] = append(progress[r], n) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Cluster == nil || inv.Cluster.Server != cfg.Host || !inv.Cluster.CollectedAt.Equal(now) || inv.Cluster.Version == "" {
		t.Errorf("cluster = %+v", inv.Cluster)
	}
	t.Logf("server version %s, %d objects", inv.Cluster.Version, len(inv.Objects))
	if len(inv.Cluster.NotAssessed) > 0 {
		t.Errorf("not assessed as admin: %+v", inv.Cluster.NotAssessed)
	}
	if len(inv.Notes) > 0 {
		t.Errorf("notes: %+v", inv.Notes)
	}

	want := []struct{ apiVersion, kind, ns, name string }{
		{"v1", "Namespace", "", s.shop},
		{"v1", "Namespace", "", s.ops},
		{"v1", "Pod", s.shop, "web-abc-1"},
		{"v1", "Pod", s.shop, "gone-1"},
		{"v1", "Pod", s.shop, "solo"},
		{"v1", "Pod", s.ops, "tool"},
		{"apps/v1", "Deployment", s.shop, "web"},
		{"apps/v1", "StatefulSet", s.shop, "db"},
		{"apps/v1", "DaemonSet", s.ops, "agent"},
		{"apps/v1", "ReplicaSet", s.shop, "web-abc"},
		{"v1", "ReplicationController", s.ops, "legacy"},
		{"batch/v1", "Job", s.ops, "once"},
		{"batch/v1", "CronJob", s.ops, "nightly"},
		{"v1", "Service", s.shop, "web"},
		{"v1", "ServiceAccount", s.shop, "web"},
		{"v1", "ServiceAccount", s.shop, "default"},
		{"v1", "Secret", s.shop, "web-token"},
		{"v1", "Secret", s.shop, "db-password"},
		{"v1", "ConfigMap", s.shop, "settings"},
		{"rbac.authorization.k8s.io/v1", "Role", s.shop, "reader"},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", s.shop, "reader"},
		{"rbac.authorization.k8s.io/v1", "ClusterRole", "", s.prefix + "-reader"},
		{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", s.prefix + "-reader"},
		{"networking.k8s.io/v1", "NetworkPolicy", s.shop, "deny-all"},
		{"v1", "Node", "", s.node},
		{"admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", s.prefix + "-validate"},
		{"admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "", s.prefix + "-mutate"},
		{"certificates.k8s.io/v1", "CertificateSigningRequest", "", s.prefix + "-csr"},
	}
	for _, w := range want {
		o := find(inv, w.kind, w.ns, w.name)
		if o == nil {
			t.Errorf("missing %s %s/%s", w.kind, w.ns, w.name)
			continue
		}
		if o.APIVersion != w.apiVersion || o.Typed == nil || o.Source.File != "" {
			t.Errorf("%s %s/%s: apiVersion %q, typed %T, source %+v", w.kind, w.ns, w.name, o.APIVersion, o.Typed, o.Source)
			continue
		}
		gvk := o.Typed.GetObjectKind().GroupVersionKind()
		if gvk.Kind != w.kind || gvk.GroupVersion().String() != w.apiVersion {
			t.Errorf("%s %s/%s: typed object's kind is %v", w.kind, w.ns, w.name, gvk)
		}
		if id, ok := s.uids[w.kind+"/"+w.name]; ok {
			if m, _ := o.Typed.(metav1.ObjectMetaAccessor); string(m.GetObjectMeta().GetUID()) != id {
				t.Errorf("%s %s/%s: uid %s, want %s", w.kind, w.ns, w.name, m.GetObjectMeta().GetUID(), id)
			}
			if o.Labels["app"] != w.name {
				t.Errorf("%s %s/%s: labels %v", w.kind, w.ns, w.name, o.Labels)
			}
		}
	}
	// Typed content came through: a pod's spec, a role's rules, the type
	// of a Secret.
	if p := find(inv, "Pod", s.shop, "solo"); p != nil {
		pod := p.Typed.(*corev1.Pod)
		if len(pod.Spec.Containers) != 1 || *pod.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation || pod.ManagedFields != nil {
			t.Errorf("pod = %+v", pod)
		}
		if PodOf(p) == nil {
			t.Errorf("PodOf(pod) = nil")
		}
	}
	if r := find(inv, "Role", s.shop, "reader"); r != nil && len(r.Typed.(*rbacv1.Role).Rules) != 1 {
		t.Errorf("role rules = %+v", r.Typed)
	}
	if o := find(inv, "Secret", s.shop, "web-token"); o != nil {
		sec := o.Typed.(*corev1.Secret)
		if sec.Type != corev1.SecretTypeServiceAccountToken || sec.Data != nil || sec.Annotations[corev1.ServiceAccountNameKey] != "web" {
			t.Errorf("secret = %+v", sec)
		}
	}
	if o := find(inv, "Secret", s.shop, "db-password"); o != nil {
		if sec := o.Typed.(*corev1.Secret); sec.Type != corev1.SecretTypeOpaque || len(sec.Annotations) != 0 || len(o.Annotations) != 0 {
			t.Errorf("secret = %+v, annotations %v", sec, o.Annotations)
		}
	}
	if o := find(inv, "ConfigMap", s.shop, "settings"); o != nil {
		if cm := o.Typed.(*corev1.ConfigMap); cm.Data != nil || cm.UID == "" {
			t.Errorf("configmap = %+v", cm)
		}
	}

	// No value is in the inventory, nor in anything the server sent.
	for _, o := range inv.Objects {
		data, err := json.Marshal(o.Typed)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(o.Raw)
		ann, _ := json.Marshal(o.Annotations)
		for _, v := range []string{tokenValue, configMapValue, appliedValue} {
			if containsValue(data, v) || containsValue(raw, v) || containsValue(ann, v) {
				t.Errorf("%s %s/%s holds the value %q", o.Kind, o.Namespace, o.Name, v)
			}
		}
	}
	if len(rec.bodies) == 0 {
		t.Fatal("no response recorded")
	}
	for _, b := range rec.bodies {
		for _, v := range []string{tokenValue, configMapValue} {
			if containsValue(b, v) {
				t.Errorf("a response carried the value %q", v)
			}
		}
	}

	// Order: kinds as clusterKinds, then namespace, then name.
	rank := map[string]int{}
	for i, k := range clusterKinds {
		rank[k.kind] = i
	}
	for i := 1; i < len(inv.Objects); i++ {
		a, b := inv.Objects[i-1], inv.Objects[i]
		if ka, kb := rank[a.Kind], rank[b.Kind]; ka > kb || ka == kb && (a.Namespace > b.Namespace || a.Namespace == b.Namespace && a.Name >= b.Name) {
			t.Errorf("objects out of order: %s %s/%s before %s %s/%s", a.Kind, a.Namespace, a.Name, b.Kind, b.Namespace, b.Name)
		}
	}
	for _, k := range clusterKinds {
		if len(progress[k.groupResource()]) == 0 {
			t.Errorf("no progress reported for %s", k.groupResource())
		}
	}

	// Each controller-owned pod is reported once, through its owner.
	for name, want := range map[string]bool{"web-abc-1": true, "gone-1": false, "solo": false} {
		if got := ControllerOwned(find(inv, "Pod", s.shop, name), inv); got != want {
			t.Errorf("ControllerOwned(pod %s) = %v, want %v", name, got, want)
		}
	}
	if !ControllerOwned(find(inv, "ReplicaSet", s.shop, "web-abc"), inv) {
		t.Errorf("ReplicaSet web-abc is not owned by its Deployment")
	}
}

// grant binds a new ClusterRole with rules to user, in namespace ns ("" for
// a ClusterRoleBinding).
func grant(t *testing.T, cs kubernetes.Interface, user, ns string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	ctx := t.Context()
	name := fmt.Sprintf("%s-%s-%d", user, ns, time.Now().UnixNano())
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}
	subj := []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: user}}
	var err error
	if ns == "" {
		_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, RoleRef: ref, Subjects: subj}, metav1.CreateOptions{})
	} else {
		_, err = cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, RoleRef: ref, Subjects: subj}, metav1.CreateOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
}

var listPods = rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}}

func TestLoadClusterNamespaceUser(t *testing.T) {
	c := testcluster.Shared(t)
	s := seed(t, c, "nsu")
	alice := s.prefix + "-alice"
	grant(t, c.Client(), alice, s.shop, listPods)
	c.WaitAllowed(t, alice, nil, authorizationv1.ResourceAttributes{Namespace: s.shop, Verb: "list", Resource: "pods"})
	cfg := c.As(alice)

	inv, err := LoadCluster(t.Context(), cfg, ClusterOptions{Namespace: s.shop})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range inv.Objects {
		got = append(got, o.Kind+" "+o.Namespace+"/"+o.Name)
	}
	want := []string{"Pod " + s.shop + "/gone-1", "Pod " + s.shop + "/solo", "Pod " + s.shop + "/web-abc-1"}
	if !slices.Equal(got, want) {
		t.Errorf("objects = %v, want %v", got, want)
	}
	byRes := map[string]NotAssessed{}
	for _, n := range inv.Cluster.NotAssessed {
		byRes[n.Resource] = n
		if !strings.HasPrefix(n.Reason, "forbidden: ") || !strings.Contains(n.Reason, `"`+alice+`"`) {
			t.Errorf("reason for %s: %q", n.Resource, n.Reason)
		}
	}
	for _, k := range clusterKinds {
		n, ok := byRes[k.groupResource()]
		if k.kind == "Pod" {
			if ok {
				t.Errorf("pods are not assessed: %+v", n)
			}
			continue
		}
		wantNS := ""
		if k.namespaced || k.kind == "Namespace" {
			wantNS = s.shop
		}
		if !ok || n.Namespace != wantNS {
			t.Errorf("%s: not-assessed entry %+v (found %v), want one in namespace %q", k.groupResource(), n, ok, wantNS)
		}
	}
	if !inv.Cluster.Assessed("pods") || inv.Cluster.Assessed("secrets") {
		t.Errorf("Assessed: pods %v, secrets %v", inv.Cluster.Assessed("pods"), inv.Cluster.Assessed("secrets"))
	}
}

func TestLoadClusterNamespaceFallback(t *testing.T) {
	// A user who may list namespaces, and pods in one of them only: all
	// namespaces are read one by one for pods.
	c := testcluster.Shared(t)
	s := seed(t, c, "fbk")
	bob := s.prefix + "-bob"
	grant(t, c.Client(), bob, "", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"list"}})
	grant(t, c.Client(), bob, s.ops, listPods)
	// Both grants must have reached the authorizer, not only the last one.
	c.WaitAllowed(t, bob, nil, authorizationv1.ResourceAttributes{Verb: "list", Resource: "namespaces"})
	c.WaitAllowed(t, bob, nil, authorizationv1.ResourceAttributes{Namespace: s.ops, Verb: "list", Resource: "pods"})
	cfg := c.As(bob)

	inv, err := LoadCluster(t.Context(), cfg, ClusterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods := inv.ByKind("Pod")
	if len(pods) != 1 || pods[0].Namespace != s.ops || pods[0].Name != "tool" {
		t.Errorf("pods = %v, want %s/tool", names(pods), s.ops)
	}
	if find(inv, "Namespace", "", s.shop) == nil {
		t.Errorf("namespace %s not read", s.shop)
	}
	podsNA := 0
	for _, n := range inv.Cluster.NotAssessed {
		switch n.Resource {
		case "pods":
			podsNA++
			if n.Namespace == "" || n.Namespace == s.ops {
				t.Errorf("pods not assessed in %q", n.Namespace)
			}
		case "secrets":
			if n.Namespace != "" {
				t.Errorf("secrets, forbidden everywhere, not assessed per namespace: %+v", n)
			}
		}
	}
	if nss := len(inv.ByKind("Namespace")); podsNA != nss-1 {
		t.Errorf("%d not-assessed entries for pods, want one per other namespace (%d)", podsNA, nss-1)
	}
}

func TestLoadClusterPagination(t *testing.T) {
	c := testcluster.Shared(t)
	s := seed(t, c, "pag")
	ctx := t.Context()
	for i := range 5 {
		name := fmt.Sprintf("extra-%d", i)
		if _, err := c.Client().CoreV1().Secrets(s.ops).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{"k": tokenValue}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Client().CoreV1().ConfigMaps(s.ops).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	key := func(inv *Inventory) []string {
		var out []string
		for _, o := range inv.Objects {
			out = append(out, o.Kind+" "+o.Namespace+"/"+o.Name)
		}
		return out
	}
	pages := map[string]int{}
	small, err := LoadCluster(ctx, c.Config(), ClusterOptions{PageSize: 2, Progress: func(r string, _ int) { pages[r]++ }})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := LoadCluster(ctx, c.Config(), ClusterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, want := key(small), key(whole)
	// Tests run one at a time, so nothing changed between the two reads.
	if !slices.Equal(got, want) {
		t.Errorf("paginated read differs:\n got %v\nwant %v", got, want)
	}
	seen := map[string]bool{}
	for _, k := range got {
		if seen[k] {
			t.Errorf("%s read twice", k)
		}
		seen[k] = true
	}
	for _, r := range []string{"secrets", "configmaps", "pods"} {
		n := len(small.ByKind(map[string]string{"secrets": "Secret", "configmaps": "ConfigMap", "pods": "Pod"}[r]))
		if want := (n + 1) / 2; pages[r] < want {
			t.Errorf("%s: %d pages for %d objects, want at least %d", r, pages[r], n, want)
		}
	}
}

func TestLoadClusterUnauthorizedReal(t *testing.T) {
	c := testcluster.Shared(t)
	cfg := c.Config()
	cfg.BearerToken = "not-a-token"
	_, err := LoadCluster(t.Context(), cfg, ClusterOptions{})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
}

func TestLoadClusterKubeconfig(t *testing.T) {
	// RESTConfig reads the harness's kubeconfig as kubectl would.
	c := testcluster.Shared(t)
	path := c.Kubeconfig(t)
	cfg, err := RESTConfig(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCluster(t.Context(), cfg, ClusterOptions{Namespace: "default"}); err != nil {
		t.Fatal(err)
	}
}

func TestLiveSnapshotRoundTrip(t *testing.T) {
	c := testcluster.Shared(t)
	seed(t, c, "snap")
	inv, err := LoadCluster(t.Context(), c.Config(), ClusterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSnapshot(&buf, inv); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{tokenValue, configMapValue, appliedValue} {
		if containsValue(buf.Bytes(), v) {
			t.Errorf("the snapshot holds the value %q", v)
		}
	}
	path := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSnapshot(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Notes) > 0 {
		t.Errorf("notes: %+v", got.Notes)
	}
	sameInventory(t, got, inv)
}

// LoadCluster with KubeletConfig reads each node's /configz through the
// API server's node proxy into a KubeletConfigz object, records why a node
// could not be asked, and keeps only the KubeProxyConfiguration of the kube-proxy ConfigMap.
func TestLoadClusterKubeletConfig(t *testing.T) {
	c := testcluster.Shared(t)
	ip := testcluster.ProxyableIP(t)
	cs := c.Client()
	ctx := t.Context()
	prefix := fmt.Sprintf("kc%d", seeds.Add(1))
	good := prefix + "-good"
	testcluster.KubeletNode(t, cs, good, ip, testcluster.FakeKubelet(t, ip, 0, `{"kubeletconfig":{"readOnlyPort":10255,"authentication":{"anonymous":{"enabled":true}}}}`))
	// A port nothing listens on: the listener is closed at once.
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	downPort := int32(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	down := prefix + "-down"
	testcluster.KubeletNode(t, cs, down, ip, downPort)
	notz := prefix + "-notz"
	testcluster.KubeletNode(t, cs, notz, ip, testcluster.FakeKubelet(t, ip, 0, `<html>not configz</html>`))

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system"}, Data: map[string]string{
		"config.conf":     "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmetricsBindAddress: 0.0.0.0:10249\n",
		"kubeconfig.conf": "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: " + configMapValue + "}}]\n",
	}}
	if _, err := cs.CoreV1().ConfigMaps("kube-system").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().ConfigMaps("kube-system").Delete(context.Background(), "kube-proxy", metav1.DeleteOptions{})
	})

	inv, err := LoadCluster(ctx, c.Config(), ClusterOptions{KubeletConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := func(node string) map[string]any {
		t.Helper()
		o := find(inv, KubeletConfigzKind, "", node)
		if o == nil || o.APIVersion != KubeletConfigzAPIVersion {
			t.Fatalf("no KubeletConfigz for %s", node)
		}
		return o.Raw
	}
	kc, _ := rec(good)["kubeletconfig"].(map[string]any)
	if kc["readOnlyPort"] != float64(10255) || rec(good)["error"] != nil {
		t.Errorf("%s: %v", good, rec(good))
	}
	t.Logf("unreachable kubelet: %v", rec(down)["error"])
	if e, _ := rec(down)["error"].(string); !strings.HasPrefix(e, "unreachable: ") || rec(down)["kubeletconfig"] != nil {
		t.Errorf("%s: %v", down, rec(down))
	}
	if e, _ := rec(notz)["error"].(string); !strings.Contains(e, "not a kubelet configz document") {
		t.Errorf("%s: %v", notz, rec(notz))
	}
	o := find(inv, "ConfigMap", "kube-system", "kube-proxy")
	got, ok := o.Typed.(*corev1.ConfigMap)
	if !ok || len(got.Data) != 1 || !strings.Contains(got.Data["config.conf"], "0.0.0.0:10249") {
		t.Errorf("kube-proxy ConfigMap: %+v", o.Typed)
	}
	var snap bytes.Buffer
	if err := WriteSnapshot(&snap, inv); err != nil {
		t.Fatal(err)
	}
	if containsValue(snap.Bytes(), configMapValue) {
		t.Error("the snapshot carries a ConfigMap value other than kube-proxy's configuration")
	}
	if !strings.Contains(snap.String(), "kind: KubeletConfigz") {
		t.Error("the snapshot lacks the KubeletConfigz records")
	}

	// Without the option, no kubelet is asked.
	inv, err = LoadCluster(ctx, c.Config(), ClusterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.ByKind(KubeletConfigzKind)) != 0 {
		t.Error("kubelets asked without KubeletConfig")
	}

	// A user who may read nodes but not nodes/proxy.
	auditor := prefix + "-auditor"
	grant(t, cs, auditor, "", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"list", "get"}})
	c.WaitAllowed(t, auditor, nil, authorizationv1.ResourceAttributes{Verb: "list", Resource: "nodes"})
	inv, err = LoadCluster(ctx, c.As(auditor), ClusterOptions{KubeletConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("forbidden kubelet: %v", find(inv, KubeletConfigzKind, "", good).Raw["error"])
	if e, _ := find(inv, KubeletConfigzKind, "", good).Raw["error"].(string); !strings.HasPrefix(e, "forbidden: ") || !strings.Contains(e, "nodes/proxy") {
		t.Errorf("forbidden node: %q", e)
	}
}
