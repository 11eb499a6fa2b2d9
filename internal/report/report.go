// Package report renders a finding.Report for people (text) and machines
// (JSON, SARIF, JUnit XML). It only renders: it knows nothing about which
// analyzer produced a finding or where the objects came from.
package report

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rampart-dev/rampart/internal/finding"
)

// Options change how a report is rendered.
type Options struct {
	// BaseDir makes file paths relative (SARIF needs relative URIs); "" = leave as is.
	BaseDir string
	// Color enables ANSI colour in text output (the CLI sets it only on a TTY).
	Color bool
	// ToolVersion is the rampart version string.
	ToolVersion string
}

// Formats lists the accepted -o values.
var Formats = []string{"text", "json", "sarif", "junit", "html"}

// ErrUnknownFormat is returned (wrapped) by Render for a format not in Formats.
var ErrUnknownFormat = errors.New("unknown output format")

// toolName is the driver / tool name in every machine format.
const toolName = "rampart"

// Render writes rep in format to w. An unknown format is an error wrapping
// ErrUnknownFormat. Text, SARIF and JUnit are built in memory first, so a
// rendering error never leaves half a document on w; JSON, which can run
// to tens of megabytes, is streamed (its writer cannot fail but on w). A
// nil rep renders as an empty report.
func Render(w io.Writer, format string, rep *finding.Report, opts Options) error {
	if rep == nil {
		rep = &finding.Report{}
	}
	var render func(*bytes.Buffer, *view) error
	switch format {
	case "text":
		render = renderText
	case "json":
		bw := bufio.NewWriterSize(w, 1<<16)
		if err := renderJSON(bw, newView(rep, opts)); err != nil {
			return fmt.Errorf("render json: %w", err)
		}
		return bw.Flush()
	case "sarif":
		render = renderSARIF
	case "junit":
		render = renderJUnit
	case "html":
		render = renderHTML
	default:
		return fmt.Errorf("%w %q (want one of %s)", ErrUnknownFormat, format, strings.Join(Formats, ", "))
	}
	var buf bytes.Buffer
	if err := render(&buf, newView(rep, opts)); err != nil {
		return fmt.Errorf("render %s: %w", format, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// view is the report as every renderer sees it: paths made relative to
// BaseDir, notes and Pod Security entries in a stable order, rules
// completed and indexed, counts done once. The input report is not changed.
type view struct {
	opts     Options
	version  string
	findings []finding.Finding
	notes    []finding.Note
	rules    []finding.Rule
	ruleIdx  map[string]int
	pss      []finding.PodSecurity
	audit    *finding.Audit
	summary  summary
	files    int
	objects  int
}

// summary counts findings; exempted findings are counted apart and never
// in the per-severity counts.
type summary struct {
	total      int // not exempted
	bySeverity [finding.Critical + 1]int
	exempted   int
	errors     int // error notes
	skipped    int // info notes
}

func newView(rep *finding.Report, opts Options) *view {
	v := &view{opts: opts, version: cmp.Or(opts.ToolVersion, rep.Version), files: rep.Files, objects: rep.Objects}

	// The view shares the report's findings until one must change: a
	// scan's findings are tens of megabytes, and usually none changes.
	v.findings = rep.Findings
	copied := false
	// Findings of one file come together, so one cached path saves a
	// filepath.Rel per finding.
	var lastFile, lastRel string
	for i := range v.findings {
		f := &v.findings[i]
		if f.Place.File != lastFile || i == 0 {
			lastFile, lastRel = f.Place.File, relPath(opts.BaseDir, f.Place.File)
		}
		if sev := clampSeverity(f.Severity); (f.Place.File != lastRel || sev != f.Severity) && !copied {
			v.findings, copied = slices.Clone(v.findings), true
			f = &v.findings[i]
		}
		if copied {
			f.Place.File = lastRel
			f.Severity = clampSeverity(f.Severity)
		}
		switch {
		case f.Exempted:
			v.summary.exempted++
		default:
			v.summary.total++
			v.summary.bySeverity[f.Severity]++
		}
	}
	// Relative paths can sort differently from the absolute ones they were.
	if copied {
		finding.Sort(v.findings)
	} else if !finding.IsSorted(v.findings) {
		v.findings = slices.Clone(v.findings)
		finding.Sort(v.findings)
	}

	v.notes = make([]finding.Note, len(rep.Notes))
	for i, n := range rep.Notes {
		n.File = relPath(opts.BaseDir, n.File)
		v.notes[i] = n
		if n.Level == finding.NoteError {
			v.summary.errors++
		} else {
			v.summary.skipped++
		}
	}
	slices.SortStableFunc(v.notes, func(a, b finding.Note) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Level, b.Level), cmp.Compare(a.Message, b.Message))
	})

	v.rules, v.ruleIdx = completeRules(rep.Rules, v.findings)

	// Sorted by each object's reference as a string, made once per entry:
	// making it in every comparison was a tenth of writing a large report.
	type keyed struct {
		key string
		p   finding.PodSecurity
	}
	pss := make([]keyed, 0, len(rep.PodSecurity))
	for _, p := range rep.PodSecurity {
		pss = append(pss, keyed{p.Object.String(), p})
	}
	slices.SortFunc(pss, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.p.Object.APIVersion, b.p.Object.APIVersion))
	})
	if len(pss) > 0 {
		v.pss = make([]finding.PodSecurity, len(pss))
		for i, k := range pss {
			v.pss[i] = k.p
		}
	}
	if rep.Audit != nil {
		a := *rep.Audit
		a.Snapshot = relPath(opts.BaseDir, a.Snapshot)
		v.audit = &a
	}
	return v
}

