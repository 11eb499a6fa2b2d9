package report

import (
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf8"

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
	Via    string `json:"via,omitempty"`
}

type jsonFinding struct {
	Check        string           `json:"check"`
	Title        string           `json:"title"`
	Severity     finding.Severity `json:"severity"`
	Object       jsonObject       `json:"object"`
	Container    string           `json:"container,omitempty"`
	Place        jsonPlace        `json:"place"`
	Message      string           `json:"message"`
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

// byteWriter is what the JSON writer needs: a bytes.Buffer in tests, a
// bufio.Writer straight to the output in Render.
type byteWriter interface {
	io.Writer
	io.ByteWriter
	io.StringWriter
}

// renderJSON writes the versioned JSON report: the document is indented
// with two spaces, and each finding is one compact line, so that a report
// of a hundred thousand findings stays quick to write and easy to grep.
func renderJSON(b byteWriter, v *view) error {
	s := v.summary
	head := struct {
		APIVersion string      `json:"apiVersion"`
		Tool       jsonTool    `json:"tool"`
		Summary    jsonSummary `json:"summary"`
	}{
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
	}
	notes := make([]jsonNote, len(v.notes))
	for i, n := range v.notes {
		notes[i] = jsonNote{Level: n.Level, File: n.File, Line: n.Line, Message: n.Message}
	}
	pss := make([]jsonPodSecurity, len(v.pss))
	for i, p := range v.pss {
		pss[i] = jsonPodSecurity{Object: toJSONObject(p.Object), Version: p.Version, Level: p.Level}
	}
	rules := make([]jsonRule, len(v.rules))
	for i, r := range v.rules {
		rules[i] = jsonRule{ID: r.ID, Title: r.Title, Description: r.Description, Severity: r.Severity,
			Remediation: r.Remediation, Controls: nonNil(r.Controls)}
	}

	// The head fields, written as an indented object without its closing brace.
	hb, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return err
	}
	b.Write(hb[:len(hb)-2]) // drop "\n}"
	b.WriteString(",\n  \"findings\": [")
	fps := fingerprints(v.findings)
	for i := range v.findings {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		appendFinding(b, &v.findings[i], fps[i])
	}
	if len(v.findings) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]")
	parts := []struct {
		key string
		val any
	}{{"notes", notes}, {"podSecurity", pss}, {"rules", rules}}
	if v.audit != nil {
		parts = append(parts, struct {
			key string
			val any
		}{"audit", auditJSON(v.audit)})
	}
	for _, part := range parts {
		pb, err := json.MarshalIndent(part.val, "  ", "  ")
		if err != nil {
			return err
		}
		b.WriteString(",\n  ")
		writeString(b, part.key)
		b.WriteString(": ")
		b.Write(pb)
	}
	b.WriteString("\n}\n")
	return nil
}

// appendFinding writes one finding as compact JSON with the field names and
// order of jsonFinding. It is written by hand because encoding/json's
// reflection dominated the whole scan on reports of 100k findings; the
// round-trip test decodes it back into jsonFinding.
func appendFinding(b byteWriter, f *finding.Finding, fp string) {
	b.WriteString(`{"check":`)
	writeString(b, f.Check)
	b.WriteString(`,"title":`)
	writeString(b, f.Title)
	b.WriteString(`,"severity":"`)
	b.WriteString(f.Severity.String())
	b.WriteString(`","object":{"apiVersion":`)
	writeString(b, f.Object.APIVersion)
	b.WriteString(`,"kind":`)
	writeString(b, f.Object.Kind)
	if f.Object.Namespace != "" {
		b.WriteString(`,"namespace":`)
		writeString(b, f.Object.Namespace)
	}
	b.WriteString(`,"name":`)
	writeString(b, f.Object.Name)
	b.WriteByte('}')
	if f.Container != "" {
		b.WriteString(`,"container":`)
		writeString(b, f.Container)
	}
	b.WriteString(`,"place":{`)
	sep := ""
	if f.Place.File != "" {
		b.WriteString(`"file":`)
		writeString(b, f.Place.File)
		sep = ","
	}
	var num [20]byte
	if f.Place.Line != 0 {
		b.WriteString(sep + `"line":`)
		b.Write(strconv.AppendInt(num[:0], int64(f.Place.Line), 10))
		sep = ","
	}
	if f.Place.Column != 0 {
		b.WriteString(sep + `"column":`)
		b.Write(strconv.AppendInt(num[:0], int64(f.Place.Column), 10))
		sep = ","
	}
	if f.Place.Path != "" {
		b.WriteString(sep + `"path":`)
		writeString(b, f.Place.Path)
		sep = ","
	}
	if f.Place.Via != "" {
		b.WriteString(sep + `"via":`)
		writeString(b, f.Place.Via)
	}
	b.WriteString(`},"message":`)
	writeString(b, f.Message)
	if f.Exempted {
		b.WriteString(`,"exempted":true`)
	} else {
		b.WriteString(`,"exempted":false`)
	}
	if f.ExemptReason != "" {
		b.WriteString(`,"exemptReason":`)
		writeString(b, f.ExemptReason)
	}
	b.WriteString(`,"fingerprint":`)
	writeString(b, fp)
	b.WriteByte('}')
}

// writeString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, as encoding/json
// does (HTML characters are left alone, as with SetEscapeHTML(false)).
func writeString(b byteWriter, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// auditJSON returns the audit part with empty lists as [] rather than null.
func auditJSON(a *finding.Audit) *finding.Audit {
	c := *a
	c.Sections = nonNil(c.Sections)
	c.NotAssessed = nonNil(c.NotAssessed)
	c.Nodes = make([]finding.Node, len(a.Nodes))
	for i, n := range a.Nodes {
		n.Conditions, n.Taints, n.Roles = nonNil(n.Conditions), nonNil(n.Taints), nonNil(n.Roles)
		c.Nodes[i] = n
	}
	return &c
}
