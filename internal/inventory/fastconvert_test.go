package inventory

import (
	"reflect"
	"testing"

	"github.com/rampart-dev/rampart/internal/corpus"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
)

// convTargets are the types the converter comparison decodes into: whole
// objects, and pieces of them so that small inputs reach deep fields.
func convTargets() []any {
	return []any{
		&corev1.Pod{}, &appsv1.Deployment{}, &batchv1.CronJob{}, &corev1.Service{},
		&corev1.ConfigMap{}, &corev1.Secret{}, &rbacv1.ClusterRole{}, &networkingv1.NetworkPolicy{},
		&admissionregistrationv1.ValidatingWebhookConfiguration{},
		&corev1.PodSpec{}, &corev1.Container{}, &corev1.SecurityContext{}, &corev1.Probe{},
		&corev1.ResourceRequirements{}, &corev1.Volume{}, &corev1.EnvVar{}, &corev1.ServicePort{},
	}
}

// compareConverters converts raw into every target with the fast plans and
// with FromUnstructured, and fails t when the fast plans succeed where
// FromUnstructured fails or gives another object. It returns how many
// targets the fast plans converted.
func compareConverters(t *testing.T, raw map[string]any) int {
	t.Helper()
	n := 0
	for _, target := range convTargets() {
		typ := reflect.TypeOf(target).Elem()
		fast := reflect.New(typ)
		if !convPlanFor(typ).conv(raw, fast.UnsafePointer()) {
			continue
		}
		n++
		ref := reflect.New(typ)
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%v: fast plan succeeded, FromUnstructured panicked: %v\ninput %#v", typ, r, raw)
				}
			}()
			err = kruntime.DefaultUnstructuredConverter.FromUnstructured(plainCopy(raw).(map[string]any), ref.Interface())
		}()
		if err != nil {
			t.Fatalf("%v: fast plan succeeded, FromUnstructured failed: %v\ninput %#v", typ, err, raw)
		}
		if !reflect.DeepEqual(fast.Interface(), ref.Interface()) {
			t.Fatalf("%v: objects differ\ninput %#v\nfast: %#v\nref:  %#v", typ, raw, fast.Interface(), ref.Interface())
		}
	}
	return n
}

func TestFastConvertCases(t *testing.T) {
	cases := []string{
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {a: b, c: null}, annotations: {}}\nspec:\n  containers:\n  - name: c\n    image: x\n    ports: [{containerPort: 80, protocol: TCP}]\n    resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 1, memory: 1.5Gi, nvidia.com/gpu: \"2\"}}\n    livenessProbe: {httpGet: {port: http, path: /}, periodSeconds: 10}\n    readinessProbe: {tcpSocket: {port: 8080}}\n",
		"spec:\n  containers: []\n  volumes: null\n  hostNetwork: true\n  terminationGracePeriodSeconds: 30.0\n  activeDeadlineSeconds: 1.5\n",
		"containers:\n- name: c\n  ports:\n  - containerPort: 99999999999\n  - containerPort: -1\n  - containerPort: \"80\"\n",
		"replicas: 3\nspec: {replicas: 2.0}\n",
		"image: 5\nname: true\n",
		"resources: {requests: {cpu: \" 1\"}}\n",
		"resources: {requests: {cpu: 1.5}}\n",
		"resources: {requests: {cpu: nope}}\n",
		"resources: {requests: {cpu: -1}}\n",
		"resources: {requests: {cpu: 1e3}}\n",
		"data: {a: 1}\n",
		"data: {a: YQ==}\nstringData: {b: c}\n",
		"metadata: {creationTimestamp: 2024-01-01T00:00:00Z, generation: 3}\n",
		"metadata: {creationTimestamp: null, ownerReferences: [{apiVersion: v1, kind: X, name: y, uid: z, controller: true}]}\n",
		"securityContext: {capabilities: {add: [NET_ADMIN], drop: [ALL]}, runAsUser: 0, privileged: false}\n",
		"env: [{name: A, value: \"1\"}, {name: B, valueFrom: {secretKeyRef: {name: s, key: k}}}]\n",
		"rules: [{apiGroups: [\"\"], resources: [\"*\"], verbs: [get]}]\n",
		"webhooks: [{name: w, clientConfig: {caBundle: Zm9v}, sideEffects: None}]\n",
		"spec: {ports: [{port: 80, targetPort: 8080}, {port: 443, targetPort: https}]}\n",
		"port: {a: 1}\nhttpGet: {port: [1]}\n",
		"name: [a]\n",
		"TypeMeta: {kind: x}\nObjectMeta: {name: y}\n",
		"-: x\n",
	}
	converted := 0
	for _, c := range cases {
		raw, _, err := newFastDecoder().decode([]byte(c), 0, DefaultLimits)
		if err != nil || raw == nil {
			raw, _, err = yamlDecoder{}.decode([]byte(c), 0, DefaultLimits)
		}
		if err != nil {
			t.Fatalf("%q: %v", c, err)
		}
		converted += compareConverters(t, raw)
	}
	// Most cases fit some target; the comparison must not be vacuous.
	if converted < 2*len(cases) {
		t.Errorf("only %d conversions by the fast plans", converted)
	}
}

// TestFastConvertCorpus checks that the benchmark corpus and the examples
// never need FromUnstructured, and convert to the same objects.
func TestFastConvertCorpus(t *testing.T) {
	dir := t.TempDir()
	if _, err := corpus.Write(dir, 30, 300); err != nil {
		t.Fatal(err)
	}
	// Each worker's decoder reads many multi-document files in turn, so
	// an object keeping any of the decoder's reused memory would differ.
	fast := LoadFiles([]string{dir, "../../examples"}, LoadOptions{Workers: 1})
	restore := setDecoder("yaml")
	ref := LoadFiles([]string{dir, "../../examples"}, LoadOptions{Workers: 1})
	restore()
	if len(fast.Objects) < 300 || len(fast.Objects) != len(ref.Objects) {
		t.Fatalf("%d objects with the fast decoder, %d with yaml.v3", len(fast.Objects), len(ref.Objects))
	}
	if !reflect.DeepEqual(fast.Notes, ref.Notes) {
		t.Errorf("notes differ:\nfast: %v\nyaml: %v", fast.Notes, ref.Notes)
	}
	typed := 0
	for i, o := range fast.Objects {
		r := ref.Objects[i]
		if o.Typed != nil {
			typed++
		}
		if !reflect.DeepEqual(o.Typed, r.Typed) || !sameValue(o.Raw, r.Raw) || !reflect.DeepEqual(o.Labels, r.Labels) ||
			diffPositions(o.Source.pos, r.Source.pos) != "" {
			t.Errorf("%s %s/%s (%s) differs between the decoders", o.Kind, o.Namespace, o.Name, o.Source.File)
		}
	}
	if typed < 300 {
		t.Errorf("only %d typed objects", typed)
	}
}
