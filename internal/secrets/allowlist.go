package secrets

import (
	"strings"

	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/report"
)

// gitleaks' allowlist checks and deduplication (detect/detect.go and
// detect/utils.go, v8.30.1), for fragments without a commit.

// dedupGeneric is gitleaks' filter: a generic finding is dropped when a
// non-generic finding of another rule on the same line holds its secret.
func dedupGeneric(found []report.Finding) []report.Finding {
	isGeneric := func(id string) bool { return strings.Contains(strings.ToLower(id), "generic") }
	var out []report.Finding
	for _, f := range found {
		include := true
		if isGeneric(f.RuleID) {
			for _, g := range found {
				if f.StartLine == g.StartLine && f.Commit == g.Commit && f.RuleID != g.RuleID &&
					strings.Contains(g.Secret, f.Secret) && !isGeneric(g.RuleID) {
					include = false
					break
				}
			}
		}
		if include {
			out = append(out, f)
		}
	}
	return out
}

// pathOrCommitAllowed is gitleaks' checkCommitOrPathAllowed for a fragment
// without a commit.
func pathOrCommitAllowed(path string, allowlists []*config.Allowlist) bool {
	if path == "" {
		return false
	}
	for _, a := range allowlists {
		// Without a commit, CommitAllowed is false.
		if a.MatchCondition == config.AllowlistMatchAnd {
			if len(a.Regexes) > 0 || len(a.StopWords) > 0 || len(a.Commits) > 0 {
				continue // regexes and stop words are checked per finding
			}
			if len(a.Paths) == 0 || a.PathAllowed(path) {
				return true
			}
		} else if a.PathAllowed(path) {
			return true
		}
	}
	return false
}

// findingAllowed is gitleaks' checkFindingAllowed for a fragment without a
// commit; line is called only for allowlists that target the line.
func findingAllowed(f report.Finding, path string, line func() string, allowlists []*config.Allowlist) bool {
	for _, a := range allowlists {
		target := f.Secret
		switch a.RegexTarget {
		case "match":
			target = f.Match
		case "line":
			target = line()
		}
		regexAllowed := a.RegexAllowed(target)
		stop, _ := a.ContainsStopWord(f.Secret)
		if a.MatchCondition == config.AllowlistMatchAnd {
			ok := true
			if len(a.Commits) > 0 {
				c, _ := a.CommitAllowed("")
				ok = ok && c
			}
			if len(a.Paths) > 0 {
				ok = ok && a.PathAllowed(path)
			}
			if len(a.Regexes) > 0 {
				ok = ok && regexAllowed
			}
			if len(a.StopWords) > 0 {
				ok = ok && stop
			}
			if ok {
				return true
			}
		} else if regexAllowed || stop {
			return true
		}
	}
	return false
}
