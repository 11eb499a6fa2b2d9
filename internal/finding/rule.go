package finding

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	ruleIDPattern  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	controlPattern = regexp.MustCompile(`^(NIST-800-190:[34]\.[0-9]+(\.[0-9]+)*|CIS-K8S:[0-9]+(\.[0-9]+)+|PSS:(baseline|restricted)/[a-zA-Z0-9_]+)$`)
)

// Problems lists what is wrong with a rule's metadata: every check
// registry validates its checks with it, so that the quality bar (a
// kebab-case ID, a title, a description and remediation that end with a
// full stop, well-formed controls including a NIST SP 800-190 one, a
// severity in range) is written once.
func (r Rule) Problems() []string {
	var errs []string
	add := func(format string, a ...any) {
		errs = append(errs, fmt.Sprintf("%q: ", r.ID)+fmt.Sprintf(format, a...))
	}
	if !ruleIDPattern.MatchString(r.ID) {
		add("ID is not kebab-case")
	}
	if r.Title == "" || r.Description == "" {
		add("title and description are required")
	}
	if !strings.HasSuffix(r.Remediation, ".") || !strings.HasSuffix(r.Description, ".") {
		add("description and remediation must end with a full stop")
	}
	nist := false
	for _, c := range r.Controls {
		if !controlPattern.MatchString(c) {
			add("malformed control %q", c)
		}
		nist = nist || strings.HasPrefix(c, "NIST-800-190:")
	}
	if !nist {
		add("no NIST-800-190 control")
	}
	if r.Severity < Info || r.Severity > Critical {
		add("bad severity")
	}
	return errs
}

// RulesProblems is Problems for a registry: every rule's problems, and
// every ID used more than once.
func RulesProblems(rules []Rule) []string {
	var errs []string
	seen := map[string]bool{}
	for _, r := range rules {
		errs = append(errs, r.Problems()...)
		if seen[r.ID] {
			errs = append(errs, fmt.Sprintf("%q: duplicate ID", r.ID))
		}
		seen[r.ID] = true
	}
	return errs
}
