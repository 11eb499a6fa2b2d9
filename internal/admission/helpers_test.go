package admission

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/rampart-dev/rampart/internal/policy"
	"github.com/rampart-dev/rampart/internal/workload"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// memLog keeps decisions in memory.
type memLog struct {
	mu sync.Mutex
	ds []Decision
}

func (m *memLog) Record(d Decision) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ds = append(m.ds, d)
}

func (m *memLog) all() []Decision {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Decision(nil), m.ds...)
}

func mustPolicy(t testing.TB, doc string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte("apiVersion: rampart.dev/v1alpha1\nkind: Policy\n"+doc), workload.KnownIDs())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func static(p *policy.Policy) func() *policy.Policy { return func() *policy.Policy { return p } }

// deployment returns a typical Deployment; mutate adjusts its pod spec.
func deployment(name string, mutate func(*corev1.PodSpec)) *appsv1.Deployment {
	yes, no := true, false
	uid := int64(10001)
	replicas := int32(2)
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": name, "team": "web"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: &no,
					ServiceAccountName:           name,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:            "app",
						Image:           "registry.example.com/shop/app@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
						ImagePullPolicy: corev1.PullIfNotPresent,
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes, Privileged: &no,
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						Resources: corev1.ResourceRequirements{
							Limits:   corev1.ResourceList{"cpu": mustQ("500m"), "memory": mustQ("256Mi")},
							Requests: corev1.ResourceList{"cpu": mustQ("100m"), "memory": mustQ("128Mi")},
						},
						LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstrFrom(8080)}}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstrFrom(8080)}}},
					}},
				},
			},
		},
	}
	if mutate != nil {
		mutate(&d.Spec.Template.Spec)
	}
	return d
}

func privileged(s *corev1.PodSpec) {
	yes := true
	s.Containers[0].SecurityContext.Privileged = &yes
}

// post sends body to h and decodes the AdmissionReview answer.
func post(t testing.TB, h http.Handler, body []byte) (*admissionv1.AdmissionResponse, int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, rec.Code, rec.Body.String()
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer is not an AdmissionReview: %v: %s", err, rec.Body.String())
	}
	if out.Response == nil {
		t.Fatalf("answer has no response: %s", rec.Body.String())
	}
	return out.Response, rec.Code, ""
}

func mustQ(s string) resource.Quantity { return resource.MustParse(s) }

func intstrFrom(p int) intstr.IntOrString { return intstr.FromInt32(int32(p)) }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func policySubjects(users ...string) policy.Subjects { return policy.Subjects{Users: users} }
