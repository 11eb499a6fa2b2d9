package admission

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
	"github.com/rampart-dev/rampart/internal/corpus"
	"github.com/rampart-dev/rampart/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"
)

// fullDecode is the scheme's decode of the whole object.
func fullDecode(t testing.TB, gvk schema.GroupVersionKind, raw []byte) (runtime.Object, error) {
	t.Helper()
	obj, err := scheme.New(gvk)
	if err != nil {
		t.Fatal(err)
	}
	return obj, sigsjson.UnmarshalCaseSensitivePreserveInts(raw, obj)
}

// withoutManagedAndStatus clears what the spec decoders leave out.
func withoutManagedAndStatus(t testing.TB, obj runtime.Object) runtime.Object {
	t.Helper()
	m, err := meta.Accessor(obj)
	if err != nil {
		t.Fatal(err)
	}
	m.SetManagedFields(nil)
	if st := reflect.ValueOf(obj).Elem().FieldByName("Status"); st.IsValid() {
		st.SetZero()
	}
	return obj
}

// workloadsOfEveryKind wraps the typical Deployment's pod template, managed
// fields and status in every kind that runs pods.
// workloadsAndCorpus are workloadsOfEveryKind and the objects of a small
// generated corpus.
func workloadsAndCorpus(t testing.TB) []runtime.Object {
	t.Helper()
	objs := workloadsOfEveryKind()
	dir := t.TempDir()
	if _, err := corpus.Write(dir, 5, 60); err != nil {
		t.Fatal(err)
	}
	for _, o := range inventory.LoadFiles([]string{dir}, inventory.LoadOptions{}).Objects {
		objs = append(objs, o.Typed)
	}
	return objs
}

