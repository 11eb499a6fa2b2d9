package inventory

import (
	"strings"
	"testing"
)

// genYAML turns fuzz bytes into a manifest-shaped YAML document, so that the
// differential fuzzer spends its time on inputs the fast decoder accepts
// (raw fuzz bytes mostly make it fall back): the bytes choose keys, values,
// nesting, indentation, comments, line endings and small corruptions from
// vocabularies of tricky cases.
func genYAML(data []byte) []byte {
	g := &yamlGen{data: data}
	crlf := g.pick(8) == 0
	g.mapping(0, 0)
	out := g.b.String()
	if n := g.pick(4); n == 0 && len(out) > 0 {
		// Corrupt one byte.
		i := g.pick(len(out))
		const corruptions = " :-#'\"[]{}|>\n\t&*!%,?"
		out = out[:i] + string(corruptions[g.pick(len(corruptions))]) + out[i+1:]
	}
	if crlf {
		out = strings.ReplaceAll(out, "\n", "\r\n")
	}
	return []byte(out)
}

type yamlGen struct {
	data []byte
	i    int
	b    strings.Builder
}

// pick returns a choice below n from the next fuzz byte, 0 when they run
// out, so that every input ends.
func (g *yamlGen) pick(n int) int {
	if g.i >= len(g.data) || n <= 1 {
		return 0
	}
	c := int(g.data[g.i])
	g.i++
	return c % n
}

func (g *yamlGen) more() bool { return g.i < len(g.data) }

var genKeys = []string{
	"name", "image", "app.kubernetes.io/name", "\"quoted key\"", "'single'", "true", "1", "-x",
	"a b", "k:v", "é", "\"a.b\"", "\"\"", "null", "~", "x[0]", "\"esc\\\"aped\"", "on", "key ", "<<",
}

var genScalars = []string{
	"nginx", "0755", "1e3", ".5", "-", "yes", "on", "null", "~", "a #b", "a: b", "x#y", "1_000",
	"0x1F", ".inf", "-.Inf", ".NaN", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "http://x:80/y",
	"<<", "-1", "+1", "1.", "0o17", "0b101", "-0b11", "18446744073709551616", "9223372036854775807",
	"true", "False", "TRUE", "tRUE", "\"on\"", "'it''s'", "\"tab\\tnl\\n\\u00e9\\x41\\\\\"",
	"\"\\/\"", "\"\\U0001F600\"", "\"\\ud800\"", "'a: b'", "\"# no\"", "100m", "128Mi", "'' ",
	"a  ", "\"x\" # c", "[a, b]", "{a: 1}", "[]", "{}", "[a, [b, {c: d}], \"e\", 'f']",
	"{\"k\":\"v\",\"n\":1}", "[a,]", "[a: 1]", "{a: }", "[-1, -.5, x y]", "ü", "a\u00a0b",
	"&anchor x", "*alias", "!!str 1", "? x", "%x", "@x", "`x", "!x", "|", ">-", "a, b",
}

var genBlockHeaders = []string{"|", "|-", "|+", ">", ">-", ">+", "| # c", "|2", ">\t", "|x"}

func (g *yamlGen) indent(n int) {
	g.b.WriteString(strings.Repeat(" ", n))
}

func (g *yamlGen) noise(ind int) {
	switch g.pick(12) {
	case 0:
		g.indent(g.pick(6))
		g.b.WriteString("# comment: [x]\n")
	case 1:
		g.b.WriteString("\n")
	case 2:
		g.indent(ind + g.pick(4))
		g.b.WriteString("\n")
	}
}

func (g *yamlGen) mapping(ind, depth int) {
	n := 1 + g.pick(5)
	for k := 0; k < n && (k == 0 || g.more()); k++ {
		g.noise(ind)
		g.indent(ind)
		if depth == 0 && k == 0 && g.pick(3) == 0 {
			g.b.WriteString("apiVersion: v1\n")
			g.indent(ind)
			g.b.WriteString("kind: " + []string{"Pod", "ConfigMap", "Deployment", "Service"}[g.pick(4)] + "\n")
			g.indent(ind)
		}
		g.b.WriteString(genKeys[g.pick(len(genKeys))])
		g.b.WriteString(":")
		g.value(ind, depth)
	}
}

func (g *yamlGen) value(ind, depth int) {
	choice := g.pick(9)
	if depth > 5 {
		choice = 0
	}
	switch choice {
	case 0, 1, 2:
		g.b.WriteString(" " + genScalars[g.pick(len(genScalars))])
		if g.pick(6) == 0 {
			g.b.WriteString(" # trailing")
		}
		g.b.WriteString("\n")
	case 3:
		g.b.WriteString("\n")
		g.mapping(ind+1+g.pick(4), depth+1)
	case 4:
		g.b.WriteString("\n")
		extra := []int{0, 2, 1, 4}[g.pick(4)]
		g.sequence(ind+extra, depth+1)
	case 5:
		g.b.WriteString(" " + genBlockHeaders[g.pick(len(genBlockHeaders))] + "\n")
		lines := g.pick(5)
		content := ind + 1 + g.pick(3)
		for l := 0; l < lines; l++ {
			switch g.pick(5) {
			case 0:
				g.b.WriteString("\n")
			case 1:
				g.indent(content + g.pick(3))
				g.b.WriteString("more indented\n")
			default:
				g.indent(content)
				g.b.WriteString("text line # not a comment\n")
			}
		}
	case 6:
		g.b.WriteString("\n") // empty value
	case 7:
		g.b.WriteString(" ")
		g.b.WriteString(genScalars[g.pick(len(genScalars))])
		g.b.WriteString("\n")
		if g.pick(4) == 0 {
			g.indent(ind + g.pick(4))
			g.b.WriteString("continued\n")
		}
	case 8:
		g.b.WriteString(" \n")
		g.indent(ind + 2)
		g.b.WriteString(genScalars[g.pick(len(genScalars))] + "\n")
	}
}

func (g *yamlGen) sequence(ind, depth int) {
	n := 1 + g.pick(4)
	for k := 0; k < n && (k == 0 || g.more()); k++ {
		g.noise(ind)
		g.indent(ind)
		g.b.WriteString("-")
		switch g.pick(6) {
		case 0, 1:
			g.b.WriteString(" " + genScalars[g.pick(len(genScalars))] + "\n")
		case 2, 3:
			// A compact mapping: "- key: value" and more keys below.
			sp := 1 + g.pick(2)
			g.indent(sp)
			g.b.WriteString(genKeys[g.pick(len(genKeys))] + ":")
			g.value(ind+1+sp, depth+1)
			if g.pick(2) == 0 {
				g.mapping(ind+1+sp, depth+1)
			}
		case 4:
			g.b.WriteString(" ")
			g.sequence(ind+2, depth+1)
		case 5:
			g.b.WriteString("\n")
		}
	}
}

func TestGenYAMLIsUsuallyHandled(t *testing.T) {
	handled := 0
	const n = 2000
	for i := 0; i < n; i++ {
		data := []byte{byte(i), byte(i >> 3), byte(i * 7), byte(i * 13), byte(i * 31), byte(i >> 5), byte(i * 17), byte(i * 3), byte(i * 11)}
		doc := genYAML(data)
		if compareDecoders(t, doc, 0, fuzzLimits) {
			handled++
		}
		compareFiles(t, "g.yaml", doc, fuzzLimits)
	}
	t.Logf("fast decoder handled %d of %d generated documents", handled, n)
	if handled < n/10 {
		t.Errorf("the generator makes too few documents the fast decoder handles: %d of %d", handled, n)
	}
}
