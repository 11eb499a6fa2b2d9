package admission

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// DecodeObject turns the object of an admission request, raw or decoded
// with the review (decodeWorkloadReview), into the inventory object the
// workload checks read. Kinds Rampart has no typed form for are
// ErrNotHandled.
func DecodeObject(req *admissionv1.AdmissionRequest, obj runtime.RawExtension) (*inventory.Object, error) {
	gvk := schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind}
	typed := obj.Object
	if typed == nil {
		if len(obj.Raw) == 0 {
			return nil, fmt.Errorf("%w: no object", ErrNotHandled)
		}
		if !scheme.Recognizes(gvk) {
			return nil, fmt.Errorf("%w: %s", ErrNotHandled, gvk)
		}
		var err error
		if typed, err = decodeTyped(gvk, obj.Raw); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", gvk.Kind, err)
		}
	}
	m, err := meta.Accessor(typed)
	if err != nil {
		return nil, fmt.Errorf("%w: %s has no metadata", ErrNotHandled, gvk)
	}
	o := &inventory.Object{
		APIVersion:  gvk.GroupVersion().String(),
		Kind:        gvk.Kind,
		Namespace:   m.GetNamespace(),
		Name:        m.GetName(),
		Labels:      m.GetLabels(),
		Annotations: m.GetAnnotations(),
		Typed:       typed,
	}
	// A create names its namespace in the URL, and may leave the name to
	// generateName.
	if o.Namespace == "" {
		o.Namespace = req.Namespace
	}
	if o.Name == "" {
		o.Name = req.Name
	}
	if o.Name == "" && m.GetGenerateName() != "" {
		o.Name = m.GetGenerateName() + "*"
	}
	return o, nil
}

// Workloads runs the workload checks and the label rules of the policy on
// objects at create and update, in the mode the policy gives each check and
// namespace.
type Workloads struct {
	policy func() *policy.Policy
	log    Recorder
	// checks are those the current policy enables, worked out once per
	// policy rather than on every request.
	checks atomic.Pointer[checkSet]
}

// NewWorkloads returns the workload validator; policy is read on every
// request, so that a reloaded policy applies at once.
func NewWorkloads(pol func() *policy.Policy, log Recorder) *Workloads {
	return &Workloads{policy: pol, log: log}
}

// Handler returns the validator as an admission Handler.
func (v *Workloads) Handler() Handler {
	// Only the new object of an update is judged, so the old one, as large,
	// is not decoded.
	return ValidatorHandler[*inventory.Object]{Decode: DecodeObject, Validator: v, OldUnused: true}
}

// ValidateCreate implements Validator.
func (v *Workloads) ValidateCreate(ctx context.Context, obj *inventory.Object) (Warnings, error) {
	return v.judge(ctx, obj)
}

// ValidateUpdate implements Validator; only the new object is judged.
func (v *Workloads) ValidateUpdate(ctx context.Context, _, obj *inventory.Object) (Warnings, error) {
	return v.judge(ctx, obj)
}

// ValidateDelete implements Validator: deleting is never refused.
func (v *Workloads) ValidateDelete(context.Context, *inventory.Object) (Warnings, error) {
	return nil, nil
}

// problem is one failed check or label rule with its mode.
type problem struct {
	rule, container, mode, message string
}

func (v *Workloads) judge(ctx context.Context, obj *inventory.Object) (Warnings, error) {
	pol := v.policy()
	problems := v.checksFor(pol).run(obj)
	problems = append(problems, labelProblems(pol.Webhook.Labels, obj)...)
	return v.enforce(ctx, obj, problems)
}

func (v *Workloads) checksFor(pol *policy.Policy) *checkSet {
	if cs := v.checks.Load(); cs != nil && cs.pol == pol {
		return cs
	}
	cs := newCheckSet(pol)
	v.checks.Store(cs)
	return cs
}

func findingMessage(f finding.Finding) string {
	if f.Container != "" && !strings.Contains(f.Message, f.Container) {
		return fmt.Sprintf("container %q: %s", f.Container, f.Message)
	}
	return f.Message
}

// labelProblems lists the labels that the rules require and obj lacks.
func labelProblems(rules []policy.LabelRule, obj *inventory.Object) []problem {
	var out []problem
	for i := range rules {
		r := &rules[i]
		if !r.Matches(obj.Kind, obj.Namespace) {
			continue
		}
		var missing []string
		for _, k := range r.Required {
			if obj.Labels[k] == "" {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			out = append(out, problem{
				rule:    fmt.Sprintf("required-labels[%d]", i),
				mode:    r.RuleMode(),
				message: fmt.Sprintf("%s %q lacks required labels %s", obj.Kind, obj.Name, strings.Join(missing, ", ")),
			})
		}
	}
	return out
}

// enforce turns problems into a denial, warnings and decision records.
func (v *Workloads) enforce(ctx context.Context, obj *inventory.Object, problems []problem) (Warnings, error) {
	req := RequestFrom(ctx)
	var warnings Warnings
	var blocked []string
	for _, p := range problems {
		line := fmt.Sprintf("%s: %s", p.rule, p.message)
		result := "audited"
		switch p.mode {
		case policy.ModeBlock:
			blocked = append(blocked, line)
			result = "denied"
		case policy.ModeWarn:
			warnings = append(warnings, "rampart: "+line)
			result = "warned"
		}
		if v.log != nil {
			d := admissionDecision(req, "admission", result, p.mode, p.rule, p.message)
			d.Namespace, d.Name = obj.Namespace, obj.Name
			v.log.Record(d)
		}
	}
	if len(blocked) > 0 {
		slices.Sort(blocked)
		return warnings, fmt.Errorf("rampart denied %s %q: %s", obj.Kind, obj.Name, strings.Join(blocked, "; "))
	}
	return warnings, nil
}
