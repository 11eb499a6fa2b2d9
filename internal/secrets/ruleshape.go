package secrets

import (
	"math"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// A rule's shape says how little of a file its regular expression needs
// to see for the matcher (matcher.go) to find exactly the matches gitleaks
// finds when it runs the expression over the whole file. It is computed
// from the expression's syntax tree, so that a rule added to gitleaks'
// catalog gets the cheap treatment only when it has been proved safe.
//
// The argument, for a rule R whose keyword occurs on lines h1, h2, …:
//
//   - Every match of R holds one of R's keywords (keywordBound). So every
//     match overlaps a line where a keyword occurs.
//   - A match holds at most maxNL line breaks that are not its last
//     character (a final '\n' ends the match's line; it does not reach
//     the next one). So a match lies within maxNL lines of a keyword line.
//   - Cut the file at the start of each line that is more than maxNL lines
//     from every keyword line's window: no match crosses such a cut. When
//     no match crosses a cut, leftmost-first matching (Go's FindAll) finds
//     the same matches in the text on either side of it as in the whole:
//     the search that reaches the cut starts afresh there.
//   - So running R over the windows [h-maxNL, h+maxNL] (merged where they
//     overlap; the line start between two windows that only touch is a
//     safe cut too) finds exactly what gitleaks finds, provided the expression
//     sees the same context at a window's edges: a window starts at a line
//     start, where \b, (?m)^ and the text start agree; the byte after a
//     window's end is passed along so that \b, $ and (?m)$ see the real
//     next character; and expressions that assert the start of the whole
//     text (^ without (?m), \A) are run over the whole file.
//
// Rules for which any step cannot be shown run over the whole file, as
// gitleaks runs them.
type ruleShape struct {
	// local: windows around keyword lines are enough (the argument
	// above holds); otherwise the rule runs over the whole file when one
	// of its keywords occurs in it.
	local bool
	// maxNL is the most non-final line breaks a match can hold.
	maxNL int
	// cuts, when set, tells at which line starts a match can cross
	// (lineCuts): windows then grow from a keyword line only across
	// those, instead of by maxNL lines each way.
	cuts *lineCuts
	// why says what made a rule not local, for the tests and docs.
	why string
}

// shapeOf analyses a rule's expression against its (lower-case) keywords.
func shapeOf(expr string, keywords []string) ruleShape {
	if len(keywords) == 0 {
		return ruleShape{why: "no keywords: gitleaks runs it on every file"}
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ruleShape{why: "does not parse: " + err.Error()}
	}
	if hasOp(re, syntax.OpBeginText) {
		return ruleShape{why: "asserts the start of the text"}
	}
	if minLen(re) == 0 {
		return ruleShape{why: "can match the empty string"}
	}
	if !holdsKeyword(re, keywords) {
		return ruleShape{why: "a match need not hold a keyword"}
	}
	nl := newlines(re)
	if nl.max == unbounded {
		return ruleShape{why: "a match can span any number of lines"}
	}
	maxNL := nl.max
	if nl.tailOnly {
		maxNL = 0
	}
	return ruleShape{local: true, maxNL: maxNL, cuts: cutsOf(re)}
}

func hasOp(re *syntax.Regexp, op syntax.Op) bool {
	if re.Op == op {
		return true
	}
	for _, s := range re.Sub {
		if hasOp(s, op) {
			return true
		}
	}
	return false
}

// minLen is the length in runes of the shortest string re matches.
func minLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpNoMatch:
		return math.MaxInt32
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture:
		return minLen(re.Sub[0])
	case syntax.OpPlus:
		return minLen(re.Sub[0])
	case syntax.OpRepeat:
		return min(math.MaxInt32, re.Min*minLen(re.Sub[0]))
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n = min(math.MaxInt32, n+minLen(s))
		}
		return n
	case syntax.OpAlternate:
		n := math.MaxInt32
		for _, s := range re.Sub {
			n = min(n, minLen(s))
		}
		return n
	}
	return 0 // empty-width assertions, *, ?
}

const unbounded = math.MaxInt32

// nlInfo says how a sub-expression can consume line breaks.
type nlInfo struct {
	// max is the most '\n' it can consume (unbounded when repeated
	// without limit).
	max int
	// tailOnly: every '\n' it consumes is the last thing it consumes,
	// with nothing (not even an assertion) after it.
	tailOnly bool
}

func newlines(re *syntax.Regexp) nlInfo {
	none := nlInfo{max: 0, tailOnly: true}
	switch re.Op {
	case syntax.OpLiteral:
		n := strings.Count(string(re.Rune), "\n")
		return nlInfo{max: n, tailOnly: n == 0 || (n == 1 && re.Rune[len(re.Rune)-1] == '\n')}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return nlInfo{max: 1, tailOnly: true}
			}
		}
		return none
	case syntax.OpAnyChar:
		return nlInfo{max: 1, tailOnly: true}
	case syntax.OpCapture:
		return newlines(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		sub := newlines(re.Sub[0])
		if sub.max == 0 {
			return none
		}
		times := 1
		switch {
		case re.Op == syntax.OpStar || re.Op == syntax.OpPlus || (re.Op == syntax.OpRepeat && re.Max < 0):
			return nlInfo{max: unbounded}
		case re.Op == syntax.OpRepeat:
			times = re.Max
		}
		if times <= 1 {
			return sub
		}
		return nlInfo{max: satMul(sub.max, times)}
	case syntax.OpConcat:
		out := none
		for i, s := range re.Sub {
			sub := newlines(s)
			out.max = satAdd(out.max, sub.max)
			if sub.max > 0 && (!sub.tailOnly || !onlyEmpty(re.Sub[i+1:])) {
				out.tailOnly = false
			}
		}
		return out
	case syntax.OpAlternate:
		out := none
		for _, s := range re.Sub {
			sub := newlines(s)
			out.max = max(out.max, sub.max)
			out.tailOnly = out.tailOnly && sub.tailOnly
		}
		return out
	}
	return none // empty-width assertions, empty match, AnyCharNotNL
}

