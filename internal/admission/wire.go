package admission

import (
	"bytes"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"
)

// Reading a review with DecodeAdmissionReview and then its object with
// decodeTyped validated and scanned the object's bytes four times: in the
// review's validation, in skipping it into a RawExtension (and copying
// it), in its own validation and in its decoding. That was most of the CPU
// time of a decision. decodeWorkloadReview reads the review in one
// validation and one decoding, the object decoded straight into the
// typed wire of its kind.
//
// The kind of the object is request.kind, which the API server writes
// before request.object (in AdmissionRequest's field order): reading
// request.kind arms request.object with the wire of that kind. What this
// cannot read exactly as the two-step decode does (an object before its
// kind, a key given twice, a review that is refused) goes the two-step
// way, so that every answer, error and reason stays as it was:
// TestDecodeWorkloadReviewMatchesTwoSteps and FuzzDecodeWorkloadReview
// hold the two equal.

// reviewWire is an AdmissionReview whose request arms its object.
type reviewWire struct {
	metav1.TypeMeta `json:",inline"`
	Request         *requestWire `json:"request"`
	// Response is read, as by DecodeAdmissionReview, only so that a review
	// the two-step decode refuses is refused here too.
	Response *admissionv1.AdmissionResponse `json:"response"`
}

// requestWire is an AdmissionRequest whose kind and object fields, being
// shallower, take the place of the embedded ones.
type requestWire struct {
	admissionv1.AdmissionRequest `json:",inline"`
	Kind                         kindWire `json:"kind"`
	// Object holds the decode target of request.object: raw, or the
	// typedWire that reading the kind put there. JSON null sets it nil.
	Object    any     `json:"object"`
	OldObject rawWire `json:"oldObject"`
	raw       rawWire
}

// rawWire is a RawExtension that keeps the bytes of the body it was read
// from rather than a copy (the old object of an update, as large as the
// new one, was a fifth of the memory a decision allocated): the review
// decodeWorkloadReview returns is valid only while the body is.
type rawWire struct{ raw []byte }

func (r *rawWire) UnmarshalJSON(data []byte) error {
	// As RawExtension: null keeps what an earlier key gave.
	if string(data) != "null" {
		r.raw = data
	}
	return nil
}

// kindWire is request.kind; reading it arms the request's object.
type kindWire struct {
	metav1.GroupVersionKind
	req   *requestWire
	reads int
}

func (k *kindWire) UnmarshalJSON(data []byte) error {
	k.reads++
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &k.GroupVersionKind); err != nil {
		return err
	}
	// Only the request made ready in decodeWorkloadReview is armed, and
	// only while its object has not been read.
	if k.req == nil || k.req.Object != any(&k.req.raw) || k.req.raw.raw != nil {
		return nil
	}
	if newWire, ok := specKinds[schema.GroupVersionKind(k.GroupVersionKind)]; ok {
		k.req.Object = newWire()
	}
	return nil
}

var (
	objectKey = []byte(`"object"`)
	escape    = []byte(`\u`)
)

// decodeWorkloadReview is DecodeAdmissionReview, but the object of a kind
// that runs pods comes decoded, in Request.Object.Object, without managed
// fields and status (as decodeTyped gives it), rather than as raw JSON,
// and raw objects may be slices of data.
func decodeWorkloadReview(data []byte) (*admissionv1.AdmissionReview, error) {
	if review := decodeReviewOnce(data); review != nil {
		return review, nil
	}
	return DecodeAdmissionReview(data)
}

// decodeReviewOnce reads a review in one pass, or returns nil when that
// could read it otherwise than the two-step decode.
func decodeReviewOnce(data []byte) *admissionv1.AdmissionReview {
	// A key written twice is merged by a decode into a typed object where
	// a RawExtension keeps the last: with request.object armed, a second
	// "object" key would differ. Without \u escapes every "object" key is
	// written as such, so one occurrence of the bytes means one key.
	if bytes.Count(data, objectKey) > 1 || bytes.Contains(data, escape) {
		return nil
	}
	req := &requestWire{}
	req.Kind.req = req
	req.Object = &req.raw
	w := reviewWire{Request: req}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &w); err != nil {
		return nil // refused: the two-step decode gives the reason
	}
	// "request": null (and another request after it) replaced the ready one.
	if w.Request != req || req.Kind.reads > 1 || req.UID == "" ||
		w.GroupVersionKind() != admissionv1.SchemeGroupVersion.WithKind("AdmissionReview") {
		return nil
	}
	out := req.AdmissionRequest
	out.Kind = req.Kind.GroupVersionKind
	out.OldObject.Raw = req.OldObject.raw
	switch o := req.Object.(type) {
	case nil: // "object": null
	case *rawWire:
		out.Object.Raw = o.raw
	case typedWire:
		// The armed wire cannot tell an absent object from an empty one.
		if o.isZero() {
			return nil
		}
		out.Object.Object = o.object()
	default:
		return nil
	}
	return &admissionv1.AdmissionReview{TypeMeta: w.TypeMeta, Request: &out, Response: w.Response}
}
