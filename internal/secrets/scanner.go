package secrets

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/rs/zerolog"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
	"github.com/zricethezav/gitleaks/v8/report"
)

// Fragment is one piece of content to scan: a file, an archive member, an
// image layer's file or the lines a commit added to a file.
type Fragment struct {
	// Path is the path shown to the user.
	Path string
	// Key is the path the fingerprint is computed on: relative to the
	// scanned root, so that the same finding has the same fingerprint
	// whatever directory the scan was started from. Empty means Path.
	Key     string
	Content []byte
	// StartLine is the line number of Content's first line (git hunks);
	// 0 means 1.
	StartLine int
	Commit    string
	Date      string
	Layer     string
}

// Options tune a Scanner.
type Options struct {
	// Salt keys fingerprints; nil means DefaultSalt.
	Salt []byte
	// DecodeDepth is how many rounds of base64, hex and percent decoding
	// gitleaks applies to find encoded secrets (0 = none).
	DecodeDepth int
}

// Scanner finds secrets in fragments. It is safe for concurrent use.
type Scanner struct {
	// det runs every rule but the generic one; generic runs gitleaks'
	// generic-api-key rule alone, on the lines where it can match (see
	// mayHoldGenericSecret): it is as costly as all the others together.
	det, generic *detect.Detector
	keywords     *keywordIndex
	salt         []byte
	// pathAllowlists are gitleaks' global allowlists that skip files by
	// path, checked once per file (see withoutPaths).
	pathAllowlists []*config.Allowlist
}

// genericRule is gitleaks' rule for secrets recognised by a credential
// word and entropy alone.
const genericRule = "generic-api-key"

var (
	defaultDetector    *detect.Detector
	defaultDetectorErr error
	defaultOnce        sync.Once
)

// gitleaksDetector builds the detector of gitleaks' default configuration
// once: it compiles some 200 regular expressions, and gitleaks reads its
// configuration through viper's global instance, which is not safe to use
// from several goroutines at once.
func gitleaksDetector() (*detect.Detector, error) {
	defaultOnce.Do(func() {
		// gitleaks logs to standard error from library code; Rampart
		// reports through its own outputs only.
		logging.Logger = logging.Logger.Level(zerolog.Disabled)
		defaultDetector, defaultDetectorErr = detect.NewDetectorDefaultConfig()
	})
	return defaultDetector, defaultDetectorErr
}

// NewScanner returns a Scanner using gitleaks' default rule catalog.
func NewScanner(opts Options) (*Scanner, error) {
	base, err := gitleaksDetector()
	if err != nil {
		return nil, fmt.Errorf("load gitleaks default rules: %w", err)
	}
	// Detectors of our own, sharing the compiled rules, so that the
	// settings here do not leak into other scanners.
	newDetector := func(keep func(id string) bool) *detect.Detector {
		d := detect.NewDetector(subConfig(base.Config, keep))
		d.MaxDecodeDepth = opts.DecodeDepth
		// Lines with gitleaks:allow are reported as allowed (exempted)
		// by Scan, not dropped.
		d.IgnoreGitleaksAllow = true
		return d
	}
	det := newDetector(func(id string) bool { return id != genericRule })
	generic := newDetector(func(id string) bool { return id == genericRule })
	salt := opts.Salt
	if len(salt) == 0 {
		salt = []byte(DefaultSalt)
	}
	keywords := make([]string, 0, len(base.Config.Keywords))
	for k := range base.Config.Keywords {
		keywords = append(keywords, k)
	}
	var pathAllowlists []*config.Allowlist
	for _, a := range base.Config.Allowlists {
		if len(a.Paths) > 0 && (a.MatchCondition == config.AllowlistMatchOr ||
			len(a.Commits)+len(a.Regexes)+len(a.StopWords) == 0) {
			pathAllowlists = append(pathAllowlists, a)
		}
	}
	return &Scanner{det: det, generic: generic, keywords: newKeywordIndex(keywords), salt: salt, pathAllowlists: pathAllowlists}, nil
}

// pathAllowed reports whether gitleaks' global allowlist skips the file
// (images, fonts, vendored dependencies, lock files …).
func (s *Scanner) pathAllowed(p string) bool {
	for _, a := range s.pathAllowlists {
		if a.PathAllowed(p) {
			return true
		}
	}
	return false
}

