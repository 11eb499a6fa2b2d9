package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/report"
)

// matcher runs gitleaks' rule catalog the way gitleaks' Detector does
// (detect.go, DetectContext and detectRule, v8.30.1) and finds the same
// findings, but looks at much less text. gitleaks, for every fragment,
// lower-cases it, finds the keywords, then runs every rule whose keyword
// occurs over the whole fragment, so a word such as "key" or "token"
// anywhere in a file makes its rules read all of it. The matcher finds the
// keywords in one pass and runs each rule only over the lines around its
// own keywords, where ruleshape.go proves that is enough; the other rules
// run over the whole file as gitleaks runs them. From each match on, every
// step is gitleaks': secret extraction, secret group, entropy, global and
// rule allowlists (stop words, regexes and their targets, AND/OR
// conditions, paths) and the generic-rule deduplication.
// TestMatcherAgreesWithGitleaks and FuzzMatcherAgreesWithGitleaks hold it
// to that.
//
// The matcher reproduces a Detector with IgnoreGitleaksAllow set (Rampart
// reports allowed findings as exempted) and no decoding (MaxDecodeDepth 0),
// on fragments that have a path and no commit.
type matcher struct {
	cfg   config.Config
	rules []*matchRule
	// kw finds the keywords; owners lists, per keyword, the rules that
	// run windowed around it.
	kw       *keywordDFA
	keywords []string
	owners   [][]int
	// global are gitleaks' global allowlists, whole.
	global []*config.Allowlist
	states sync.Pool
}

type matchRule struct {
	config.Rule
	shape ruleShape
	// kw are the indexes of the rule's keywords in matcher.keywords.
	kw []int
	// required are lower-case strings every match holds: a whole-file
	// rule is not run on a file that lacks one of them.
	required [][]byte
	// gate, when set, reports false only for text in which no match of
	// the rule can give a finding (see mayHoldGenericSecret).
	gate func([]byte) bool
	// lines, for a whole-file rule, checks parts of its expression on the
	// lines that could hold them (see wholegate.go).
	lines *lineGate
}

// errUnsupportedRule: a configuration uses a gitleaks feature the matcher
// does not reproduce (composite rules).
var errUnsupportedRule = errors.New("rule not supported by the matcher")

func newMatcher(cfg config.Config) (*matcher, error) {
	m := &matcher{cfg: cfg, global: cfg.Allowlists}
	index := map[string]int{}
	for k := range cfg.Keywords {
		index[k] = len(m.keywords)
		m.keywords = append(m.keywords, k)
	}
	m.owners = make([][]int, len(m.keywords))
	for _, id := range cfg.OrderedRules {
		r, ok := cfg.Rules[id]
		if !ok {
			continue
		}
		if len(r.RequiredRules) > 0 {
			return nil, fmt.Errorf("%s: %w: required rules", id, errUnsupportedRule)
		}
		mr := &matchRule{Rule: r}
		for _, k := range r.Keywords {
			i, ok := index[strings.ToLower(k)]
			if !ok {
				return nil, fmt.Errorf("%s: keyword %q missing from the configuration's keywords", id, k)
			}
			mr.kw = append(mr.kw, i)
		}
		if r.Regex != nil {
			mr.shape = shapeOf(r.Regex.String(), r.Keywords)
			mr.required = requiredLiterals(r.Regex.String())
			if !mr.shape.local {
				mr.lines = lineGateOf(r.Regex.String())
			}
		}
		if id == genericRule && r.Regex != nil && r.Regex.String() == genericRegex {
			mr.gate = mayHoldGenericSecret
		}
		ri := len(m.rules)
		m.rules = append(m.rules, mr)
		if mr.shape.local {
			for _, i := range mr.kw {
				m.owners[i] = append(m.owners[i], ri)
			}
		}
	}
	kw, err := newKeywordDFA(m.keywords)
	if err != nil {
		return nil, fmt.Errorf("rule keywords: %w", err)
	}
	m.kw = kw
	m.states.New = func() any {
		return &matchState{present: make([]bool, len(m.keywords)), hits: make([][]int, len(m.rules))}
	}
	return m, nil
}

// genericRegex is the expression of gitleaks v8.30's generic-api-key rule,
// the one mayHoldGenericSecret was derived from: the gate applies only
// while the rule is unchanged.
const genericRegex = `(?i)[\w.-]{0,50}?(?:access|auth|(?-i:[Aa]pi|API)|credential|creds|key|passw(?:or)?d|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)`

