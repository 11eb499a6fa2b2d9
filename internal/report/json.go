package report

import (
	"encoding/json"
	"io"
	"runtime"
	"strconv"
	"sync"
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
	if err := writeFindings(b, v.findings); err != nil {
		return err
	}
	if len(v.findings) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]")
	// The parts after the findings, each indented as a field of the report.
	key := func(k string) {
		b.WriteString(",\n  ")
		writeString(b, k)
		b.WriteString(": ")
	}
	indented := func(k string, v any) error {
		pb, err := json.MarshalIndent(v, "  ", "  ")
		if err == nil {
			key(k)
			b.Write(pb)
		}
		return err
	}
	if err := indented("notes", notes); err != nil {
		return err
	}
	key("podSecurity")
	if err := writePodSecurity(b, v.pss); err != nil {
		return err
	}
	if err := indented("rules", rules); err != nil {
		return err
	}
	if v.audit != nil {
		if err := indented("audit", auditJSON(v.audit)); err != nil {
			return err
		}
	}
	b.WriteString("\n}\n")
	return nil
}

// writeFindings writes the findings of the JSON report, one per line, each
// line but the first starting with a comma. Findings are encoded by every
// CPU in turn, a few thousand at a time, and written in order: on a large
// scan this is a quarter of the run, and it is the same work for each.
func writeFindings(w byteWriter, fs []finding.Finding) error {
	ids := fingerprintIDs(fs)
	const chunk = 2048
	workers := max(1, runtime.GOMAXPROCS(0))
	bufs := make([][]byte, workers)
	for round := 0; round < len(fs); round += chunk * workers {
		var wg sync.WaitGroup
		for k := range workers {
			start := round + k*chunk
			end := min(start+chunk, len(fs))
			bufs[k] = bufs[k][:0]
			if start >= end {
				continue
			}
			wg.Add(1)
			go func(k, start, end int) {
				defer wg.Done()
				b := bufs[k]
				for i := start; i < end; i++ {
					if i > 0 {
						b = append(b, ',')
					}
					b = append(b, "\n    "...)
					b = appendFinding(b, &fs[i], ids[i])
				}
				bufs[k] = b
			}(k, start, end)
		}
		wg.Wait()
		for _, b := range bufs {
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendFinding appends one finding as compact JSON with the field names
// and order of jsonFinding. It is written by hand because encoding/json's
// reflection dominated the whole scan on reports of 100k findings; the
// round-trip test decodes it back into jsonFinding.
func appendFinding(b []byte, f *finding.Finding, fp fingerprintID) []byte {
	b = append(b, `{"check":`...)
	b = appendString(b, f.Check)
	b = append(b, `,"title":`...)
	b = appendString(b, f.Title)
	b = append(b, `,"severity":"`...)
	b = append(b, f.Severity.String()...)
	b = append(b, `","object":{"apiVersion":`...)
	b = appendString(b, f.Object.APIVersion)
	b = append(b, `,"kind":`...)
	b = appendString(b, f.Object.Kind)
	if f.Object.Namespace != "" {
		b = append(b, `,"namespace":`...)
		b = appendString(b, f.Object.Namespace)
	}
	b = append(b, `,"name":`...)
	b = appendString(b, f.Object.Name)
	b = append(b, '}')
	if f.Container != "" {
		b = append(b, `,"container":`...)
		b = appendString(b, f.Container)
	}
	b = append(b, `,"place":{`...)
	sep := ""
	if f.Place.File != "" {
		b = append(b, `"file":`...)
		b = appendString(b, f.Place.File)
		sep = ","
	}
	if f.Place.Line != 0 {
		b = append(b, sep+`"line":`...)
		b = strconv.AppendInt(b, int64(f.Place.Line), 10)
		sep = ","
	}
	if f.Place.Column != 0 {
		b = append(b, sep+`"column":`...)
		b = strconv.AppendInt(b, int64(f.Place.Column), 10)
		sep = ","
	}
	if f.Place.Path != "" {
		b = append(b, sep+`"path":`...)
		b = appendString(b, f.Place.Path)
		sep = ","
	}
	if f.Place.Via != "" {
		b = append(b, sep+`"via":`...)
		b = appendString(b, f.Place.Via)
	}
	b = append(b, `},"message":`...)
	b = appendString(b, f.Message)
	if f.Exempted {
		b = append(b, `,"exempted":true`...)
	} else {
		b = append(b, `,"exempted":false`...)
	}
	if f.ExemptReason != "" {
		b = append(b, `,"exemptReason":`...)
		b = appendString(b, f.ExemptReason)
	}
	b = append(b, `,"fingerprint":"`...)
	b = fp.append(b)
	return append(b, `"}`...)
}

// writePodSecurity writes the podSecurity array as json.MarshalIndent
// writes a []jsonPodSecurity with prefix and indent "  ": there is one entry
// per workload, and encoding/json's reflection took a twentieth of a large
// scan's CPU, all of it after the parallel part. It goes out through a
// small buffer: growing one buffer to the whole array (3 MB for 10,000
// workloads) cost as much again in copies and fresh pages.
// TestWritePodSecurity holds it equal to json.MarshalIndent.
func writePodSecurity(w io.Writer, pss []finding.PodSecurity) error {
	if len(pss) == 0 {
		_, err := io.WriteString(w, "[]")
		return err
	}
	const flushAt = 32 << 10
	b := make([]byte, 0, flushAt+4<<10)
	b = append(b, '[')
	for i := range pss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPodSecurity(b, &pss[i])
		if len(b) >= flushAt {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	b = append(b, "\n  ]"...)
	_, err := w.Write(b)
	return err
}

// appendPodSecurity appends one entry of the podSecurity array.
func appendPodSecurity(b []byte, p *finding.PodSecurity) []byte {
	b = append(b, "\n    {\n      \"object\": {\n        \"apiVersion\": "...)
	b = appendHTMLString(b, p.Object.APIVersion)
	b = append(b, ",\n        \"kind\": "...)
	b = appendHTMLString(b, p.Object.Kind)
	if p.Object.Namespace != "" {
		b = append(b, ",\n        \"namespace\": "...)
		b = appendHTMLString(b, p.Object.Namespace)
	}
	b = append(b, ",\n        \"name\": "...)
	b = appendHTMLString(b, p.Object.Name)
	b = append(b, "\n      },\n      \"version\": "...)
	b = appendHTMLString(b, p.Version)
	b = append(b, ",\n      \"level\": "...)
	b = appendHTMLString(b, p.Level)
	return append(b, "\n    }"...)
}

// appendHTMLString appends s as json.Marshal does, HTML characters
// escaped: by hand when every byte is plain, through encoding/json when not.
func appendHTMLString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !jsonPlain[c] || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// jsonPlain marks the bytes a JSON string holds as they are: printable
// ASCII but the quote and the backslash.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, as encoding/json
// does (HTML characters are left alone, as with SetEscapeHTML(false)).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Plain ASCII, nearly all of a report, in the tightest loop.
		for i < len(s) && jsonPlain[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, `\u00`...)
				b = append(b, hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// writeString writes s to b as a JSON string (see appendString).
func writeString(b byteWriter, s string) {
	var buf [64]byte
	b.Write(appendString(buf[:0], s))
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
