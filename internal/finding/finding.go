// Package finding holds the one result type every Rampart analyzer returns.
// It knows nothing about where objects came from or how findings are shown.
package finding

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Severity orders how urgent a finding is.
type Severity int

// Severities from least to most urgent. The zero value is Info.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// ErrUnknownSeverity is returned by ParseSeverity for a name it does not know.
var ErrUnknownSeverity = errors.New("unknown severity")

// String returns the lower-case name of s.
func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(n, strings.TrimSpace(name)) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("%w %q (want one of %s)", ErrUnknownSeverity, name, strings.Join(severityNames[:], ", "))
}

// MarshalText writes the severity as its name, for JSON and YAML.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ObjectRef names the Kubernetes object a finding is about.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// String renders the reference as namespace/Kind/name (kubectl style).
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Namespace + "/" + r.Kind + "/" + r.Name
}

// Place is where in the input a finding points.
type Place struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Path is the field path inside the object, e.g. spec.containers[0].image.
	Path string `json:"path,omitempty"`
	// Via says how the object was made from File when it was rendered,
	// e.g. "helm template charts/web" or "kustomize build overlays/prod".
	Via string `json:"via,omitempty"`
}

// String renders the place as file:line (with how it was rendered, if it
// was), or the empty string when unknown.
func (p Place) String() string {
	s := p.File
	switch {
	case p.File == "":
		return ""
	case p.Line > 0:
		s = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Via != "" {
		s += " (" + p.Via + ")"
	}
	return s
}

// Finding is one problem found on one object.
type Finding struct {
	Check       string    `json:"check"`
	Title       string    `json:"title"`
	Severity    Severity  `json:"severity"`
	Object      ObjectRef `json:"object"`
	Container   string    `json:"container,omitempty"`
	Place       Place     `json:"place"`
	Message     string    `json:"message"`
	Remediation string    `json:"remediation"`
	// Controls are framework references such as NIST-800-190:4.3.1,
	// CIS-K8S:5.2.2 or PSS:baseline/privileged.
	Controls []string `json:"controls"`
	// Exempted findings are kept and shown as such; they never fail a run.
	Exempted     bool   `json:"exempted,omitempty"`
	ExemptReason string `json:"exemptReason,omitempty"`
}

// Sort orders findings by file, line, object (namespace, kind, name),
// check, container and message, so every output is stable whatever order
// the analyzers ran in. Findings that compare equal keep their order.
func Sort(fs []Finding) {
	if IsSorted(fs) {
		return
	}
	if len(fs) < 8 {
		slices.SortStableFunc(fs, Compare)
		return
	}
	// A finding is a few hundred bytes: sort their indexes, then move each
	// finding once, instead of moving the findings at every step (an
	// insertion sort of one object's few dozen findings moved each many
	// times).
	var small [64]int32
	idx := small[:0]
	if len(fs) > len(small) {
		idx = make([]int32, 0, len(fs))
	}
	idx = idx[:len(fs)]
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if c := compare(&fs[a], &fs[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	// Move the findings into place cycle by cycle, in place: a sorted copy
	// was, on a large scan, the largest single allocation.
	for i := range idx {
		if idx[i] == int32(i) {
			continue
		}
		tmp := fs[i]
		j := i
		for {
			k := int(idx[j])
			idx[j] = int32(j)
			if k == i {
				fs[j] = tmp
				break
			}
			fs[j] = fs[k]
			j = k
		}
	}
}

// Merge returns the findings of a and b, both sorted, in one sorted
// slice; of two equal findings, the one from a comes first, as if b had
// been appended to a and the whole sorted.
func Merge(a, b []Finding) []Finding {
	out := make([]Finding, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if compare(&b[0], &a[0]) < 0 {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

// MergeInto is Merge, done in a's spare capacity when it has room for b,
// so that adding a few findings to a large sorted list moves it only once.
// b must not share memory with a.
func MergeInto(a, b []Finding) []Finding {
	n := len(a) + len(b)
	if cap(a) < n {
		return Merge(a, b)
	}
	out := a[:n]
	i, j := len(a)-1, len(b)-1
	for k := n - 1; j >= 0; k-- {
		if i >= 0 && compare(&a[i], &b[j]) > 0 {
			out[k] = a[i]
			i--
		} else {
			out[k] = b[j]
			j--
		}
	}
	return out
}

// Compare orders two findings the way Sort does.
func Compare(a, b Finding) int { return compare(&a, &b) }

// compare stops at the first field that differs: cmp.Or would compare
// every field, and sorting a large scan is mostly these comparisons.
func compare(a, b *Finding) int {
	if c := cmp.Compare(a.Place.File, b.Place.File); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Place.Line, b.Place.Line); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Object.Namespace, b.Object.Namespace); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Object.Kind, b.Object.Kind); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Object.Name, b.Object.Name); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Check, b.Check); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Container, b.Container); c != 0 {
		return c
	}
	return cmp.Compare(a.Message, b.Message)
}

// IsSorted reports whether fs is in Sort's order.
func IsSorted(fs []Finding) bool {
	for i := 1; i < len(fs); i++ {
		if compare(&fs[i], &fs[i-1]) < 0 {
			return false
		}
	}
	return true
}

// AtOrAbove reports whether any non-exempted finding has at least severity min.
func AtOrAbove(fs []Finding, min Severity) bool {
	for _, f := range fs {
		if !f.Exempted && f.Severity >= min {
			return true
		}
	}
	return false
}
