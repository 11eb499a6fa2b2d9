package secrets

import (
	"bytes"
	"context"
	"fmt"
	"sort"
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
	// Value says Content is a value inside an object (an annotation, a
	// ConfigMap key), named by Path but not a file: the allowlists of
	// file paths (lock files, vendored code, images) do not apply, and
	// matching them against every value was most of a scan's secret work.
	Value bool
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
	// match runs gitleaks' default rules (matcher.go).
	match *matcher
	// decoder is gitleaks' own Detector, used instead of match when
	// decoding is asked for (Options.DecodeDepth), which match does not
	// reproduce.
	decoder *detect.Detector
	// rules is gitleaks' rule catalog (path-only rules are checked on
	// binary files too).
	rules map[string]config.Rule
	salt  []byte
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
	m, err := newMatcher(base.Config)
	if err != nil {
		return nil, fmt.Errorf("gitleaks default rules: %w", err)
	}
	s := &Scanner{match: m, rules: base.Config.Rules, salt: opts.Salt}
	if opts.DecodeDepth > 0 {
		// A detector of our own, sharing the compiled rules, so that
		// the settings here do not leak into other scanners.
		d := detect.NewDetector(base.Config)
		d.MaxDecodeDepth = opts.DecodeDepth
		// Lines with gitleaks:allow are reported as allowed (exempted)
		// by Scan, not dropped.
		d.IgnoreGitleaksAllow = true
		s.decoder = d
	}
	if len(s.salt) == 0 {
		s.salt = []byte(DefaultSalt)
	}
	return s, nil
}

// skipGeneric leaves out the rules whose findings Scan drops in noisy
// files: running them would only cost time.
func skipGeneric(r *matchRule) bool { return isGenericRule(r.RuleID) }

// Scan returns the secrets in one fragment, inline allow comments,
// placeholders and the noise filters (see filter.go) applied.
func (s *Scanner) Scan(ctx context.Context, f Fragment) []Finding {
	if !f.Value && (SkipPath(f.Path) || s.match.skipsPath(f.Path)) {
		return nil
	}
	content := maskImageData(f.Content)
	noisy := IsFixture(f.Path) || isMinified(f.Path, content)
	var found []report.Finding
	if s.decoder != nil {
		//lint:ignore SA1019 DetectContext takes this type until gitleaks v9.
		found = s.decoder.DetectContext(ctx, detect.Fragment{Raw: string(content), FilePath: f.Path})
	} else {
		var skip func(*matchRule) bool
		if noisy {
			skip = skipGeneric
		}
		found = s.match.findIn(ctx, f.Path, content, skip)
	}
	for i := range found {
		if found[i].StartLine > 0 {
			// gitleaks counts columns of every line but the first
			// from the newline before it: one too many.
			found[i].StartColumn--
		}
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
		// Lines are numbered from 0 in content.
		idx := r.StartLine
		if idx < 0 {
			continue
		}
		fd := s.finding(f, r, idx)
		fd.Allowed = allowed(content, idx)
		out = append(out, fd)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.RuleID < b.RuleID
	})
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
