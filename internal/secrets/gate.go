package secrets

import "bytes"

// minDistinct is the fewest distinct characters a string needs for a
// Shannon entropy above 3.5, generic-api-key's threshold: a string of k distinct characters
// has at most log2(k) bits per character, and log2(11) < 3.5 < log2(12).
const minDistinct = 12

// mayHoldGenericSecret reports whether generic-api-key can give a finding
// in text, one line or a window of several (the quotes and spaces skipped
// below include line breaks, as the rule's do). Its secret is made of [A-Za-z0-9_.=+/-] and follows an assignment
// operator (ending in = > : | or ,) and optional quotes and spaces; to pass
// the rule's entropy threshold it needs at least minDistinct distinct
// characters. So the secret starts either at the start of a maximal run of
// those characters that an operator precedes, or just after an '=' inside
// a run, and that run (or the part after its first '=') has minDistinct
// distinct characters. Without such a run the rule cannot fire: the test
// is exact, not a heuristic (TestGenericGateIsExact and the matcher's
// differential tests against gitleaks), and it spares the
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
