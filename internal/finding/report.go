package finding

// SchemaVersion is the version of the JSON report schema (docs/json-report.md).
// Bump it on any change that is not a pure addition.
const SchemaVersion = "rampart.dev/report/v1"

// Rule describes a check for outputs that list rules (SARIF, docs).
type Rule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Severity    Severity `json:"severity"`
	Remediation string   `json:"remediation"`
	Controls    []string `json:"controls"`
}

// Note is something the user should know that is not a finding: a file
// that could not be read, a document that is not a Kubernetes object.
type Note struct {
	Level   NoteLevel `json:"level"`
	File    string    `json:"file,omitempty"`
	Line    int       `json:"line,omitempty"`
	Message string    `json:"message"`
}

// NoteLevel says whether a note is informational or an input error.
type NoteLevel string

// Note levels. An error note makes the run exit 2.
const (
	NoteInfo  NoteLevel = "info"
	NoteError NoteLevel = "error"
)

// Report is the whole result of one run.
type Report struct {
	Tool     string    `json:"-"`
	Version  string    `json:"-"`
	Rules    []Rule    `json:"-"`
	Findings []Finding `json:"findings"`
	Notes    []Note    `json:"notes"`
	Files    int       `json:"files"`
	Objects  int       `json:"objects"`
	// Objects' Pod Security Standards levels, keyed by ObjectRef.String().
	PodSecurity map[string]PodSecurity `json:"podSecurity,omitempty"`
	// Audit is set for reports on a cluster (rampart audit).
	Audit *Audit `json:"audit,omitempty"`
}

// PodSecurity is the highest Pod Security Standards level a workload meets.
type PodSecurity struct {
	Object  ObjectRef `json:"object"`
	Version string    `json:"version"`
	// Level is "restricted", "baseline" or "privileged" (meets neither).
	Level string `json:"level"`
}

// HasErrors reports whether any input could not be read.
func (r *Report) HasErrors() bool {
	for _, n := range r.Notes {
		if n.Level == NoteError {
			return true
		}
	}
	return false
}