// onlyEmpty reports whether the expressions match nothing but the empty
// string and assert nothing.
func onlyEmpty(res []*syntax.Regexp) bool {
	for _, re := range res {
		if re.Op != syntax.OpEmptyMatch {
			return false
		}
	}
	return true
}

func satAdd(a, b int) int { return int(min(int64(a)+int64(b), unbounded)) }
func satMul(a, b int) int { return int(min(int64(a)*int64(b), unbounded)) }

// holdsKeyword reports whether every string re matches holds, once
// lower-cased, one of keywords. It only needs to be sound: false when
// unsure. Text with the few non-ASCII letters that case-fold to ASCII
// ones (see foldsToASCII) is not reasoned about here: the matcher runs
// every rule over the whole of such a file.
func holdsKeyword(re *syntax.Regexp, keywords []string) bool {
	has := func(s string) bool {
		for _, k := range keywords {
			if strings.Contains(s, k) {
				return true
			}
		}
		return false
	}
	allHave := func(set []string) bool {
		if set == nil {
			return false
		}
		for _, s := range set {
			if !has(s) {
				return false
			}
		}
		return true
	}
	var walk func(re *syntax.Regexp) bool
	walk = func(re *syntax.Regexp) bool {
		if allHave(exactSet(re)) {
			return true
		}
		switch re.Op {
		case syntax.OpCapture, syntax.OpPlus:
			return walk(re.Sub[0])
		case syntax.OpRepeat:
			return re.Min >= 1 && walk(re.Sub[0])
		case syntax.OpAlternate:
			for _, s := range re.Sub {
				if !walk(s) {
					return false
				}
			}
			return true
		case syntax.OpConcat:
			for _, s := range re.Sub {
				if walk(s) {
					return true
				}
			}
			// A keyword may straddle consecutive parts (sk_ then live).
			for i := range re.Sub {
				var set []string = []string{""}
				for j := i; j < len(re.Sub); j++ {
					ex := exactSet(re.Sub[j])
					if ex == nil {
						// the run ends with how the next part starts
						if allHave(crossProduct(set, prefixSet(re.Sub[j]))) {
							return true
						}
						break
					}
					set = crossProduct(set, ex)
					if set == nil {
						break
					}
					if allHave(set) {
						return true
					}
				}
			}
		}
		return false
	}
	return walk(re)
}

// maxExact bounds the strings exactSet enumerates.
const maxExact = 64

// exactSet returns every string re can match, lower-cased, or nil when
// there are too many or they are not all ASCII.
func exactSet(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}
	case syntax.OpLiteral:
		s := string(re.Rune)
		if !isASCII(s) {
			return nil
		}
		return []string{asciiLower(s)}
	case syntax.OpCharClass:
		seen := map[string]bool{}
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi >= utf8.RuneSelf || hi-lo > maxExact {
				return nil
			}
			for r := lo; r <= hi; r++ {
				s := asciiLower(string(r))
				if !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
		}
		if len(out) > maxExact {
			return nil
		}
		return out
	case syntax.OpCapture:
		return exactSet(re.Sub[0])
	case syntax.OpQuest:
		sub := exactSet(re.Sub[0])
		if sub == nil {
			return nil
		}
		return append([]string{""}, sub...)
	case syntax.OpConcat:
		set := []string{""}
		for _, s := range re.Sub {
			if set = crossProduct(set, exactSet(s)); set == nil {
				return nil
			}
		}
		return set
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			sub := exactSet(s)
			if sub == nil {
				return nil
			}
			out = append(out, sub...)
		}
		if len(out) > maxExact {
			return nil
		}
		return out
	}
	return nil
}

// prefixSet returns strings one of which every match of re starts with
// (lower-cased; {""} when nothing is known), or nil when too many.
func prefixSet(re *syntax.Regexp) []string {
	if set := exactSet(re); set != nil {
		return set
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return prefixSet(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return prefixSet(re.Sub[0])
		}
	case syntax.OpConcat:
		set := []string{""}
		for _, s := range re.Sub {
			ex := exactSet(s)
			if ex == nil {
				return crossProduct(set, prefixSet(s))
			}
			if set = crossProduct(set, ex); set == nil {
				return []string{""}
			}
		}
		return set
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			sub := prefixSet(s)
			if sub == nil {
				return []string{""}
			}
			out = append(out, sub...)
		}
		if len(out) > maxExact {
			return []string{""}
		}
		return out
	}
	return []string{""}
}

func crossProduct(a, b []string) []string {
	if a == nil || b == nil || len(a)*len(b) > maxExact {
		return nil
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