// withoutPaths returns the global allowlists without their path patterns.
// gitleaks matches a fragment's path against them on every call; Rampart
// calls it once per keyword line, so it checks the paths once per file
// instead (pathAllowed): matching some 25 path patterns per line took
// half the scan's time.
func withoutPaths(as []*config.Allowlist) []*config.Allowlist {
	var out []*config.Allowlist
	for _, a := range as {
		if len(a.Paths) == 0 {
			out = append(out, a)
			continue
		}
		if a.MatchCondition == config.AllowlistMatchAnd && len(a.Commits)+len(a.Regexes)+len(a.StopWords) > 0 {
			out = append(out, a) // paths only narrow it: keep it whole
			continue
		}
		b := &config.Allowlist{Description: a.Description, MatchCondition: a.MatchCondition, Commits: a.Commits,
			RegexTarget: a.RegexTarget, Regexes: a.Regexes, StopWords: a.StopWords}
		if b.Validate() == nil { // an error means nothing is left but paths
			out = append(out, b)
		}
	}
	return out
}

// subConfig returns cfg with only the rules keep accepts.
func subConfig(cfg config.Config, keep func(id string) bool) config.Config {
	out := cfg
	out.Allowlists = withoutPaths(cfg.Allowlists)
	out.Rules = map[string]config.Rule{}
	out.Keywords = map[string]struct{}{}
	out.OrderedRules = nil
	for _, id := range cfg.OrderedRules {
		r, ok := cfg.Rules[id]
		if !ok || !keep(id) {
			continue
		}
		out.Rules[id] = r
		out.OrderedRules = append(out.OrderedRules, id)
		for _, k := range r.Keywords {
			out.Keywords[k] = struct{}{}
		}
	}
	return out
}

// Scan returns the secrets in one fragment, inline allow comments,
// placeholders and the noise filters (see filter.go) applied.
func (s *Scanner) Scan(ctx context.Context, f Fragment) []Finding {
	if SkipPath(f.Path) || s.pathAllowed(f.Path) {
		return nil
	}
	content := maskImageData(f.Content)
	noisy := IsFixture(f.Path) || isMinified(f.Path, content)
	var found []report.Finding
	for _, b := range s.keywords.blocks(content) {
		start := f.StartLine + b.line
		text := content[b.start:b.end]
		//lint:ignore SA1019 DetectContext takes this type until gitleaks v9.
		frag := detect.Fragment{Raw: string(text), FilePath: f.Path, StartLine: start}
		r := s.det.DetectContext(ctx, frag)
		if !noisy && mayHoldGenericSecret(text) {
			r = append(r, dropCoveredGeneric(s.generic.DetectContext(ctx, frag), r)...)
		}
		for i := range r {
			if r[i].StartLine > start {
				// gitleaks counts columns of every line but a
				// fragment's first from the newline before it: one
				// too many.
				r[i].StartColumn--
			}
		}
		found = append(found, r...)
	}
	if f.StartLine == 0 { // a whole file, not the lines of a diff
		found = append(found, dropCovered(helmValuesFindings(f.Path, string(content)), found)...)
	}
	var out []Finding
	for _, r := range found {
		if r.Secret == "" || placeholder(r.Secret) {
			continue
		}
		if noisy && isGenericRule(r.RuleID) {
			continue
		}
		// gitleaks numbers lines from the fragment's StartLine, 0-based
		// when it is 0.
		idx := r.StartLine - f.StartLine
		if idx < 0 {
			continue
		}
		fd := s.finding(f, r, idx)
		fd.Allowed = allowed(content, idx)
		out = append(out, fd)
	}
	return out
}

// finding converts a gitleaks finding, dropping the secret.
func (s *Scanner) finding(f Fragment, r report.Finding, idx int) Finding {
	key := f.Key
	if key == "" {
		key = f.Path
	}
	col := r.StartColumn
	return Finding{
		RuleID:      r.RuleID,
		Description: r.Description,
		File:        f.Path,
		Line:        max(f.StartLine, 1) + idx,
		Column:      col,
		Commit:      f.Commit,
		Date:        f.Date,
		Layer:       f.Layer,
		Preview:     Redact(r.Secret),
		Fingerprint: Fingerprint(s.salt, r.RuleID, key, r.Secret),
		Fixture:     IsFixture(f.Path),
	}
}