func workloadsOfEveryKind() []runtime.Object {
	d := admissiontest.TypicalDeployment("web")
	tmpl, om := d.Spec.Template, d.ObjectMeta
	tm := func(gv schema.GroupVersion, kind string) metav1.TypeMeta {
		return metav1.TypeMeta{APIVersion: gv.String(), Kind: kind}
	}
	return []runtime.Object{
		d,
		&corev1.Pod{TypeMeta: tm(corev1.SchemeGroupVersion, "Pod"), ObjectMeta: om, Spec: tmpl.Spec,
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.7", Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}},
		&corev1.ReplicationController{TypeMeta: tm(corev1.SchemeGroupVersion, "ReplicationController"), ObjectMeta: om,
			Spec: corev1.ReplicationControllerSpec{Selector: map[string]string{"app": "web"}, Template: &tmpl}, Status: corev1.ReplicationControllerStatus{Replicas: 2}},
		&appsv1.StatefulSet{TypeMeta: tm(appsv1.SchemeGroupVersion, "StatefulSet"), ObjectMeta: om,
			Spec: appsv1.StatefulSetSpec{Selector: d.Spec.Selector, Template: tmpl, ServiceName: "web"}, Status: appsv1.StatefulSetStatus{Replicas: 3, CurrentRevision: "web-1"}},
		&appsv1.DaemonSet{TypeMeta: tm(appsv1.SchemeGroupVersion, "DaemonSet"), ObjectMeta: om,
			Spec: appsv1.DaemonSetSpec{Selector: d.Spec.Selector, Template: tmpl}, Status: appsv1.DaemonSetStatus{NumberReady: 4}},
		&appsv1.ReplicaSet{TypeMeta: tm(appsv1.SchemeGroupVersion, "ReplicaSet"), ObjectMeta: om,
			Spec: appsv1.ReplicaSetSpec{Selector: d.Spec.Selector, Template: tmpl}, Status: appsv1.ReplicaSetStatus{Replicas: 2}},
		&batchv1.Job{TypeMeta: tm(batchv1.SchemeGroupVersion, "Job"), ObjectMeta: om,
			Spec: batchv1.JobSpec{Template: tmpl}, Status: batchv1.JobStatus{Succeeded: 1}},
		&batchv1.CronJob{TypeMeta: tm(batchv1.SchemeGroupVersion, "CronJob"), ObjectMeta: om,
			Spec:   batchv1.CronJobSpec{Schedule: "*/5 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}}},
			Status: batchv1.CronJobStatus{LastScheduleTime: d.ManagedFields[0].Time}},
	}
}

// The spec decoders give what the scheme gives, less managed fields and
// status, for every kind they cover, on typical objects and on the corpus.
func TestSpecDecodersMatchTheScheme(t *testing.T) {
	objs := workloadsAndCorpus(t)
	covered := map[schema.GroupVersionKind]bool{}
	for _, obj := range objs {
		gvk := obj.GetObjectKind().GroupVersionKind()
		raw, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fullDecode(t, gvk, raw)
		if err != nil {
			t.Fatal(err)
		}
		want = withoutManagedAndStatus(t, want)
		got, err := decodeTyped(gvk, raw)
		if err != nil {
			t.Fatalf("%s: %v", gvk.Kind, err)
		}
		if !equality.Semantic.DeepEqual(got, want) || !reflect.DeepEqual(got.GetObjectKind(), want.GetObjectKind()) {
			t.Errorf("%s: spec decoder gave\n%+v\nthe scheme, cleared,\n%+v", gvk.Kind, got, want)
		}
		covered[gvk] = true
	}
	for gvk := range specKinds {
		if !covered[gvk] {
			t.Errorf("no test object of kind %s", gvk)
		}
	}
	if m, _ := meta.Accessor(objs[0]); len(m.GetManagedFields()) == 0 {
		t.Error("the typical Deployment has no managed fields: the test proves nothing about skipping them")
	}
}

// Bad JSON is refused by the spec decoders as by the scheme.
func TestSpecDecodersRefuseWhatTheSchemeRefuses(t *testing.T) {
	gvk := appsv1.SchemeGroupVersion.WithKind("Deployment")
	for _, raw := range []string{
		`{"spec":`,
		`{"spec":{"replicas":"two"}}`,
		`{"metadata":{"labels":[]}}`,
		`{"metadata":{"managedFields":[}}`,
		`{"status":{"replicas":1}`,
		`[]`,
	} {
		if _, err := decodeTyped(gvk, []byte(raw)); err == nil {
			t.Errorf("%s: decoded", raw)
		}
	}
}

// FuzzSpecDecoders: whatever the scheme decodes, the Deployment decoder
// decodes the same, less managed fields and status.
func FuzzSpecDecoders(f *testing.F) {
	for _, obj := range workloadsOfEveryKind()[:2] {
		raw, err := json.Marshal(obj)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{"metadata":{"managedFields":7,"name":"x"},"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}},"status":"?"}`))
	f.Add([]byte(`{"metadata":{"ManagedFields":[{"manager":"x"}]},"Spec":{}}`))
	// null, and then a value, where a field given twice merges.
	f.Add([]byte(`{"spec":null,"spec":{"replicas":2}}`))
	f.Add([]byte(`{"spec":{"replicas":2},"spec":null}`))
	f.Add([]byte(`{"metadata":null,"metadata":{"name":"a"},"status":null}`))
	f.Add([]byte(`{"metadata":{"name":"a"},"metadata":null,"spec":{"template":null,"template":{"spec":{"containers":[{"name":"a"}]}}}}`))
	gvk := appsv1.SchemeGroupVersion.WithKind("Deployment")
	f.Fuzz(func(t *testing.T, raw []byte) {
		want, err := fullDecode(t, gvk, raw)
		got, gotErr := decodeTyped(gvk, raw)
		if err != nil {
			return // the spec decoder may accept a bad status it skips
		}
		if gotErr != nil {
			t.Fatalf("scheme decoded, spec decoder failed: %v", gotErr)
		}
		if want = withoutManagedAndStatus(t, want); !equality.Semantic.DeepEqual(got, want) {
			t.Fatalf("spec decoder gave\n%+v\nthe scheme, cleared,\n%+v", got, want)
		}
	})
}
