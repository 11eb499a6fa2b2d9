package cli

import (
	"math"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/workload"
)

// A scan holds the workload findings of every file until the report is
// made, and at 264 bytes a Finding, most of it the object, the place and
// the check's metadata that every finding of an object or a check
// repeats, they were a third of the live heap while the files were read.
// An input keeps them as compactFindings (80 bytes), whose object and
// check are indexes into tables, and they are expanded, exactly, when the
// report is made.

// compactFinding is a finding without what its object and check give.
type compactFinding struct {
	line, column int32
	subject      int32  // index in inputScan.subjects
	check        uint16 // index in checkTable.meta
	severity     int8
	exempted     bool
	container    string
	path         string
	message      string
	exemptReason string
}

// findingSubject is what the findings of one object share.
type findingSubject struct {
	ref       finding.ObjectRef
	file, via string
}

// checkTable holds the metadata of every workload check, which findings
// carry unchanged (see workload.Runner).
type checkTable struct {
	index map[string]uint16
	meta  []finding.Finding // Check, Title, Remediation and Controls only
}

func newCheckTable() *checkTable {
	t := &checkTable{index: map[string]uint16{}}
	for _, c := range workload.Checks() {
		t.index[c.ID] = uint16(len(t.meta))
		t.meta = append(t.meta, finding.Finding{Check: c.ID, Title: c.Title, Remediation: c.Remediation, Controls: c.Controls})
	}
	return t
}

// compact stores fs, an input's findings, in in in compact form, and
// reports false, having stored nothing, when some finding does not fit it
// (a check's metadata that differs from the check's, a line beyond
// int32): the input then keeps its findings as they are. Paths and messages are interned in
// strs: a scan's findings have few distinct ones (63 paths and 1,902
// messages among the 115k findings of the 10k corpus), and their copies
// were a seventh of the live heap.
func (t *checkTable) compact(in *inputScan, fs []finding.Finding, strs map[string]string) bool {
	out := make([]compactFinding, len(fs))
	var subjects []findingSubject
	for i := range fs {
		f := &fs[i]
		c, ok := t.index[f.Check]
		if !ok || !t.fits(c, f) {
			return false
		}
		s := findingSubject{ref: f.Object, file: f.Place.File, via: f.Place.Via}
		if len(subjects) == 0 || subjects[len(subjects)-1] != s {
			subjects = append(subjects, s)
		}
		out[i] = compactFinding{
			line: int32(f.Place.Line), column: int32(f.Place.Column), subject: int32(len(subjects) - 1),
			check: c, severity: int8(f.Severity), exempted: f.Exempted,
			container: f.Container, path: intern(strs, f.Place.Path), message: intern(strs, f.Message), exemptReason: f.ExemptReason,
		}
	}
	in.subjects, in.compact = subjects, out
	return true
}

// intern returns the string of strs equal to s, adding s when there is
// none. Long strings are not kept, and strs starts over when it is full,
// so that it stays small whatever the input.
func intern(strs map[string]string, s string) string {
	const maxLen, maxStrings = 256, 4096
	if len(s) > maxLen {
		return s
	}
	if v, ok := strs[s]; ok {
		return v
	}
	if len(strs) >= maxStrings {
		clear(strs)
	}
	strs[s] = s
	return s
}

// fits reports whether f carries check c's metadata as it is, and numbers
// that the compact form holds.
func (t *checkTable) fits(c uint16, f *finding.Finding) bool {
	m := &t.meta[c]
	return f.Title == m.Title && f.Remediation == m.Remediation && sameStrings(f.Controls, m.Controls) &&
		f.Place.Line >= math.MinInt32 && f.Place.Line <= math.MaxInt32 &&
		f.Place.Column >= math.MinInt32 && f.Place.Column <= math.MaxInt32 &&
		f.Severity >= math.MinInt8 && f.Severity <= math.MaxInt8
}

// sameStrings reports whether a and b are the same slice (not only equal:
// the expanded finding must share the check's).
func sameStrings(a, b []string) bool {
	return len(a) == len(b) && cap(a) == cap(b) && (len(a) == 0 || &a[0] == &b[0])
}

// expand writes the findings of in to dst, which has room for them.
func (t *checkTable) expand(dst []finding.Finding, in *inputScan) {
	for i := range in.compact {
		c := &in.compact[i]
		s := &in.subjects[c.subject]
		m := &t.meta[c.check]
		dst[i] = finding.Finding{
			Check:     m.Check,
			Title:     m.Title,
			Severity:  finding.Severity(c.severity),
			Object:    s.ref,
			Container: c.container,
			Place: finding.Place{File: s.file, Line: int(c.line), Column: int(c.column), Path: c.path,
				Via: s.via},
			Message:      c.message,
			Remediation:  m.Remediation,
			Controls:     m.Controls,
			Exempted:     c.exempted,
			ExemptReason: c.exemptReason,
		}
	}
}
