package report

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rampart-dev/rampart/internal/finding"
)

// ANSI SGR sequences, used only when Options.Color is set.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiFaint  = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiBoldRd = "\x1b[1;31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiCyan   = "\x1b[36m"
)

// severityColor follows the usual scanner palette: bold red, red, yellow,
// cyan, blue from critical down to info.
var severityColor = [...]string{
	finding.Info:     ansiBlue,
	finding.Low:      ansiCyan,
	finding.Medium:   ansiYellow,
	finding.High:     ansiRed,
	finding.Critical: ansiBoldRd,
}

const (
	maxListedSkipped = 5  // info notes listed one by one up to this many
	maxCheckColumn   = 32 // check IDs wider than this are not padded
	sevColumn        = len("CRITICAL")
)

type textWriter struct {
	b     *bytes.Buffer
	color bool
}

func (t *textWriter) paint(code, s string) string {
	if !t.color || code == "" || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) line(format string, args ...any) {
	fmt.Fprintf(t.b, format, args...)
	t.b.WriteByte('\n')
}

// renderText writes the human report: input problems, then findings
// grouped by file and object, then skipped documents, then one summary line.
func renderText(b *bytes.Buffer, v *view) error {
	v = printable(v)
	t := &textWriter{b: b, color: v.opts.Color}
	section := func() {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
	}

	var problems, skipped []finding.Note
	for _, n := range v.notes {
		if n.Level == finding.NoteError {
			problems = append(problems, n)
		} else {
			skipped = append(skipped, n)
		}
	}
	if len(problems) > 0 {
		section()
		t.line("%s", t.paint(ansiBoldRd, "Input problems:"))
		t.notes(problems)
	}

	checkWidth := 0
	for _, f := range v.findings {
		checkWidth = max(checkWidth, min(len(f.Check), maxCheckColumn))
	}
	if v.audit != nil {
		section()
		t.auditHead(v.audit)
		for _, sec := range bySection(v.findings) {
			section()
			t.line("%s", t.paint(ansiBold, "== "+sec.title+" =="))
			for _, g := range groupFindings(sec.findings) {
				t.line("")
				t.group(g, checkWidth)
			}
		}
		if len(v.audit.Nodes) > 0 {
			section()
			t.nodes(v.audit.Nodes)
		}
	} else {
		for _, g := range groupFindings(v.findings) {
			section()
			t.group(g, checkWidth)
		}
	}

	if len(skipped) > 0 {
		section()
		t.skipped(skipped)
	}
	if len(v.pss) > 0 {
		section()
		t.podSecurity(v.pss)
	}
	if b.Len() > 0 {
		b.WriteByte('\n')
	}
	t.summary(v)
	return nil
}

// group is the findings on one object in one file.
type group struct {
	file     string
	object   finding.ObjectRef
	line     int // first known line of its findings, 0 if none
	via      string
	findings []finding.Finding
}

// groupFindings groups sorted findings by file then object, in order of
// first appearance (so by file, then by position in the file).
func groupFindings(fs []finding.Finding) []*group {
	type key struct {
		file   string
		object finding.ObjectRef
	}
	var out []*group
	byKey := map[key]*group{}
	for _, f := range fs {
		k := key{f.Place.File, f.Object}
		g, ok := byKey[k]
		if !ok {
			g = &group{file: f.Place.File, object: f.Object, via: f.Place.Via}
			byKey[k] = g
			out = append(out, g)
		}
		if f.Place.Line > 0 && (g.line == 0 || f.Place.Line < g.line) {
			g.line = f.Place.Line
		}
		g.findings = append(g.findings, f)
	}
	slices.SortStableFunc(out, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.line, b.line))
	})
	// Within an object the most urgent come first, exempted ones last;
	// the sort is stable, so equal ones stay in line order.
	for _, g := range out {
		slices.SortStableFunc(g.findings, func(a, b finding.Finding) int {
			if a.Exempted != b.Exempted {
				if a.Exempted {
					return 1
				}
				return -1
			}
			return cmp.Compare(b.Severity, a.Severity)
		})
	}
	return out
}

func (t *textWriter) group(g *group, checkWidth int) {
	head := finding.Place{File: g.file, Line: g.line, Via: g.via}.String()
	if head != "" {
		head += " "
	}
	t.line("%s", t.paint(ansiBold, head+g.object.String()))
	indent := strings.Repeat(" ", 2+sevColumn+2)
	// One fix line per check per object: the same check on several
	// containers needs the same fix, said once.
	fixed := map[string]bool{}
	for _, f := range g.findings {
		sevCell := fmt.Sprintf("%-*s", sevColumn, strings.ToUpper(f.Severity.String()))
		checkCell := fmt.Sprintf("%-*s", checkWidth, f.Check)
		msg := f.Message + containerNote(f)
		if loc := (finding.Place{File: f.Place.File, Line: f.Place.Line}).String(); loc != "" {
			msg += "  " + loc
		}
		if f.Exempted {
			mark := "(exempted)"
			if f.ExemptReason != "" {
				mark = "(exempted: " + f.ExemptReason + ")"
			}
			t.line("%s", t.paint(ansiFaint, "  "+sevCell+"  "+checkCell+"  "+msg+"  "+mark))
			continue
		}
		t.line("  %s  %s  %s", t.paint(severityColor[f.Severity], sevCell), checkCell, msg)
		if fix := firstLine(f.Remediation); fix != "" && !fixed[f.Check+"\x00"+fix] {
			fixed[f.Check+"\x00"+fix] = true
			t.line("%s%s %s", indent, t.paint(ansiGreen, "fix:"), fix)
		}
	}
}

