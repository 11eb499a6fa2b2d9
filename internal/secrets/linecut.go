package secrets

import (
	"regexp/syntax"
	"unicode/utf8"
)

// Most of gitleaks' rules are built from one template: a name, up to 20
// name characters, up to 3 spaces or quotes, an assignment operator, up to
// 5 spaces, quotes or '=', the secret, a terminator. The spaces may be
// line breaks, so a match can span up to 9 lines, and windows of 9 lines
// each way around every line naming a key would cover most files. But a
// line break can only be inside such a match where a run of spaces and
// quotes meets an operator or a secret. lineCuts finds, from the
// expression, what must be next to a line break for a match to cross it;
// a line start where that is not there is a safe cut (see ruleshape.go).
//
// It handles expressions that are a sequence of parts where every part
// that can consume a line break (but for the last part, if it consumes one
// only as its final character) is a repeated character class: the line
// break is then inside a run of that class, which the parts before and
// after it must border.
type lineCuts struct {
	runs []nlRun
}

// nlRun is one part of the sequence that can consume line breaks.
type nlRun struct {
	class *edgeSet
	// max is the most characters the run consumes (-1: no limit).
	max int
	// before and after are the characters that can border the run
	// (the last of the parts before it, the first of those after it);
	// nil when the run can start or end the match.
	before, after *edgeSet
}

type edgeSet [256]bool

// cutsOf returns the line cuts of an expression, or nil when its shape is
// not one lineCuts handles.
func cutsOf(re *syntax.Regexp) *lineCuts {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpConcat {
		return nil
	}
	parts := re.Sub
	lc := &lineCuts{}
	for i, p := range parts {
		nl := newlines(p)
		if nl.max == 0 || (i == len(parts)-1 && nl.tailOnly) {
			continue
		}
		class, most, ok := classRun(p)
		if !ok {
			return nil
		}
		run := nlRun{class: class, max: most}
		// The characters before the run: the last of the nearest part
		// that must consume something, and of every part in between.
		for j := i - 1; j >= 0; j-- {
			run.before = union(run.before, lastBytes(parts[j]))
			if !nullable(parts[j]) {
				break
			}
			if j == 0 {
				run.before = nil
			}
		}
		if i == 0 {
			run.before = nil
		}
		for j := i + 1; j < len(parts); j++ {
			run.after = union(run.after, firstBytes(parts[j]))
			if !nullable(parts[j]) {
				break
			}
			if j == len(parts)-1 {
				run.after = nil
			}
		}
		if i == len(parts)-1 {
			run.after = nil
		}
		lc.runs = append(lc.runs, run)
	}
	if len(lc.runs) == 0 {
		return nil
	}
	return lc
}

// classRun reports whether re is a character class, possibly repeated,
// and the most characters it consumes.
func classRun(re *syntax.Regexp) (*edgeSet, int, bool) {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	most := 1
	switch re.Op {
	case syntax.OpStar, syntax.OpPlus:
		most = -1
		re = re.Sub[0]
	case syntax.OpQuest:
		re = re.Sub[0]
	case syntax.OpRepeat:
		most = re.Max
		re = re.Sub[0]
	}
	if re.Op != syntax.OpCharClass && re.Op != syntax.OpAnyChar {
		return nil, 0, false
	}
	return firstBytes(re), most, true
}

// crossable reports whether a match can hold text[c-1], a line break, and
// text[c]: whether some run can hold the line break with, within its
// length, what may border it on both sides.
func (lc *lineCuts) crossable(text []byte, c int) bool {
	for i := range lc.runs {
		r := &lc.runs[i]
		if r.borders(text, c, 1) && r.borders(text, c-2, -1) {
			return true
		}
	}
	return false
}

// borders reports whether, walking from text[i] in direction dir over at
// most max-1 characters of the run's class (the line break takes one),
// a character that may border the run is found.
func (r *nlRun) borders(text []byte, i, dir int) bool {
	edge := r.after
	if dir < 0 {
		edge = r.before
	}
	if edge == nil {
		return true
	}
	for t := 0; i >= 0 && i < len(text); t, i = t+1, i+dir {
		c := text[i]
		if edge[c] {
			return true
		}
		if !r.class[c] || (r.max >= 0 && t+1 > r.max-1) {
			return false
		}
	}
	return false
}

func union(a, b *edgeSet) *edgeSet {
	out := &edgeSet{}
	for _, s := range []*edgeSet{a, b} {
		if s == nil {
			continue
		}
		for i, v := range s {
			out[i] = out[i] || v
		}
	}
	return out
}

// nullable reports whether re can match the empty string.
func nullable(re *syntax.Regexp) bool { return minLen(re) == 0 }

// firstBytes returns the bytes a match of re can start with. Any rune
// outside ASCII counts as every byte from 0x80 up (its UTF-8 encoding's
// first byte is among them), and case-folded letters as every case
// (and, for the letters with non-ASCII folds, those bytes too).
func firstBytes(re *syntax.Regexp) *edgeSet {
	return edgeBytes(re, true)
}

// lastBytes returns the bytes a match of re can end with (see firstBytes;
// a non-ASCII rune's last byte is from 0x80 up too).
func lastBytes(re *syntax.Regexp) *edgeSet {
	return edgeBytes(re, false)
}

func edgeBytes(re *syntax.Regexp, first bool) *edgeSet {
	s := &edgeSet{}
	var addRune func(r rune, fold bool)
	addRune = func(r rune, fold bool) {
		if r >= utf8.RuneSelf {
			for b := 0x80; b < 0x100; b++ {
				s[b] = true
			}
			return
		}
		s[r] = true
		if fold {
			if 'a' <= r && r <= 'z' {
				s[r-'a'+'A'] = true
			}
			if 'A' <= r && r <= 'Z' {
				s[r-'A'+'a'] = true
			}
			if r == 's' || r == 'S' || r == 'k' || r == 'K' {
				addRune(utf8.RuneSelf, false)
			}
		}
	}
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) > 0 {
			r := re.Rune[0]
			if !first {
				r = re.Rune[len(re.Rune)-1]
			}
			addRune(r, re.Flags&syntax.FoldCase != 0)
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if r >= utf8.RuneSelf {
					addRune(r, false)
					break
				}
				addRune(r, false)
			}
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		for b := range s {
			s[b] = re.Op == syntax.OpAnyChar || b != '\n'
		}
	case syntax.OpCapture, syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		return edgeBytes(re.Sub[0], first)
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			s = union(s, edgeBytes(sub, first))
		}
	case syntax.OpConcat:
		subs := re.Sub
		for k := range subs {
			sub := subs[k]
			if !first {
				sub = subs[len(subs)-1-k]
			}
			s = union(s, edgeBytes(sub, first))
			if !nullable(sub) {
				break
			}
		}
	}
	return s
}
