package report

import (
	"bytes"
	_ "embed"
	"html/template"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
)

//go:embed templates/report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": func(s []string) string { return strings.Join(s, ", ") },
}).Parse(htmlSource))

type htmlPage struct {
	Title, Subtitle, Version string
	Total, Exempted          int
	Severities               []htmlCount
	Sections                 []finding.Section
	NotAssessed              []finding.NotAssessed
	KubeletConfig            *finding.KubeletConfigRead
	Problems                 []htmlProblem
	Groups                   []htmlGroup
	Nodes                    []finding.Node
}

type htmlCount struct {
	Name  string
	Count int
}

type htmlProblem struct{ Where, Message string }

type htmlGroup struct {
	ID, Title string
	Findings  []htmlFinding
}

type htmlFinding struct {
	Severity, Check, Controls, Object, Container, Where, Message, Remediation, ExemptReason string
	Exempted                                                                                bool
}

// renderHTML writes one self-contained HTML page (inline CSS, no scripts,
// no external resources) that a person can read and send to an auditor:
// the countermeasure summary, findings by NIST SP 800-190 section with
// their fixes, the node inventory, and what could not be assessed.
func renderHTML(b *bytes.Buffer, v *view) error {
	p := htmlPage{Title: "Rampart scan report", Version: v.version, Total: v.summary.total, Exempted: v.summary.exempted}
	p.Subtitle = plural(v.files, "file", "files") + ", " + plural(v.objects, "object", "objects")
	if a := v.audit; a != nil {
		p.Title = "Rampart cluster audit: NIST SP 800-190"
		p.Subtitle = "Cluster " + a.Server
		if a.Snapshot != "" {
			p.Subtitle = "Snapshot " + a.Snapshot + " of " + a.Server
		}
		if a.Version != "" {
			p.Subtitle += " (" + a.Version + ")"
		}
		if !a.CollectedAt.IsZero() {
			p.Subtitle += ", read " + a.CollectedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		p.Sections, p.NotAssessed, p.Nodes, p.KubeletConfig = a.Sections, a.NotAssessed, a.Nodes, a.KubeletConfig
	}
	for sev := finding.Critical; sev >= finding.Info; sev-- {
		p.Severities = append(p.Severities, htmlCount{Name: sev.String(), Count: v.summary.bySeverity[sev]})
	}
	for _, n := range v.notes {
		if n.Level == finding.NoteError {
			p.Problems = append(p.Problems, htmlProblem{Where: noteLoc(n), Message: n.Message})
		}
	}
	for _, sec := range bySection(v.findings) {
		g := htmlGroup{ID: sec.id, Title: sec.title}
		if g.ID == "" {
			g.ID = "other"
		}
		for _, grp := range groupFindings(sec.findings) {
			for _, f := range grp.findings {
				g.Findings = append(g.Findings, htmlFinding{
					Severity: f.Severity.String(), Check: f.Check, Controls: strings.Join(f.Controls, " "),
					Object: f.Object.String(), Container: f.Container, Where: f.Place.String(),
					Message: f.Message, Remediation: firstLine(f.Remediation),
					Exempted: f.Exempted, ExemptReason: f.ExemptReason,
				})
			}
		}
		p.Groups = append(p.Groups, g)
	}
	return htmlTemplate.Execute(b, p)
}
