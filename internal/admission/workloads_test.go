package admission

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

var deploymentKind = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}

func TestCompliantDeploymentHasNoFindings(t *testing.T) {
	// The fixture must be clean, or every case below proves less.
	p := mustPolicy(t, "trustedRegistries: [registry.example.com/]\nwebhook: {admission: {mode: block}}\n")
	body := admissiontest.Review(t, admissiontest.Request{Kind: deploymentKind, Resource: "deployments", Group: "apps", Namespace: "shop", Operation: admissionv1.Create, Object: deployment("web", nil)})
	resp, _, _ := post(t, &reviewEndpoint{kind: "workloads", handler: NewWorkloads(static(p), nil).Handler(), decode: decodeWorkloadReview, budget: DefaultBudget}, body)
	if !resp.Allowed || len(resp.Warnings) > 0 {
		t.Fatalf("compliant deployment: allowed %v, warnings %v, result %+v", resp.Allowed, resp.Warnings, resp.Result)
	}
}

func TestWorkloadModes(t *testing.T) {
	tests := []struct {
		name      string
		policy    string
		namespace string
		op        admissionv1.Operation
		mutate    func(*corev1.PodSpec)
		annotate  map[string]string
		labels    map[string]string
		// want
		allowed  bool
		message  string // in the denial
		warning  string // in a warning
		recorded string // result of the decision recorded, "" for none
	}{
		{name: "compliant", policy: "webhook: {admission: {mode: block}}", op: admissionv1.Create, allowed: true},
		{name: "privileged blocked", policy: "webhook: {admission: {checks: {privileged-container: block}}}", op: admissionv1.Create, mutate: privileged,
			allowed: false, message: "privileged-container: container \"app\": container runs privileged", recorded: "denied"},
		{name: "privileged warned by default", policy: "", op: admissionv1.Create, mutate: privileged,
			allowed: true, warning: "rampart: privileged-container:", recorded: "warned"},
		{name: "namespace override audits", policy: "webhook: {admission: {mode: block, overrides: [{namespaces: [sho*], mode: audit}]}}", op: admissionv1.Create, mutate: privileged,
			allowed: true, recorded: "audited"},
		{name: "override in other namespace", policy: "webhook: {admission: {mode: block, overrides: [{namespaces: [dev], mode: audit}]}}", op: admissionv1.Create, mutate: privileged,
			allowed: false, message: "container runs privileged", recorded: "denied"},
		{name: "update judged", policy: "webhook: {admission: {mode: block}}", op: admissionv1.Update, mutate: privileged,
			allowed: false, message: "container runs privileged", recorded: "denied"},
		{name: "delete allowed", policy: "webhook: {admission: {mode: block}}", op: admissionv1.Delete, mutate: privileged, allowed: true},
		{name: "annotation exempts", policy: "webhook: {admission: {mode: block}}", op: admissionv1.Create, mutate: privileged,
			annotate: map[string]string{"rampart.dev/ignore": "privileged-container", "rampart.dev/ignore-reason": "CNI agent"}, allowed: true},
		{name: "policy exemption", policy: "webhook: {admission: {mode: block}}\nexemptions: [{checks: [privileged-container], namespaces: [shop], reason: legacy}]", op: admissionv1.Create, mutate: privileged, allowed: true},
		{name: "disabled check", policy: "checks: {disable: [privileged-container]}\nwebhook: {admission: {mode: block}}", op: admissionv1.Create, mutate: privileged, allowed: true},
		{name: "untrusted image blocked", policy: "trustedRegistries: [ghcr.io/acme/]\nwebhook: {admission: {checks: {untrusted-registry: block}}}", op: admissionv1.Create,
			allowed: false, message: "untrusted-registry:", recorded: "denied"},
		{name: "missing label blocked", policy: "webhook: {labels: [{kinds: [Deployment], required: [team, cost-center], mode: block}]}", op: admissionv1.Create,
			allowed: false, message: "lacks required labels cost-center", recorded: "denied"},
		{name: "label rule other kind", policy: "webhook: {labels: [{kinds: [StatefulSet], required: [cost-center], mode: block}]}", op: admissionv1.Create, allowed: true},
		{name: "labels present", policy: "webhook: {labels: [{required: [team], mode: block}]}", op: admissionv1.Create, allowed: true},
		{name: "label rule warns by default", policy: "webhook: {labels: [{required: [owner]}]}", op: admissionv1.Create, allowed: true, warning: "lacks required labels owner", recorded: "warned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPolicy(t, tt.policy)
			log := &memLog{}
			d := deployment("web", tt.mutate)
			d.Annotations = tt.annotate
			req := admissiontest.Request{Kind: deploymentKind, Resource: "deployments", Group: "apps", Namespace: "shop", Name: "web", Operation: tt.op, User: "alice", Groups: []string{"dev"}}
			switch tt.op {
			case admissionv1.Create:
				req.Object = d
			case admissionv1.Update:
				req.Object, req.OldObject = d, deployment("web", nil)
			case admissionv1.Delete:
				req.OldObject = d
			}
			resp, code, body := post(t, &reviewEndpoint{kind: "workloads", handler: NewWorkloads(static(p), log).Handler(), decode: decodeWorkloadReview, budget: DefaultBudget}, admissiontest.Review(t, req))
			if resp == nil {
				t.Fatalf("status %d: %s", code, body)
			}
			if resp.UID != "uid-1" {
				t.Errorf("uid %q not echoed", resp.UID)
			}
			if resp.Allowed != tt.allowed {
				t.Fatalf("allowed = %v, want %v (result %+v, warnings %v)", resp.Allowed, tt.allowed, resp.Result, resp.Warnings)
			}
			if tt.message != "" && (resp.Result == nil || !strings.Contains(resp.Result.Message, tt.message) || resp.Result.Code != 403) {
				t.Errorf("denial %+v, want 403 containing %q", resp.Result, tt.message)
			}
			if tt.warning != "" && !strings.Contains(strings.Join(resp.Warnings, "\n"), tt.warning) {
				t.Errorf("warnings %q, want one containing %q", resp.Warnings, tt.warning)
			}
			if tt.warning == "" && len(resp.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", resp.Warnings)
			}
			ds := log.all()
			if tt.recorded == "" {
				if len(ds) > 0 {
					t.Errorf("unexpected decisions %+v", ds)
				}
				return
			}
			if len(ds) == 0 || ds[0].Result != tt.recorded || ds[0].User != "alice" || ds[0].Namespace != "shop" || ds[0].Name != "web" || ds[0].Resource != "deployments.apps" || ds[0].Rule == "" {
				t.Errorf("decisions %+v, want a %s record for alice on shop/web", ds, tt.recorded)
			}
		})
	}
}

func TestDecodeObject(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "job-"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}
	req := &admissionv1.AdmissionRequest{Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Namespace: "batch"}
	o, err := DecodeObject(req, runtime.RawExtension{Raw: mustJSON(t, pod)})
	if err != nil {
		t.Fatal(err)
	}
	if o.Namespace != "batch" || o.Name != "job-*" || o.Kind != "Pod" || o.APIVersion != "v1" {
		t.Errorf("object %+v: want namespace from the request and the generateName", o)
	}
	if _, ok := o.Typed.(*corev1.Pod); !ok {
		t.Errorf("typed %T", o.Typed)
	}
	unknown := &admissionv1.AdmissionRequest{Kind: metav1.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}}
	if _, err := DecodeObject(unknown, runtime.RawExtension{Raw: []byte(`{}`)}); err == nil || !strings.Contains(err.Error(), ErrNotHandled.Error()) {
		t.Errorf("unknown kind: %v, want ErrNotHandled", err)
	}
	if _, err := DecodeObject(req, runtime.RawExtension{Raw: []byte(`{"spec": {"containers": 7}}`)}); err == nil {
		t.Error("a pod with containers: 7 decoded")
	}
}