// completeRules returns the rules sorted by ID, without duplicates (the
// first wins), plus a rule made from the finding itself for any finding
// whose check is not among them, so every finding has a rule to point at.
func completeRules(given []finding.Rule, fs []finding.Finding) ([]finding.Rule, map[string]int) {
	seen := map[string]bool{}
	var rules []finding.Rule
	for _, r := range given {
		r.Severity = clampSeverity(r.Severity)
		if !seen[r.ID] {
			seen[r.ID] = true
			rules = append(rules, r)
		}
	}
	for _, f := range fs {
		if !seen[f.Check] {
			seen[f.Check] = true
			rules = append(rules, finding.Rule{ID: f.Check, Title: f.Title, Severity: f.Severity, Remediation: f.Remediation, Controls: f.Controls})
		}
	}
	slices.SortStableFunc(rules, func(a, b finding.Rule) int { return cmp.Compare(a.ID, b.ID) })
	idx := make(map[string]int, len(rules))
	for i, r := range rules {
		idx[r.ID] = i
	}
	return rules, idx
}

// clampSeverity keeps an out-of-range severity from reaching an output,
// where it could be neither counted nor parsed back.
func clampSeverity(s finding.Severity) finding.Severity {
	return min(max(s, finding.Info), finding.Critical)
}

// relPath makes an absolute path under base relative to it. Relative paths
// are taken to be relative to base already (the CLI passes the working
// directory) and are left alone, as are paths outside base.
func relPath(base, p string) string {
	if base == "" || p == "" || !filepath.IsAbs(p) {
		return p
	}
	if !filepath.IsAbs(base) {
		abs, err := filepath.Abs(base)
		if err != nil {
			return p
		}
		base = abs
	}
	rel, err := filepath.Rel(base, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return rel
}

// fingerprint identifies a finding across runs: a hash of the check, the
// object (kind, namespace, name), the container and the field path. Line
// numbers and the file are left out on purpose, so that moving a manifest's
// text around does not make a finding look new.
func fingerprint(f finding.Finding) string {
	var buf []byte
	sum := fingerprintSum(&buf, &f)
	return hex.EncodeToString(sum[:])
}

// fingerprintSum is the first 128 bits of the fingerprint's hash; buf is
// reused across calls to save an allocation per finding.
func fingerprintSum(buf *[]byte, f *finding.Finding) [16]byte {
	b := (*buf)[:0]
	for _, s := range [...]string{f.Check, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Container, f.Place.Path} {
		b = append(b, s...)
		b = append(b, 0)
	}
	*buf = b
	full := sha256.Sum256(b)
	return [16]byte(full[:16])
}

// fingerprints returns the fingerprint of every finding in order.
func fingerprints(fs []finding.Finding) []string {
	ids := fingerprintIDs(fs)
	out := make([]string, len(fs))
	for i, id := range ids {
		out[i] = string(id.append(nil))
	}
	return out
}

// fingerprintID is a finding's fingerprint: its hash, and which finding
// with that hash it is (1 for the first).
type fingerprintID struct {
	sum [16]byte
	n   int
}

// append appends the fingerprint as hex; findings that hash alike (same
// check, object, container and path) get ":2", ":3"… in order of
// appearance, so each stays distinct.
func (id fingerprintID) append(b []byte) []byte {
	b = hex.AppendEncode(b, id.sum[:])
	if id.n > 1 {
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(id.n), 10)
	}
	return b
}

// fingerprintIDs returns the fingerprint of every finding in order. The
// hashes are computed by every CPU, and the repeats numbered by every CPU,
// each for the hashes of its share.
func fingerprintIDs(fs []finding.Finding) []fingerprintID {
	ids := make([]fingerprintID, len(fs))
	workers := max(1, runtime.GOMAXPROCS(0))
	per := (len(fs) + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < len(fs); start += per {
		end := min(start+per, len(fs))
		wg.Add(1)
		go func(start, end int) {
			defer wg.Done()
			var buf []byte
			for i := start; i < end; i++ {
				ids[i].sum = fingerprintSum(&buf, &fs[i])
			}
		}(start, end)
	}
	wg.Wait()
	// Each worker numbers the repeats of its own share of the sums, in
	// order: a sum always falls in the same share, so the counts are the
	// ones one pass would give, and one map of every sum was a tenth of
	// writing a large report.
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := make(map[[16]byte]int, len(fs)/workers+1)
			for i := range ids {
				if int(ids[i].sum[0])%workers != w {
					continue
				}
				seen[ids[i].sum]++
				ids[i].n = seen[ids[i].sum]
			}
		}()
	}
	wg.Wait()
	return ids
}

// plural writes "1 file" or "3 files".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// nonNil returns s, or an empty slice for nil, so JSON shows [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