// matchState is one scan's scratch space, reused across files.
type matchState struct {
	lower   []byte
	present []bool
	// hits are, per windowed rule, the 0-based lines its keywords are on.
	hits    [][]int
	touched []int
	// nl are the offsets of content's line breaks.
	nl []int
}

func (st *matchState) reset() {
	clear(st.present)
	for _, i := range st.touched {
		st.hits[i] = st.hits[i][:0]
	}
	st.touched = st.touched[:0]
	st.nl = st.nl[:0]
}

// find returns what gitleaks' Detector returns for a fragment with this
// path and content (in another order). Rules for which skip is true are
// not run (their findings would be dropped anyway).
func (m *matcher) find(ctx context.Context, path string, content []byte, skip func(*matchRule) bool) []report.Finding {
	if m.skipsPath(path) {
		return nil
	}
	return m.findIn(ctx, path, content, skip)
}

// skipsPath reports whether gitleaks skips a file by its path: the
// configuration's own file, or a path in a global allowlist (images,
// fonts, vendored dependencies, lock files …). Matching some 25 path
// patterns is a good part of a small file's cost: callers that need the
// answer themselves call this once and then findIn.
func (m *matcher) skipsPath(path string) bool {
	return (path != "" && path == m.cfg.Path) || pathOrCommitAllowed(path, m.global)
}

// findIn is find for a path that skipsPath has let through.
func (m *matcher) findIn(ctx context.Context, path string, content []byte, skip func(*matchRule) bool) []report.Finding {
	st := m.states.Get().(*matchState)
	defer func() {
		st.reset()
		m.states.Put(st)
	}()
	// gitleaks lower-cases with strings.ToLower. On ASCII, and on any
	// text without the three runes that lower-case or case-fold to ASCII
	// letters, lower-casing A-Z finds the same keywords, and the rules'
	// case-insensitive expressions cannot match a keyword's letters with
	// anything but ASCII: ruleshape.go's argument holds. Otherwise every
	// rule runs over the whole file, as in gitleaks.
	exotic := hasCaseFoldExotics(content)
	text := content
	if exotic {
		st.lower = append(st.lower[:0], strings.ToLower(string(content))...)
		text = st.lower
	}
	lineNo, counted := 0, 0
	m.kw.walk(text, func(end, idx int) {
		st.present[idx] = true
		if exotic {
			return
		}
		lineNo += bytes.Count(content[counted:end], newline)
		counted = end
		for _, ri := range m.owners[idx] {
			h := st.hits[ri]
			if len(h) == 0 {
				st.touched = append(st.touched, ri)
			} else if h[len(h)-1] == lineNo {
				continue
			}
			st.hits[ri] = append(h, lineNo)
		}
	})
	lines := &lineIndex{content: content, nl: &st.nl, lower: &st.lower, folds: !exotic}
	var found []report.Finding
	for ri, r := range m.rules {
		if ctx.Err() != nil {
			break
		}
		if skip != nil && skip(r) {
			continue
		}
		if len(r.Keywords) > 0 && !anyPresent(st.present, r.kw) {
			continue
		}
		if r.SkipReport || pathOrCommitAllowed(path, r.Allowlists) {
			continue
		}
		if r.Path != nil {
			if r.Regex == nil {
				if r.Path.MatchString(path) {
					found = append(found, report.Finding{RuleID: r.RuleID, Description: r.Description,
						File: path, Match: "file detected: " + path, Tags: r.Tags})
				}
				continue
			}
			if !r.Path.MatchString(path) {
				continue
			}
		}
		if r.Regex == nil {
			continue
		}
		if exotic || !r.shape.local {
			if !exotic && r.lines != nil && !r.lines.mayMatch(content, lines.lowered(0, len(content))) {
				continue
			}
			found = m.detect(found, r, path, lines, 0, len(content))
			continue
		}
		found = m.windows(found, r, path, lines, st.hits[ri])
	}
	return dedupGeneric(found)
}

