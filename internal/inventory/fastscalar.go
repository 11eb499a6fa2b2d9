package inventory

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// resolvePlain gives a plain scalar the value yamlDecoder gives it: the tag
// yaml.v3 resolves it to (a copy of its resolve for untagged plain
// scalars), then scalarValue.
func resolvePlain(s string) any {
	tag := plainTag(s)
	if tag == "!!str" {
		return s
	}
	return scalarValue(tag, s)
}

// plainHint mirrors yaml.v3's resolveTable: the first character says what a
// plain scalar may be.
var plainHint = func() (t [256]byte) {
	t['+'], t['-'] = 'S', 'S'
	for _, c := range "0123456789" {
		t[c] = 'D'
	}
	for _, c := range "yYnNtTfFoO~<" {
		t[c] = 'M'
	}
	t['.'] = '.'
	return t
}()

// plainTag is yaml.v3's resolve("", s), returning only the tag.
func plainTag(in string) string {
	hint := byte('N')
	if in != "" {
		hint = plainHint[in[0]]
	}
	if hint == 0 {
		return "!!str"
	}
	switch in {
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return "!!bool"
	case "", "~", "null", "Null", "NULL":
		return "!!null"
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return "!!float"
	case "<<":
		return "!!merge"
	}
	switch hint {
	case '.':
		if _, err := strconv.ParseFloat(in, 64); err == nil {
			return "!!float"
		}
	case 'D', 'S':
		if !numeric(in) {
			return "!!str"
		}
		if isTimestamp(in) {
			return "!!timestamp"
		}
		plain := strings.ReplaceAll(in, "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return "!!int"
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return "!!int"
		}
		if yamlStyleFloat(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return "!!float"
			}
		}
		if strings.HasPrefix(plain, "0b") {
			if _, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
				return "!!int"
			}
			if _, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
				return "!!int"
			}
		} else if strings.HasPrefix(plain, "-0b") {
			if _, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
				return "!!int"
			}
		}
		if strings.HasPrefix(plain, "0o") {
			if _, err := strconv.ParseInt(plain[2:], 8, 64); err == nil {
				return "!!int"
			}
			if _, err := strconv.ParseUint(plain[2:], 8, 64); err == nil {
				return "!!int"
			}
		} else if strings.HasPrefix(plain, "-0o") {
			if _, err := strconv.ParseInt("-"+plain[3:], 8, 64); err == nil {
				return "!!int"
			}
		}
	}
	return "!!str"
}

// numeric reports whether s has only characters that an integer, a float
// or a timestamp may hold, so that the common "100m" or "8080/TCP" skip the
// parsers (whose errors allocate).
func numeric(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == 'x', c == 'X', c == 'o', c == 'O', c == 't', c == 'T', c == 'z', c == 'Z':
		case c == '+', c == '-', c == '.', c == '_', c == ':', c == ',', c == ' ':
		default:
			return false
		}
	}
	return true
}

// yamlStyleFloat matches ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
// as yaml.v3's regular expression of that name does.
func yamlStyleFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// isTimestamp is yaml.v3's parseTimestamp, without the value.
func isTimestamp(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			break
		}
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, format := range []string{
		"2006-1-2T15:4:5.999999999Z07:00",
		"2006-1-2t15:4:5.999999999Z07:00",
		"2006-1-2 15:4:5.999999999",
		"2006-1-2",
	} {
		if _, err := time.Parse(format, s); err == nil {
			return true
		}
	}
	return false
}

// skipQuoted returns the end of the quoted scalar starting at byte j, if it
// ends on the same line.
func (p *fastParser) skipQuoted(j int) (int, bool) {
	b := p.b
	q := b[j]
	for k := j + 1; k < len(b); k++ {
		switch c := b[k]; {
		case isBreak(c):
			return 0, false
		case c == '\\' && q == '"':
			k++
			if k >= len(b) || isBreak(b[k]) {
				return 0, false
			}
		case c == q:
			if q == '\'' && k+1 < len(b) && b[k+1] == '\'' {
				k++
				continue
			}
			return k + 1, true
		}
	}
	return 0, false
}

// quoted reads the single- or double-quoted scalar starting at byte j, which
// must end on its line, and returns it with the index after it.
func (p *fastParser) quoted(j int) (string, int, error) {
	b := p.b
	q := b[j]
	start := j + 1
	k := start
	for ; k < len(b); k++ {
		c := b[k]
		if c == q {
			if q == '\'' && k+1 < len(b) && b[k+1] == '\'' {
				break // an escaped quote
			}
			return p.d.str(b[start:k]), k + 1, nil
		}
		if c == '\\' && q == '"' {
			break
		}
		if isBreak(c) {
			return "", 0, errFallback // a multi-line scalar
		}
	}
	// Slow path: escapes.
	buf := make([]byte, 0, k-start+16)
	buf = append(buf, b[start:k]...)
	for k < len(b) {
		c := b[k]
		switch {
		case isBreak(c):
			return "", 0, errFallback
		case c == q:
			if q == '\'' && k+1 < len(b) && b[k+1] == '\'' {
				buf = append(buf, '\'')
				k += 2
				continue
			}
			return string(buf), k + 1, nil
		case c == '\\' && q == '"':
			var n int
			buf, n = unescape(buf, b[k+1:])
			if n == 0 {
				return "", 0, errFallback
			}
			k += 1 + n
		default:
			buf = append(buf, c)
			k++
		}
	}
	return "", 0, errFallback
}

