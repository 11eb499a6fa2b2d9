package admission

import (
	"context"
	"errors"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Warnings are messages returned to the client, which kubectl prints.
type Warnings []string

// Validator is controller-runtime's admission.Validator[T] shape: typed
// objects in, warnings and a denial out. A non-nil error denies the request
// with the error's message.
type Validator[T any] interface {
	ValidateCreate(ctx context.Context, obj T) (Warnings, error)
	ValidateUpdate(ctx context.Context, oldObj, newObj T) (Warnings, error)
	ValidateDelete(ctx context.Context, obj T) (Warnings, error)
}

// ErrNotHandled is returned by a decoder for kinds a validator does not
// judge; such requests are admitted.
var ErrNotHandled = errors.New("kind not handled")

// ValidatorHandler adapts a Validator to a Handler, decoding objects with
// Decode. The request is available to the validator through RequestFrom.
type ValidatorHandler[T any] struct {
	// Decode gets the request's object as it came: raw JSON, or decoded
	// already with the review (in Object).
	Decode    func(req *admissionv1.AdmissionRequest, obj runtime.RawExtension) (T, error)
	Validator Validator[T]
	// OldUnused skips decoding the old object of an update, for validators
	// that judge only the new one: ValidateUpdate gets the zero T as old.
	OldUnused bool
}

type requestKey struct{}

// RequestFrom returns the admission request a validator is judging.
func RequestFrom(ctx context.Context) *admissionv1.AdmissionRequest {
	r, _ := ctx.Value(requestKey{}).(*admissionv1.AdmissionRequest)
	return r
}

// Admit implements Handler.
func (h ValidatorHandler[T]) Admit(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	ctx = context.WithValue(ctx, requestKey{}, req)
	decode := func(ext runtime.RawExtension) (T, bool, *admissionv1.AdmissionResponse) {
		obj, err := h.Decode(req, ext)
		if errors.Is(err, ErrNotHandled) {
			return obj, false, allow()
		}
		if err != nil {
			// The API server already validated the object; a decoding
			// failure here is ours, and a bad request is no reason to let
			// it through unchecked silently.
			return obj, false, deny("rampart: cannot read the object: " + err.Error())
		}
		return obj, true, nil
	}
	var (
		warnings Warnings
		err      error
	)
	switch req.Operation {
	case admissionv1.Create:
		obj, ok, resp := decode(req.Object)
		if !ok {
			return resp
		}
		warnings, err = h.Validator.ValidateCreate(ctx, obj)
	case admissionv1.Update:
		obj, ok, resp := decode(req.Object)
		if !ok {
			return resp
		}
		var old T
		if !h.OldUnused {
			if old, ok, resp = decode(req.OldObject); !ok {
				return resp
			}
		}
		warnings, err = h.Validator.ValidateUpdate(ctx, old, obj)
	case admissionv1.Delete:
		obj, ok, resp := decode(req.OldObject)
		if !ok {
			return resp
		}
		warnings, err = h.Validator.ValidateDelete(ctx, obj)
	default:
		return allow()
	}
	if err != nil {
		return deny(err.Error(), warnings...)
	}
	return allow(warnings...)
}
