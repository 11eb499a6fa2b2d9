package admission

import (
	"errors"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Reading a review with DecodeAdmissionReview and then its object with
// decodeTyped validated and scanned the object's bytes four times, with
// the reflection-driven decoder the API server itself uses
// (sigs.k8s.io/json). That was most of the CPU time of a decision.
// decodeWorkloadReview reads the review with encoding/json/v2
// (github.com/go-json-experiment/json), which validates as it decodes, and
// the object straight into the typed wire of its kind.
//
// The kind of the object is request.kind, which the API server writes
// before request.object (in AdmissionRequest's field order): reading
// request.kind arms request.object with the wire of that kind.
//
// This read must give what the two steps give, or nothing. It runs with
// v1's semantics, case-sensitive names as sigs.k8s.io/json, and a strict
// rule of v2 that leaves out where v1 and v2 could part: invalid UTF-8
// (which v1 replaces) is an error. A name given twice is read as v1 reads
// it (the last value, merged into a typed one), except request.kind,
// request.object and request.oldObject, which the one pass reads its own
// way: given twice, they are an error. (Refusing every name given twice
// cost a tenth of a decision, tracking the names of every object.) Errors are
// not reported v1's way, which would validate the whole review before
// decoding it: a review this read refuses goes the two steps' way, which
// gives the reason, so that every answer, error and reason stays as it
// was. TestDecodeWorkloadReviewMatchesTwoSteps and FuzzDecodeWorkloadReview
// hold the two equal.
var reviewOptions = jsonv2.JoinOptions(
	jsonv1.DefaultOptionsV1(),
	jsonv2.MatchCaseInsensitiveNames(false),
	jsonv1.ReportErrorsWithLegacySemantics(false),
	jsontext.AllowInvalidUTF8(false),
)

// reviewWire is an AdmissionReview whose request arms its object.
type reviewWire struct {
	metav1.TypeMeta `json:",inline"`
	Request         *requestWire `json:"request"`
	// A review the API server sends has no response: one that has goes
	// the two steps' way.
	Response jsontext.Value `json:"response"`
}

// requestWire is an AdmissionRequest whose kind and object fields, being
// shallower, take the place of the embedded ones.
type requestWire struct {
	admissionv1.AdmissionRequest `json:",inline"`
	Kind                         kindWire   `json:"kind"`
	Object                       objectWire `json:"object"`
	OldObject                    objectWire `json:"oldObject"`
}

// kindWire is request.kind; reading it arms the request's object.
type kindWire struct {
	metav1.GroupVersionKind
	object *objectWire
	read   bool
}

func (k *kindWire) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if k.read {
		return errTwice
	}
	k.read = true
	if err := jsonv2.UnmarshalDecode(dec, &k.GroupVersionKind); err != nil {
		return err
	}
	// An object read before its kind stays raw.
	if k.object != nil && k.object.state == objectAbsent {
		if newWire, ok := specKinds[schema.GroupVersionKind(k.GroupVersionKind)]; ok {
			k.object.typed = newWire()
		}
	}
	return nil
}

// objectState is what an objectWire read.
type objectState int

const (
	objectAbsent objectState = iota
	objectNull
	objectRaw
	objectTyped
)

// objectWire is request.object or request.oldObject: decoded into typed
// when its kind armed it, otherwise raw, a slice of the body (the old
// object of an update, as large as the new one, was a fifth of the memory
// a decision allocated): the review decodeWorkloadReview returns is valid
// only while the body is.
type objectWire struct {
	body  []byte
	typed typedWire
	raw   []byte
	state objectState
}

func (o *objectWire) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if o.state != objectAbsent {
		return errTwice
	}
	if dec.PeekKind() == 'n' {
		o.state = objectNull
		_, err := dec.ReadToken()
		return err
	}
	if o.typed != nil {
		o.state = objectTyped
		return jsonv2.UnmarshalDecode(dec, o.typed)
	}
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	end := int(dec.InputOffset())
	start := end - len(v)
	if len(v) == 0 || start < 0 || end > len(o.body) || &o.body[start] != &v[0] {
		return errNotSliced
	}
	o.raw, o.state = o.body[start:end:end], objectRaw
	return nil
}

// errTwice refuses a name the one pass reads its own way given twice: the
// two steps read it.
var errTwice = errors.New("name given twice")

// errNotSliced is not expected: Unmarshal reads the body in place.
var errNotSliced = errors.New("raw object is not a slice of the body")

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
	req := &requestWire{}
	req.Kind.object = &req.Object
	req.Object.body, req.OldObject.body = data, data
	w := reviewWire{Request: req}
	if err := jsonv2.Unmarshal(data, &w, reviewOptions); err != nil {
		return nil // refused: the two-step decode gives the reason
	}
	// "request": null replaced the ready one.
	if w.Request != req || req.UID == "" || w.Response != nil ||
		w.GroupVersionKind() != admissionv1.SchemeGroupVersion.WithKind("AdmissionReview") {
		return nil
	}
	out := req.AdmissionRequest
	out.Kind = req.Kind.GroupVersionKind
	switch req.Object.state {
	case objectRaw:
		out.Object.Raw = req.Object.raw
	case objectTyped:
		out.Object.Object = req.Object.typed.object()
	}
	if req.OldObject.state == objectRaw {
		out.OldObject.Raw = req.OldObject.raw
	}
	return &admissionv1.AdmissionReview{TypeMeta: w.TypeMeta, Request: &out}
}
