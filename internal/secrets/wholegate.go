package secrets

import (
	"bytes"
	"regexp"
	"regexp/syntax"
)

// A rule that runs over whole files (see ruleshape.go) can still be ruled
// out cheaply. kubernetes-secret-yaml, for example, runs whenever a YAML
// file says "secret" (secretKeyRef does), and its expression, with its
// (?s:.){0,200} spans, costs some 60 ms per MB. But every match holds
// "kind: secret" on one line: parts of the expression that cannot cross a
// line break and hold a literal must each match within a line that holds
// the literal. lineGate checks those parts on those lines only; when one
// cannot match, neither can the rule, and it is not run.

// lineGate holds, per top-level alternative of a rule's expression, the
// parts every match of that alternative holds.
type lineGate struct {
	branches [][]linePart
}

// linePart is a run of consecutive parts of an alternative that cannot
// consume a line break, and a literal each of its matches holds.
type linePart struct {
	lit []byte
	re  *regexp.Regexp
}

// lineGateOf returns the gate of an expression, or nil when some
// alternative has no part to check.
func lineGateOf(expr string) *lineGate {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	branches := []*syntax.Regexp{re}
	if re.Op == syntax.OpAlternate {
		branches = re.Sub
	}
	g := &lineGate{}
	for _, b := range branches {
		parts := lineParts(b)
		if len(parts) == 0 {
			return nil
		}
		g.branches = append(g.branches, parts)
	}
	return g
}

func lineParts(b *syntax.Regexp) []linePart {
	for b.Op == syntax.OpCapture {
		b = b.Sub[0]
	}
	seq := []*syntax.Regexp{b}
	if b.Op == syntax.OpConcat {
		seq = b.Sub
	}
	var out []linePart
	var run []*syntax.Regexp
	flush := func() {
		defer func() { run = nil }()
		if len(run) == 0 {
			return
		}
		sub := &syntax.Regexp{Op: syntax.OpConcat, Sub: run}
		if hasOp(sub, syntax.OpBeginText) || hasOp(sub, syntax.OpEndText) {
			return // anchored to the text, not to a line
		}
		var lit string
		for _, l := range required(sub) {
			if len(l) > len(lit) {
				lit = l
			}
		}
		if len(lit) < 3 {
			return // too common to save work
		}
		re, err := regexp.Compile(sub.String())
		if err != nil {
			return
		}
		out = append(out, linePart{lit: []byte(lit), re: re})
	}
	for _, p := range seq {
		if newlines(p).max == 0 {
			run = append(run, p)
		} else {
			flush()
		}
	}
	flush()
	return out
}

// mayMatch reports false only when the rule cannot match content (lower
// is content with A-Z lower-cased).
func (g *lineGate) mayMatch(content, lower []byte) bool {
	for _, parts := range g.branches {
		all := true
		for _, p := range parts {
			if !p.onSomeLine(content, lower) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// onSomeLine reports whether the part matches on a line holding its
// literal. The line is passed with its line break, so that \b and (?m)$
// at its end see what they see in the whole text.
func (p *linePart) onSomeLine(content, lower []byte) bool {
	for from := 0; from < len(lower); {
		i := bytes.Index(lower[from:], p.lit)
		if i < 0 {
			return false
		}
		i += from
		start := bytes.LastIndexByte(content[:i], '\n') + 1
		end := len(content)
		if j := bytes.IndexByte(content[i:], '\n'); j >= 0 {
			end = i + j + 1
		}
		if p.re.Match(content[start:end]) {
			return true
		}
		from = end
	}
	return false
}
