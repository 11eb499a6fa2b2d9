package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Limits bound what one input may cost, so that a hostile file cannot
// exhaust memory or time.
type Limits struct {
	// MaxFileBytes refuses larger files.
	MaxFileBytes int64
	// MaxNodes caps the YAML nodes one document may expand to, aliases
	// included: the defence against "billion laughs" alias bombs.
	MaxNodes int
	// MaxDepth caps nesting.
	MaxDepth int
}

// DefaultLimits are generous for real manifests and tight for attacks.
var DefaultLimits = Limits{
	MaxFileBytes: 32 << 20,
	MaxNodes:     1_000_000,
	MaxDepth:     256,
}

// Sentinel errors callers may branch on.
var (
	ErrTooLarge   = errors.New("file too large")
	ErrBinary     = errors.New("binary file")
	ErrAliasBomb  = errors.New("document expands to too many nodes (alias bomb?)")
	ErrTooDeep    = errors.New("document nested too deeply")
	ErrNotMapping = errors.New("document is not a mapping")
)

// DocError is a problem with one document, with the line it starts at.
type DocError struct {
	Line int
	Err  error
}

func (e *DocError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *DocError) Unwrap() error { return e.Err }

// decoder turns the bytes of one YAML or JSON document into plain values
// (map[string]any, []any, string, int64, float64, bool, nil) and the
// positions of every field. lineOffset is the file line the document
// starts on, minus one. It returns (nil, nil, nil) for an empty document.
//
// It is an interface so that a faster manifest-specialised decoder can sit
// behind it, with yaml.v3 as the reference and fallback.
type decoder interface {
	decode(doc []byte, lineOffset int, lim Limits) (map[string]any, *Positions, error)
}

// yamlDecoder is the reference decoder built on go.yaml.in/yaml/v3.
type yamlDecoder struct{}

func (yamlDecoder) decode(doc []byte, lineOffset int, lim Limits) (map[string]any, *Positions, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, nil, &DocError{Line: lineOffset + yamlErrLine(err), Err: cleanYAMLError(err)}
	}
	if root.Kind == 0 || (root.Kind == yaml.DocumentNode && len(root.Content) == 0) {
		return nil, nil, nil
	}
	n := &root
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil, nil
	}
	w := walker{pos: newPositions(64), off: lineOffset, lim: lim}
	w.pos.set(fnvOffset, lineOffset+n.Line, n.Column) // the empty path: the document itself
	v, err := w.value(n, fnvOffset, true, 0)
	if err != nil {
		return nil, nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, &DocError{Line: lineOffset + n.Line, Err: fmt.Errorf("%w (found %s)", ErrNotMapping, kindName(n))}
	}
	w.pos.seal()
	return m, w.pos, nil
}

type walker struct {
	pos   *Positions
	off   int
	lim   Limits
	nodes int
}

func (w *walker) value(n *yaml.Node, h uint64, root bool, depth int) (any, error) {
	w.nodes++
	if w.nodes > w.lim.MaxNodes {
		return nil, &DocError{Line: w.off + n.Line, Err: ErrAliasBomb}
	}
	if depth > w.lim.MaxDepth {
		return nil, &DocError{Line: w.off + n.Line, Err: ErrTooDeep}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, &DocError{Line: w.off + n.Line, Err: errors.New("unknown alias")}
		}
		// Positions inside an alias point at the anchor, which is the
		// text a user would edit.
		return w.value(n.Alias, h, root, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		if err := w.mapping(n, m, h, root, depth); err != nil {
			return nil, err
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			ch := indexHash(h, i)
			w.pos.set(ch, w.off+c.Line, c.Column)
			v, err := w.value(c, ch, false, depth+1)
			if err != nil {
				return nil, err
			}
			s[i] = v
		}
		return s, nil
	case yaml.ScalarNode:
		return scalar(n, w.off)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return w.value(n.Content[0], h, root, depth+1)
	}
	return nil, &DocError{Line: w.off + n.Line, Err: fmt.Errorf("unexpected YAML node kind %d", n.Kind)}
}

func (w *walker) mapping(n *yaml.Node, m map[string]any, h uint64, root bool, depth int) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			if err := w.merge(v, m, h, root, depth); err != nil {
				return err
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return &DocError{Line: w.off + k.Line, Err: errors.New("mapping key is not a scalar")}
		}
		kh := keyHash(h, root, k.Value)
		w.pos.set(kh, w.off+k.Line, k.Column)
		val, err := w.value(v, kh, false, depth+1)
		if err != nil {
			return err
		}
		m[k.Value] = val
	}
	return nil
}

