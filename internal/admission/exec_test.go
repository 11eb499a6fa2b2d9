package admission

import (
	"context"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakePods is a PodSource over a map.
type fakePods struct {
	pods   map[string]PodFacts
	synced bool
}

func (f fakePods) Pod(_ context.Context, ns, name string) (PodFacts, bool) {
	p, ok := f.pods[ns+"/"+name]
	return p, ok
}
func (f fakePods) Synced() bool { return f.synced }

func TestExec(t *testing.T) {
	pods := fakePods{synced: true, pods: map[string]PodFacts{
		"app/plain":    {Labels: map[string]string{"app": "web"}},
		"app/priv":     {Privileged: true},
		"app/hostnet":  {HostNetwork: true},
		"app/hostpid":  {HostPID: true},
		"app/hostipc":  {HostIPC: true},
		"app/database": {Labels: map[string]string{"tier": "db"}},
	}}
	connect := func(sub, name string) admissiontest.Request {
		return admissiontest.Request{Kind: metav1.GroupVersionKind{Version: "v1", Kind: "PodExecOptions"}, Resource: "pods", SubResource: sub,
			Namespace: "app", Name: name, Operation: admissionv1.Connect, User: "bob", Groups: []string{"dev"}, Object: map[string]any{"kind": "PodExecOptions", "apiVersion": "v1"}}
	}
	ephemeral := func(old *corev1.Pod) admissiontest.Request {
		return admissiontest.Request{Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Resource: "pods", SubResource: "ephemeralcontainers",
			Namespace: "app", Name: old.Name, Operation: admissionv1.Update, User: "bob", Object: old, OldObject: old}
	}
	yes := true
	privPod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "priv", Namespace: "app"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}}}
	plainPod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "plain", Namespace: "app"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}

	tests := []struct {
		name    string
		policy  string
		pods    PodSource
		req     admissiontest.Request
		allowed bool
		message string
		warning string
	}{
		{name: "exec into plain pod", req: connect("exec", "plain"), allowed: true},
		{name: "exec into privileged pod", req: connect("exec", "priv"), message: "exec into pod app/priv is not allowed: the pod is privileged"},
		{name: "attach to privileged pod", req: connect("attach", "priv"), message: "attach into pod app/priv"},
		{name: "port-forward to hostNetwork pod", req: connect("portforward", "hostnet"), message: "uses the host's network"},
		{name: "hostPID", req: connect("exec", "hostpid"), message: "shares the host's PID namespace"},
		{name: "hostIPC", req: connect("exec", "hostipc"), message: "shares the host's IPC namespace"},
		{name: "hostIPC not in deny list", policy: "webhook: {exec: {deny: [privileged]}}", req: connect("exec", "hostipc"), allowed: true},
		{name: "protected by label", policy: "webhook: {exec: {podSelector: {matchLabels: {tier: db}}}}", req: connect("exec", "database"), message: "matches the protected pod selector tier=db"},
		{name: "label not protected by default", req: connect("exec", "database"), allowed: true},
		{name: "exempt group", policy: "webhook: {exec: {exempt: {groups: [dev]}}}", req: connect("exec", "priv"), allowed: true},
		{name: "warn mode", policy: "webhook: {exec: {mode: warn}}", req: connect("exec", "priv"), allowed: true, warning: "the pod is privileged"},
		{name: "audit mode", policy: "webhook: {exec: {mode: audit}}", req: connect("exec", "priv"), allowed: true},
		{name: "unknown pod fails closed", req: connect("exec", "ghost"), message: "pod app/ghost is not known to the webhook yet"},
		{name: "unsynced cache fails closed", pods: fakePods{}, req: connect("exec", "plain"), message: "cache has not synced"},
		{name: "other subresource", req: connect("log", "priv"), allowed: true},
		{name: "ephemeral container into privileged pod", req: ephemeral(privPod), message: "ephemeral containers into pod app/priv"},
		{name: "ephemeral container into plain pod", req: ephemeral(plainPod), allowed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPolicy(t, tt.policy)
			src := PodSource(pods)
			if tt.pods != nil {
				src = tt.pods
			}
			log := &memLog{}
			ep := &reviewEndpoint{kind: "exec", handler: NewExec(static(p), src, log), budget: DefaultBudget, fail: FailClosed}
			resp, code, body := post(t, ep, admissiontest.Review(t, tt.req))
			if resp == nil {
				t.Fatalf("status %d: %s", code, body)
			}
			if resp.Allowed != tt.allowed {
				t.Fatalf("allowed = %v, want %v (%+v)", resp.Allowed, tt.allowed, resp.Result)
			}
			if tt.message != "" && !strings.Contains(resp.Result.Message, tt.message) {
				t.Errorf("message %q, want %q", resp.Result.Message, tt.message)
			}
			if tt.warning != "" && (len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], tt.warning)) {
				t.Errorf("warnings %q, want %q", resp.Warnings, tt.warning)
			}
			ds := log.all()
			if tt.message != "" && strings.Contains(tt.message, "not allowed") && (len(ds) != 1 || ds[0].Kind != "exec" || ds[0].Result != "denied" || ds[0].User != "bob") {
				t.Errorf("decisions %+v, want one exec denial by bob", ds)
			}
		})
	}
}

func TestFactsOf(t *testing.T) {
	yes := true
	tests := []struct {
		name string
		spec corev1.PodSpec
		want PodFacts
	}{
		{"plain", corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}, PodFacts{}},
		{"privileged init container", corev1.PodSpec{InitContainers: []corev1.Container{{SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}}, PodFacts{Privileged: true}},
		{"privileged ephemeral container", corev1.PodSpec{EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}}}, PodFacts{Privileged: true}},
		{"windows host process", corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: &yes}}}, PodFacts{Privileged: true}},
		{"host namespaces", corev1.PodSpec{HostPID: true, HostIPC: true, HostNetwork: true}, PodFacts{HostPID: true, HostIPC: true, HostNetwork: true}},
	}
	for _, tt := range tests {
		got := FactsOf(&corev1.Pod{Spec: tt.spec})
		if got.Privileged != tt.want.Privileged || got.HostPID != tt.want.HostPID || got.HostIPC != tt.want.HostIPC || got.HostNetwork != tt.want.HostNetwork {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