// isGenericRule reports whether a rule recognises secrets by a credential
// word and entropy alone, rather than by a vendor's token format: those
// are the rules that misfire on test data and generated code.
func isGenericRule(id string) bool {
	return strings.Contains(id, "generic") || id == helmValuesRule
}

// allowComments silence a finding on their line or on the line just above,
// where YAML block scalars and long one-line values leave no room at the
// end of the line.
var allowComments = [][]byte{[]byte("rampart:allow-secret"), []byte("gitleaks:allow")}

func allowed(content []byte, idx int) bool {
	line, prev := lineAt(content, idx)
	return hasAllowComment(line) || hasAllowComment(prev)
}

func hasAllowComment(line []byte) bool {
	for _, c := range allowComments {
		if bytes.Contains(line, c) {
			return true
		}
	}
	return false
}

// lineAt returns the 0-based line idx of content and the line before it.
func lineAt(content []byte, idx int) (line, prev []byte) {
	for i := 0; i <= idx; i++ {
		prev = line
		end := bytes.IndexByte(content, '\n')
		if end < 0 {
			line, content = content, nil
			continue
		}
		line, content = content[:end], content[end+1:]
	}
	return line, prev
}

// dropCovered returns the findings of extra on lines where no finding of
// found is: a token that a vendor rule recognised is not reported again as
// a credential-named value.
func dropCovered(extra, found []report.Finding) []report.Finding {
	lines := map[int]bool{}
	for _, f := range found {
		lines[f.StartLine] = true
	}
	var out []report.Finding
	for _, f := range extra {
		if !lines[f.StartLine] {
			out = append(out, f)
		}
	}
	return out
}

// dropCoveredGeneric drops the generic findings whose secret a vendor rule
// found on the same line, as gitleaks does when it runs all rules at once.
func dropCoveredGeneric(generic, specific []report.Finding) []report.Finding {
	var out []report.Finding
	for _, g := range generic {
		covered := false
		for _, s := range specific {
			if s.StartLine == g.StartLine && strings.Contains(s.Secret, g.Secret) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, g)
		}
	}
	return out
}

// minDistinct is the fewest distinct characters a string needs for a
// Shannon entropy above 3.5, generic-api-key's threshold: a string of k distinct characters
// has at most log2(k) bits per character, and log2(11) < 3.5 < log2(12).
const minDistinct = 12

// mayHoldGenericSecret reports whether generic-api-key can match in text.
// Its secret is made of [A-Za-z0-9_.=+/-] and follows an assignment
// operator (ending in = > : | or ,) and optional quotes and spaces; to pass
// the rule's entropy threshold it needs at least minDistinct distinct
// characters. So the secret starts either at the start of a maximal run of
// those characters that an operator precedes, or just after an '=' inside
// a run, and that run (or the part after its first '=') has minDistinct
// distinct characters. Without such a run the rule cannot fire: the test
// is exact, not a heuristic (TestGenericGateIsExact), and it spares the
// rule's costly regular expression on most lines of code, where long
// identifiers come before the operator, not after it.
func mayHoldGenericSecret(text []byte) bool {
	for i := 0; i < len(text); {
		if !genericChar[text[i]] {
			i++
			continue
		}
		start := i
		for i < len(text) && genericChar[text[i]] {
			i++
		}
		run := text[start:i]
		j := start - 1
		for j >= 0 && quoteOrSpace[text[j]] {
			j--
		}
		if j >= 0 && operatorEnd[text[j]] && distinctAtLeast(run, minDistinct) {
			return true
		}
		if k := bytes.IndexByte(run, '='); k >= 0 && distinctAtLeast(run[k+1:], minDistinct) {
			return true
		}
	}
	return false
}

// distinctAtLeast reports whether b has at least n distinct bytes.
func distinctAtLeast(b []byte, n int) bool {
	if len(b) < n {
		return false
	}
	var seen [4]uint64
	distinct := 0
	for _, c := range b {
		bit := uint64(1) << (c & 63)
		if seen[c>>6]&bit == 0 {
			seen[c>>6] |= bit
			if distinct++; distinct >= n {
				return true
			}
		}
	}
	return false
}

var (
	quoteOrSpace = byteSet("`'\" \t\r\n\v\f")
	operatorEnd  = byteSet("=>:|,")
)

func byteSet(s string) (t [256]bool) {
	for i := 0; i < len(s); i++ {
		t[s[i]] = true
	}
	return t
}

var genericChar = byteSet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.=+/-")