// merge applies a YAML merge key (<<: *anchor or a list of anchors); keys
// already present win, as the YAML merge spec says.
func (w *walker) merge(v *yaml.Node, m map[string]any, h uint64, root bool, depth int) error {
	srcs := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		srcs = v.Content
	}
	for _, s := range srcs {
		for s.Kind == yaml.AliasNode && s.Alias != nil {
			s = s.Alias
		}
		if s.Kind != yaml.MappingNode {
			return &DocError{Line: w.off + v.Line, Err: errors.New("merge key value is not a mapping")}
		}
		tmp := make(map[string]any)
		if err := w.mapping(s, tmp, h, root, depth+1); err != nil {
			return err
		}
		for k, val := range tmp {
			if _, ok := m[k]; !ok {
				m[k] = val
			}
		}
	}
	return nil
}

// scalar resolves a scalar with YAML 1.2 core-schema tags, as Kubernetes'
// own YAML decoding (via sigs.k8s.io/yaml) does for the types it meets.
func scalar(n *yaml.Node, off int) (any, error) {
	return scalarValue(n.ShortTag(), n.Value), nil
}

// scalarValue is the value of a scalar with the given short tag; the fast
// decoder shares it.
func scalarValue(tag, value string) any {
	switch tag {
	case "!!null":
		return nil
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(value))
		if err != nil {
			return value
		}
		return b
	case "!!int":
		v := strings.ReplaceAll(value, "_", "")
		if i, err := strconv.ParseInt(v, 0, 64); err == nil {
			return i
		}
		if strings.HasPrefix(v, "0o") || strings.HasPrefix(v, "-0o") {
			if i, err := strconv.ParseInt(strings.Replace(v, "0o", "0", 1), 8, 64); err == nil {
				return i
			}
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
		return value
	case "!!float":
		v := strings.ToLower(value)
		switch v {
		case ".inf", "+.inf":
			return math.Inf(1)
		case "-.inf":
			return math.Inf(-1)
		case ".nan":
			return math.NaN()
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(value, "_", ""), 64)
		if err != nil {
			return value
		}
		return f
	default:
		// Strings, timestamps, binary and custom tags stay strings.
		return value
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	default:
		return "something else"
	}
}

// yamlErrLine extracts "line N" from a yaml.v3 error, or 1.
func yamlErrLine(err error) int {
	s := err.Error()
	i := strings.Index(s, "line ")
	if i < 0 {
		return 1
	}
	j := i + len("line ")
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	n, convErr := strconv.Atoi(s[j:k])
	if convErr != nil || n < 1 {
		return 1
	}
	return n
}

// cleanYAMLError drops yaml.v3's "yaml: line N:" prefix; DocError says the
// line itself, relative to the file rather than the document.
func cleanYAMLError(err error) error {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: ")
	if strings.HasPrefix(s, "line ") {
		if i := strings.Index(s, ": "); i > 0 {
			s = s[i+2:]
		}
	}
	return errors.New(s)
}

// splitDocs splits a YAML stream at "---" separator lines, the way kubectl's
// YAML reader does, so that one broken document does not hide the others.
// It returns each document with the number of lines before it.
func splitDocs(data []byte) (docs [][]byte, offsets []int) {
	line, start, startLine := 0, 0, 0
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		l := data[i:next]
		if sep, inline := separator(l); sep {
			docs = append(docs, data[start:i])
			offsets = append(offsets, startLine)
			start, startLine = next, line+1
			if inline {
				// "--- |" or "--- {a: 1}": the document starts on this line.
				start, startLine = i+3, line
			}
		}
		line++
		i = next
	}
	docs = append(docs, data[start:])
	offsets = append(offsets, startLine)
	return docs, offsets
}

// separator reports whether l is a "---" line, and whether content follows
// it on the same line.
func separator(l []byte) (sep, inline bool) {
	if !bytes.HasPrefix(l, []byte("---")) {
		return false, false
	}
	rest := bytes.TrimRight(l[3:], "\r\n")
	if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' {
		return false, false
	}
	rest = bytes.TrimSpace(rest)
	return true, len(rest) > 0 && rest[0] != '#'
}
