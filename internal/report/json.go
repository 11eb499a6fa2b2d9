package report

import (
	"bytes"
	"encoding/json"

	"github.com/rampart-dev/rampart/internal/finding"
)

// The JSON report has its own types rather than the finding package's
// struct tags, so the wire format (docs/json-report.md, versioned by
// finding.SchemaVersion) changes only when this file does.

type jsonReport struct {
	APIVersion  string            `json:"apiVersion"`
	Tool        jsonTool          `json:"tool"`
	Summary     jsonSummary       `json:"summary"`
	Findings    []jsonFinding     `json:"findings"`
	Notes       []jsonNote        `json:"notes"`
	PodSecurity []jsonPodSecurity `json:"podSecurity"`
	Rules       []jsonRule        `json:"rules"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonSummary struct {
	// Findings counts findings that are not exempted.
	Findings    int            `json:"findings"`
	BySeverity  jsonBySeverity `json:"bySeverity"`
	Exempted    int            `json:"exempted"`
	InputErrors int            `json:"inputErrors"`
	Skipped     int            `json:"skipped"`
	Files       int            `json:"files"`
	Objects     int            `json:"objects"`
}

type jsonBySeverity struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

type jsonObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

type jsonPlace struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Path   string `json:"path,omitempty"`
}

type jsonFinding struct {
	Check        string           `json:"check"`
	Title        string           `json:"title"`
	Severity     finding.Severity `json:"severity"`
	Object       jsonObject       `json:"object"`
	Container    string           `json:"container,omitempty"`
	Place        jsonPlace        `json:"place"`
	Message      string           `json:"message"`
	Remediation  string           `json:"remediation"`
	Controls     []string         `json:"controls"`
	Exempted     bool             `json:"exempted"`
	ExemptReason string           `json:"exemptReason,omitempty"`
	Fingerprint  string           `json:"fingerprint"`
}

type jsonNote struct {
	Level   finding.NoteLevel `json:"level"`
	File    string            `json:"file,omitempty"`
	Line    int               `json:"line,omitempty"`
	Message string            `json:"message"`
}

type jsonPodSecurity struct {
	Object  jsonObject `json:"object"`
	Version string     `json:"version"`
	Level   string     `json:"level"`
}

type jsonRule struct {
	ID          string           `json:"id"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Severity    finding.Severity `json:"severity"`
	Remediation string           `json:"remediation"`
	Controls    []string         `json:"controls"`
}

func toJSONObject(r finding.ObjectRef) jsonObject {
	return jsonObject{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
}

// renderJSON writes the versioned JSON report with 2-space indentation.
func renderJSON(b *bytes.Buffer, v *view) error {
	s := v.summary
	out := jsonReport{
		APIVersion: finding.SchemaVersion,
		Tool:       jsonTool{Name: toolName, Version: v.version},
		Summary: jsonSummary{
			Findings: s.total,
			BySeverity: jsonBySeverity{
				Critical: s.bySeverity[finding.Critical],
				High:     s.bySeverity[finding.High],
				Medium:   s.bySeverity[finding.Medium],
				Low:      s.bySeverity[finding.Low],
				Info:     s.bySeverity[finding.Info],
			},
			Exempted:    s.exempted,
			InputErrors: s.errors,
			Skipped:     s.skipped,
			Files:       v.files,
			Objects:     v.objects,
		},
		Findings:    make([]jsonFinding, len(v.findings)),
		Notes:       make([]jsonNote, len(v.notes)),
		PodSecurity: make([]jsonPodSecurity, len(v.pss)),
		Rules:       make([]jsonRule, len(v.rules)),
	}
	fps := fingerprints(v.findings)
	for i, f := range v.findings {
		out.Findings[i] = jsonFinding{
			Check:        f.Check,
			Title:        f.Title,
			Severity:     f.Severity,
			Object:       toJSONObject(f.Object),
			Container:    f.Container,
			Place:        jsonPlace{File: f.Place.File, Line: f.Place.Line, Column: f.Place.Column, Path: f.Place.Path},
			Message:      f.Message,
			Remediation:  f.Remediation,
			Controls:     nonNil(f.Controls),
			Exempted:     f.Exempted,
			ExemptReason: f.ExemptReason,
			Fingerprint:  fps[i],
		}
	}
	for i, n := range v.notes {
		out.Notes[i] = jsonNote{Level: n.Level, File: n.File, Line: n.Line, Message: n.Message}
	}
	for i, p := range v.pss {
		out.PodSecurity[i] = jsonPodSecurity{Object: toJSONObject(p.Object), Version: p.Version, Level: p.Level}
	}
	for i, r := range v.rules {
		out.Rules[i] = jsonRule{ID: r.ID, Title: r.Title, Description: r.Description, Severity: r.Severity,
			Remediation: r.Remediation, Controls: nonNil(r.Controls)}
	}
	enc := json.NewEncoder(b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