// unescape appends the character that the escape sequence at the start of
// e (after its backslash) stands for, as yaml.v3 reads it, and returns how
// many bytes it took; 0 for anything it does not know.
func unescape(buf, e []byte) ([]byte, int) {
	if len(e) == 0 {
		return buf, 0
	}
	codeLen := 0
	switch e[0] {
	case '0':
		buf = append(buf, 0)
	case 'a':
		buf = append(buf, '\a')
	case 'b':
		buf = append(buf, '\b')
	case 't':
		buf = append(buf, '\t')
	case 'n':
		buf = append(buf, '\n')
	case 'v':
		buf = append(buf, '\v')
	case 'f':
		buf = append(buf, '\f')
	case 'r':
		buf = append(buf, '\r')
	case 'e':
		buf = append(buf, 0x1b)
	case ' ', '"', '\'', '\\':
		buf = append(buf, e[0])
	case 'N':
		buf = append(buf, 0xC2, 0x85)
	case '_':
		buf = append(buf, 0xC2, 0xA0)
	case 'L':
		buf = append(buf, 0xE2, 0x80, 0xA8)
	case 'P':
		buf = append(buf, 0xE2, 0x80, 0xA9)
	case 'x':
		codeLen = 2
	case 'u':
		codeLen = 4
	case 'U':
		codeLen = 8
	default:
		return buf, 0
	}
	if codeLen == 0 {
		return buf, 1
	}
	if len(e) < 1+codeLen {
		return buf, 0
	}
	v := 0
	for _, c := range e[1 : 1+codeLen] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 + int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 + int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = v<<4 + int(c-'A') + 10
		default:
			return buf, 0
		}
	}
	if v >= 0xD800 && v <= 0xDFFF || v > 0x10FFFF {
		return buf, 0
	}
	return utf8.AppendRune(buf, rune(v)), 1 + codeLen
}

// blockScalar reads a literal (|) or folded (>) block scalar whose
// indicator is at the cursor, in a block collection at column ind: a port
// of yaml.v3's yaml_parser_scan_block_scalar for input without tabs. It
// leaves the cursor on the line that ends the scalar.
func (p *fastParser) blockScalar(ind int) (string, error) {
	b := p.b
	n := len(b)
	j := p.i
	literal := b[j] == '|'
	j++
	chomping := 0
	if j < n && (b[j] == '+' || b[j] == '-') {
		chomping = 1
		if b[j] == '-' {
			chomping = -1
		}
		j++
	}
	if j < n && b[j] >= '0' && b[j] <= '9' {
		return "", errFallback // an indentation indicator
	}
	for j < n && b[j] == ' ' {
		j++
	}
	if j < n && b[j] == '#' {
		for j < n && !isBreak(b[j]) {
			j++
		}
	}
	if j < n && !isBreak(b[j]) {
		return "", errFallback // an error for yaml.v3
	}
	line, ls := p.line, p.ls
	lineBreak := func() {
		if b[j] == '\r' {
			j++
		}
		j++
		line++
		ls = j
	}
	if j < n {
		lineBreak()
	}
	indent := 0
	trailing := 0 // line breaks after the last content line
	breaks := func() {
		maxIndent := 0
		for {
			for (indent == 0 || j-ls < indent) && j < n && b[j] == ' ' {
				j++
			}
			if j-ls > maxIndent {
				maxIndent = j - ls
			}
			if j >= n || !isBreak(b[j]) {
				break
			}
			trailing++
			lineBreak()
		}
		if indent == 0 {
			indent = max(maxIndent, ind+1, 1)
		}
	}
	breaks()
	var s []byte
	leadingBreak := false
	leadingBlank := false
	for j-ls == indent && j < n {
		trailingBlank := b[j] == ' '
		if !literal && !leadingBlank && !trailingBlank && leadingBreak {
			if trailing == 0 {
				s = append(s, ' ')
			}
		} else if leadingBreak {
			s = append(s, '\n')
		}
		leadingBreak = false
		for ; trailing > 0; trailing-- {
			s = append(s, '\n')
		}
		leadingBlank = b[j] == ' '
		e := j
		for e < n && !isBreak(b[e]) {
			e++
		}
		s = append(s, b[j:e]...)
		j = e
		if j < n {
			leadingBreak = true
			lineBreak()
		}
		breaks()
	}
	if chomping != -1 && leadingBreak {
		s = append(s, '\n')
	}
	if chomping == 1 {
		for ; trailing > 0; trailing-- {
			s = append(s, '\n')
		}
	}
	p.i, p.line, p.ls = j, line, ls
	return string(s), nil
}
