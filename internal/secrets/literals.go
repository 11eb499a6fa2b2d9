package secrets

import (
	"bytes"
	"regexp/syntax"
	"slices"
)

// containsAll reports whether text holds every one of lits.
func containsAll(text []byte, lits [][]byte) bool {
	for _, l := range lits {
		if !bytes.Contains(text, l) {
			return false
		}
	}
	return true
}

var newline = []byte{'\n'}

// lowerASCII appends content with A-Z lower-cased to dst.
func lowerASCII(dst, content []byte) []byte {
	dst = append(dst, content...)
	for i, c := range dst {
		if 'A' <= c && c <= 'Z' {
			dst[i] = c + 'a' - 'A'
		}
	}
	return dst
}

// caseFoldExotics are the UTF-8 encodings of the only non-ASCII runes that
// lower-case to an ASCII letter (İ to i, the Kelvin sign to k) or that Go's
// case-insensitive expressions match in place of one (ſ for s, K for k);
// TestCaseFoldExotics checks the list against all of Unicode.
var caseFoldExotics = [][]byte{[]byte("\u0130"), []byte("\u017f"), []byte("\u212a")}

func hasCaseFoldExotics(content []byte) bool {
	if !hasNonASCII(content) {
		return false
	}
	for _, e := range caseFoldExotics {
		if bytes.Contains(content, e) {
			return true
		}
	}
	return false
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// requiredLiterals returns lower-case strings that every match of expr
// holds. Sound, not complete: it only skips work.
func requiredLiterals(expr string) [][]byte {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	var out [][]byte
	for _, s := range required(re) {
		out = append(out, []byte(s))
	}
	return out
}

// required returns strings that every match of re holds, lower-cased.
func required(re *syntax.Regexp) []string {
	if set := exactSet(re); len(set) == 1 {
		if set[0] == "" {
			return nil
		}
		return set
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		var out []string
		for _, s := range re.Sub {
			out = append(out, required(s)...)
		}
		return out
	case syntax.OpAlternate:
		// what every branch requires
		out := required(re.Sub[0])
		for _, s := range re.Sub[1:] {
			r := required(s)
			out = slices.DeleteFunc(out, func(x string) bool { return !slices.Contains(r, x) })
		}
		return out
	}
	return nil
}
