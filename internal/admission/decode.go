package admission

import (
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"
)

// The objects the API server sends carry metadata.managedFields and status,
// often half of their bytes, and decoding them (field sets, timestamps
// parsed one by one) was a third of the cost of decoding a Deployment.
// No workload check reads either, so objects that run pods are decoded
// without them: the JSON is still read and validated whole, but those two
// values are skipped rather than built. TestSpecDecodersMatchTheScheme holds
// the result equal to a full decode with the two fields cleared.

// ignored takes any JSON value and keeps nothing.
type ignored struct{}

func (*ignored) UnmarshalJSON([]byte) error { return nil }

// UnmarshalJSONFrom is UnmarshalJSON for encoding/json/v2: the value is
// read, and so validated, whole.
func (*ignored) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	_, err := dec.ReadValue()
	return err
}

// metaWire is ObjectMeta with managedFields ignored: a field at the outer
// level wins over the embedded one of the same JSON name. The metadata is
// decoded in place, into the object's own.
type metaWire struct {
	*metav1.ObjectMeta `json:",inline"`
	ManagedFields      ignored `json:"managedFields"`
}

// specWire is an object with spec S and no status, decoded in place into
// obj's metadata and spec. It is the decode target both of a raw object
// and, in decodeWorkloadReview, of the object inside a review, read in the
// same pass as the review.
type specWire[S any] struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metaWire     `json:"metadata"`
	Spec            specField[S] `json:"spec"`
	obj             runtime.Object
}

// specField is an object's spec, decoded in place. A null leaves it as it
// is, as it leaves the object's own spec field, a struct: a pointer field
// would drop the place to decode a later spec (given twice) into.
type specField[S any] struct{ spec *S }

func (f *specField[S]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		return err
	}
	return jsonv2.UnmarshalDecode(dec, f.spec)
}

// UnmarshalJSON is UnmarshalJSONFrom for sigs.k8s.io/json, with its options.
func (f *specField[S]) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	return sigsjson.UnmarshalCaseSensitivePreserveInts(data, f.spec)
}

// typedWire is a specWire of some spec type.
type typedWire interface {
	object() runtime.Object
}

func (w *specWire[S]) object() runtime.Object {
	w.obj.GetObjectKind().SetGroupVersionKind(w.GroupVersionKind())
	return w.obj
}

// specOf returns a maker of empty wires of objects O, decoded into the
// metadata and spec that parts returns of each.
func specOf[O any, S any, P interface {
	*O
	runtime.Object
}](parts func(P) (*metav1.ObjectMeta, *S)) func() typedWire {
	return func() typedWire {
		obj := P(new(O))
		meta, spec := parts(obj)
		return &specWire[S]{Metadata: metaWire{ObjectMeta: meta}, Spec: specField[S]{spec}, obj: obj}
	}
}

// specKinds are the kinds that run pods, as inventory.PodOf knows them.
var specKinds = map[schema.GroupVersionKind]func() typedWire{
	corev1.SchemeGroupVersion.WithKind("Pod"): specOf(func(o *corev1.Pod) (*metav1.ObjectMeta, *corev1.PodSpec) {
		return &o.ObjectMeta, &o.Spec
	}),
	corev1.SchemeGroupVersion.WithKind("ReplicationController"): specOf(func(o *corev1.ReplicationController) (*metav1.ObjectMeta, *corev1.ReplicationControllerSpec) {
		return &o.ObjectMeta, &o.Spec
	}),
	appsv1.SchemeGroupVersion.WithKind("Deployment"): specOf(func(o *appsv1.Deployment) (*metav1.ObjectMeta, *appsv1.DeploymentSpec) {
		return &o.ObjectMeta, &o.Spec
	}),
	appsv1.SchemeGroupVersion.WithKind("StatefulSet"): specOf(func(o *appsv1.StatefulSet) (*metav1.ObjectMeta, *appsv1.StatefulSetSpec) {
		return &o.ObjectMeta, &o.Spec
	}),
	appsv1.SchemeGroupVersion.WithKind("DaemonSet"): specOf(func(o *appsv1.DaemonSet) (*metav1.ObjectMeta, *appsv1.DaemonSetSpec) {
		return &o.ObjectMeta, &o.Spec
	}),
	appsv1.SchemeGroupVersion.WithKind("ReplicaSet"): specOf(func(o *appsv1.ReplicaSet) (*metav1.ObjectMeta, *appsv1.ReplicaSetSpec) {
		return &o.ObjectMeta, &o.Spec
	}),
	batchv1.SchemeGroupVersion.WithKind("Job"): specOf(func(o *batchv1.Job) (*metav1.ObjectMeta, *batchv1.JobSpec) {
		return &o.ObjectMeta, &o.Spec
	}),
	batchv1.SchemeGroupVersion.WithKind("CronJob"): specOf(func(o *batchv1.CronJob) (*metav1.ObjectMeta, *batchv1.CronJobSpec) {
		return &o.ObjectMeta, &o.Spec
	}),
}

// decodeTyped decodes raw as the typed object of gvk: objects that run
// pods without managed fields and status, the rest whole.
func decodeTyped(gvk schema.GroupVersionKind, raw []byte) (runtime.Object, error) {
	if newWire, ok := specKinds[gvk]; ok {
		w := newWire()
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, w); err != nil {
			return nil, err
		}
		return w.object(), nil
	}
	typed, err := scheme.New(gvk)
	if err != nil {
		return nil, err
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, typed); err != nil {
		return nil, err
	}
	return typed, nil
}