// windows runs a local rule over the lines within its maxNL of its keyword
// lines, windows that overlap merged (see ruleshape.go).
func (m *matcher) windows(found []report.Finding, r *matchRule, path string, lines *lineIndex, hits []int) []report.Finding {
	if r.shape.cuts != nil {
		return m.cutWindows(found, r, path, lines, hits)
	}
	k := r.shape.maxNL
	start, end := -1, -1 // current window, in lines
	flush := func() { found = m.window(found, r, path, lines, start, end) }
	for _, h := range hits {
		lo, hi := max(0, h-k), h+k
		if start >= 0 && lo <= end { // windows that only touch need not merge: the line between is a safe cut
			end = max(end, hi)
			continue
		}
		flush()
		start, end = lo, hi
	}
	flush()
	return found
}

// window runs a rule over lines start to end (none when start < 0), if
// the rule's gate lets them through.
func (m *matcher) window(found []report.Finding, r *matchRule, path string, lines *lineIndex, start, end int) []report.Finding {
	if start < 0 {
		return found
	}
	from, to := lines.span(start, end)
	if r.gate == nil || r.gate(lines.content[from:to]) {
		found = m.detect(found, r, path, lines, from, to)
	}
	return found
}

// cutWindows runs a rule over the lines around its keyword lines, each
// window grown from a keyword line across the line starts a match can
// cross (see linecut.go).
func (m *matcher) cutWindows(found []report.Finding, r *matchRule, path string, lines *lineIndex, hits []int) []report.Finding {
	nl := lines.breaks()
	last := len(nl)                    // the last line's index
	crossable := func(line int) bool { // can a match cross into line?
		return line > 0 && line <= last && r.shape.cuts.crossable(lines.content, nl[line-1]+1)
	}
	start, end := -1, -1
	flush := func() { found = m.window(found, r, path, lines, start, end) }
	for _, h := range hits {
		if start >= 0 && h <= end {
			continue
		}
		lo, hi := h, h
		for lo > 0 && (start < 0 || lo > end+1) && crossable(lo) {
			lo--
		}
		for crossable(hi + 1) {
			hi++
		}
		if start >= 0 && lo <= end { // cannot happen: kept for safety
			end = hi
			continue
		}
		flush()
		start, end = lo, hi
	}
	flush()
	return found
}

// detect is gitleaks' detectRule from the regular expression on, over
// content[from:to]: the byte after to is passed along so that assertions
// at the window's end see it, and matches starting there are left to the
// window that holds them.
func (m *matcher) detect(found []report.Finding, r *matchRule, path string, lines *lineIndex, from, to int) []report.Finding {
	content := lines.content
	text := content[from:min(len(content), to+1)]
	if len(r.required) > 0 && lines.folds && !containsAll(lines.lowered(from, to), r.required) {
		return found
	}
	for _, mi := range r.Regex.FindAllIndex(text, -1) {
		if mi[0] >= to-from {
			break
		}
		start := from + mi[0]
		secret := strings.Trim(string(content[start:from+mi[1]]), "\n")
		end := start + len(secret)
		loc := lines.location(start, end)
		if end > loc.endLineIndex {
			loc.endLineIndex = end
		}
		f := report.Finding{
			RuleID:      r.RuleID,
			Description: r.Description,
			StartLine:   loc.startLine,
			EndLine:     loc.endLine,
			StartColumn: loc.startColumn,
			EndColumn:   loc.endColumn,
			Match:       secret,
			Secret:      secret,
			File:        path,
			Tags:        r.Tags,
		}
		lineText := func() string { return string(content[loc.startLineIndex:loc.endLineIndex]) }
		groups := r.Regex.FindStringSubmatch(f.Secret)
		if len(groups) >= 2 {
			if r.SecretGroup > 0 {
				if len(groups) <= r.SecretGroup {
					continue
				}
				f.Secret = groups[r.SecretGroup]
			} else {
				for _, s := range groups[1:] {
					if len(s) > 0 {
						f.Secret = s
						break
					}
				}
			}
		}
		entropy := shannonEntropy(f.Secret)
		f.Entropy = float32(entropy)
		if r.Entropy != 0.0 && entropy <= r.Entropy {
			continue
		}
		if findingAllowed(f, path, lineText, m.global) || findingAllowed(f, path, lineText, r.Allowlists) {
			continue
		}
		f.Line = lineText()
		found = append(found, f)
	}
	return found
}

func anyPresent(present []bool, idx []int) bool {
	for _, i := range idx {
		if present[i] {
			return true
		}
	}
	return false
}
