package policy

import (
	"path"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
)

// Annotations that exempt an object from checks, set on the object or on
// its pod template. The value is a comma-separated list of check IDs; an
// entry "check-id/container" exempts one container only.
const (
	IgnoreAnnotation       = "rampart.dev/ignore"
	IgnoreReasonAnnotation = "rampart.dev/ignore-reason"
)

// Subject is what an exemption is matched against.
type Subject struct {
	Ref    finding.ObjectRef
	Labels map[string]string
	// Annotations of the object, then of its pod template (both count).
	Annotations []map[string]string
}

// Exempt marks findings accepted by the policy or by annotations. Findings
// are kept: an exempted finding is reported as such, never dropped.
func (p *Policy) Exempt(f *finding.Finding, s Subject) {
	if f.Exempted {
		return
	}
	for _, ann := range s.Annotations {
		if ok, reason := annotationExempts(ann, f.Check, f.Container); ok {
			f.Exempted, f.ExemptReason = true, reason
			return
		}
	}
	for _, e := range p.Exemptions {
		if e.matches(f.Check, s) {
			f.Exempted, f.ExemptReason = true, e.Reason
			return
		}
	}
}

func annotationExempts(ann map[string]string, check, container string) (bool, string) {
	v, ok := ann[IgnoreAnnotation]
	if !ok {
		return false, ""
	}
	for _, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		id, ctr, perContainer := strings.Cut(entry, "/")
		if id != check || (perContainer && ctr != container) {
			continue
		}
		reason := strings.TrimSpace(ann[IgnoreReasonAnnotation])
		if reason == "" {
			reason = "annotation " + IgnoreAnnotation
		}
		return true, reason
	}
	return false, ""
}

func (e Exemption) matches(check string, s Subject) bool {
	if len(e.Checks) > 0 && !contains(e.Checks, check) {
		return false
	}
	ns := s.Ref.Namespace
	if s.Ref.Kind == "Namespace" && s.Ref.APIVersion == "v1" {
		ns = s.Ref.Name // a finding about a namespace is in that namespace
	}
	if !globAny(e.Namespaces, ns) || !globAny(e.Names, s.Ref.Name) || !globAny(e.Kinds, s.Ref.Kind) {
		return false
	}
	for k, v := range e.Labels {
		if got, ok := s.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func globAny(globs []string, s string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok {
			return true
		}
	}
	return false
}