// containerNote is " (container NAME)", or "" when there is no container or
// the message already names it in quotes.
func containerNote(f finding.Finding) string {
	if f.Container == "" || strings.Contains(f.Message, `"`+f.Container+`"`) {
		return ""
	}
	return " (container " + f.Container + ")"
}

// notes lists notes as "file:line  message", locations aligned.
func (t *textWriter) notes(ns []finding.Note) {
	width := 0
	for _, n := range ns {
		width = max(width, len(noteLoc(n)))
	}
	for _, n := range ns {
		loc := noteLoc(n)
		if loc == "" {
			t.line("  %s", n.Message)
			continue
		}
		t.line("  %-*s  %s", width, loc, n.Message)
	}
}

func noteLoc(n finding.Note) string {
	return finding.Place{File: n.File, Line: n.Line}.String()
}

// skipped summarises info notes: listed when there are few, otherwise
// counted by message.
func (t *textWriter) skipped(ns []finding.Note) {
	t.line("%s skipped:", plural(len(ns), "document", "documents"))
	if len(ns) <= maxListedSkipped {
		t.notes(ns)
		return
	}
	count := map[string]int{}
	var msgs []string
	for _, n := range ns {
		if count[n.Message] == 0 {
			msgs = append(msgs, n.Message)
		}
		count[n.Message]++
	}
	slices.SortStableFunc(msgs, func(a, b string) int { return cmp.Compare(count[b], count[a]) })
	for _, m := range msgs {
		t.line("  %s (%s)", m, plural(count[m], "document", "documents"))
	}
}

// podSecurity counts workloads by the Pod Security Standards level they meet.
func (t *textWriter) podSecurity(ps []finding.PodSecurity) {
	count := map[string]int{}
	levels := []string{"restricted", "baseline", "privileged"}
	for _, p := range ps {
		if count[p.Level] == 0 && !slices.Contains(levels, p.Level) {
			levels = append(levels, p.Level)
		}
		count[p.Level]++
	}
	parts := make([]string, len(levels))
	for i, l := range levels {
		parts[i] = fmt.Sprintf("%d %s", count[l], l)
	}
	t.line("Pod Security Standards: %s (%s)", strings.Join(parts, ", "), plural(len(ps), "workload", "workloads"))
}

// summary writes the last line:
// N findings (C critical, H high, M medium, L low, I info), E exempted, in F files, O objects
func (t *textWriter) summary(v *view) {
	s := v.summary
	parts := make([]string, 0, 5)
	for sev := finding.Critical; sev >= finding.Info; sev-- {
		p := fmt.Sprintf("%d %s", s.bySeverity[sev], sev)
		if s.bySeverity[sev] > 0 {
			p = t.paint(severityColor[sev], p)
		}
		parts = append(parts, p)
	}
	head := plural(s.total, "finding", "findings")
	if s.total == 0 {
		head = t.paint(ansiGreen, head)
	} else {
		head = t.paint(ansiBold, head)
	}
	t.line("%s (%s), %d exempted, in %s, %s", head, strings.Join(parts, ", "), s.exempted,
		plural(v.files, "file", "files"), plural(v.objects, "object", "objects"))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// printable returns a copy of v whose strings hold no control characters,
// so that text from the input (an image name, a YAML error quoting the
// file) can neither inject terminal escapes nor break the layout: tabs and
// line breaks become spaces, other controls a visible \xNN, and bytes that
// are not UTF-8 (a lone 0x9b is CSI to some terminals) U+FFFD.
func printable(v *view) *view {
	c := *v
	obj := func(r finding.ObjectRef) finding.ObjectRef {
		return finding.ObjectRef{APIVersion: clean(r.APIVersion), Kind: clean(r.Kind), Namespace: clean(r.Namespace), Name: clean(r.Name)}
	}
	c.findings = make([]finding.Finding, len(v.findings))
	for i, f := range v.findings {
		f.Check, f.Message, f.Container, f.ExemptReason = clean(f.Check), clean(f.Message), clean(f.Container), clean(f.ExemptReason)
		f.Remediation = clean(firstLine(f.Remediation))
		f.Place.File, f.Place.Path = clean(f.Place.File), clean(f.Place.Path)
		f.Object = obj(f.Object)
		c.findings[i] = f
	}
	c.notes = make([]finding.Note, len(v.notes))
	for i, n := range v.notes {
		n.File, n.Message = clean(n.File), clean(n.Message)
		c.notes[i] = n
	}
	c.pss = make([]finding.PodSecurity, len(v.pss))
	for i, p := range v.pss {
		p.Object, p.Level = obj(p.Object), clean(p.Level)
		c.pss[i] = p
	}
	return &c
}

func clean(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case isControl(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isControl reports C0 and C1 control characters and DEL.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f)
}
