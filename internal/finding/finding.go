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
// the analyzers ran in.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, Compare)
}

// Compare orders two findings the way Sort does.
func Compare(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Place.File, b.Place.File),
		cmp.Compare(a.Place.Line, b.Place.Line),
		cmp.Compare(a.Object.Namespace, b.Object.Namespace),
		cmp.Compare(a.Object.Kind, b.Object.Kind),
		cmp.Compare(a.Object.Name, b.Object.Name),
		cmp.Compare(a.Check, b.Check),
		cmp.Compare(a.Container, b.Container),
		cmp.Compare(a.Message, b.Message),
	)
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
