package inventory

import (
	"bytes"
	"errors"
	"unicode/utf8"
)

// errFallback is returned by the fast decoder for a document it does not
// handle with certainty; parseFile then decodes it with yamlDecoder, which
// also reports any error in it.
var errFallback = errors.New("document needs the full YAML parser")

// fastMaxDepth bounds the fast decoder's recursion whatever the limits say;
// deeper documents go to yaml.v3.
const fastMaxDepth = 1000

// fastDecoder decodes the YAML that manifests are made of — block mappings
// and sequences, plain and quoted scalars on one line, literal and folded
// block scalars, one-line flow collections, comments — straight into plain
// values and positions, with the same results as yamlDecoder. Anything else
// (anchors, aliases, tags, merge keys, multi-line flow collections or
// scalars, explicit keys, tabs, directives, unusual indentation, errors)
// makes it return errFallback.
//
// A fastDecoder is used by one goroutine, for the documents of one file: it
// shares the strings and boxed scalars that repeat between them.
type fastDecoder struct {
	keys   map[string]string // mapping keys and quoted strings
	plain  map[string]any    // plain scalars, resolved and boxed
	quoted map[string]any    // quoted strings, boxed
	// scratch collects the positions of the document being read; each
	// document then gets one slice of exactly its size (growing a slice
	// per document, then trimming it, was a fifth of what loading
	// allocated).
	scratch []posEntry
	// entries holds the entries of the mappings being read, innermost
	// last; each mapping then gets one slice of exactly its size.
	entries []fastKV
	// kvs and maps hold the fastMaps of the document being read. They are
	// reused for the next document: nothing keeps a fastMap once its
	// document is converted (plain copies them into maps), and mappings
	// were, after all else, still a tenth of what a scan allocated.
	kvs  []fastKV
	maps []fastMap
}

// newMap returns a fastMap holding a copy of kv, from the document's arena.
func (d *fastDecoder) newMap(kv []fastKV) *fastMap {
	if len(d.kvs)+len(kv) > cap(d.kvs) {
		d.kvs = make([]fastKV, 0, max(2*cap(d.kvs), len(kv), 256))
	}
	start := len(d.kvs)
	d.kvs = append(d.kvs, kv...)
	if len(d.maps) == cap(d.maps) {
		d.maps = make([]fastMap, 0, max(2*cap(d.maps), 64))
	}
	d.maps = append(d.maps, fastMap{kv: d.kvs[start:len(d.kvs):len(d.kvs)]})
	return &d.maps[len(d.maps)-1]
}

// fastMap is a block mapping as the fast decoder reads it: its entries in
// order, without duplicate keys. It stands in for map[string]any below a
// document's root, because a Go map per mapping was two fifths of what
// loading allocated; the typed conversion reads it directly, and plain
// turns it into map[string]any where plain values are needed.
type fastMap struct {
	kv []fastKV
}

type fastKV struct {
	k string
	v any
}

// get returns the value of key k, if present.
func (m *fastMap) get(k string) (any, bool) {
	for _, e := range m.kv {
		if e.k == k {
			return e.v, true
		}
	}
	return nil, false
}

// plain returns v with every fastMap in it turned into map[string]any, as
// the YAML decoder would have returned it. Maps and slices are changed in
// place: the fast decoder's values are not shared.
func plain(v any) any {
	switch v := v.(type) {
	case *fastMap:
		m := make(map[string]any, len(v.kv))
		for _, e := range v.kv {
			m[e.k] = plain(e.v)
		}
		return m
	case map[string]any:
		for k, x := range v {
			switch x.(type) {
			case *fastMap, map[string]any, []any:
				v[k] = plain(x)
			}
		}
	case []any:
		for i, x := range v {
			switch x.(type) {
			case *fastMap, map[string]any, []any:
				v[i] = plain(x)
			}
		}
	}
	return v
}

// field returns the value of key k in the mapping v, or nil.
func field(v any, k string) any {
	switch m := v.(type) {
	case map[string]any:
		return m[k]
	case *fastMap:
		x, _ := m.get(k)
		return x
	}
	return nil
}

// rootMap returns v as a plain mapping at its top level (values below stay
// as they are), or false when v is not a mapping.
func rootMap(v any) (map[string]any, bool) {
	switch v := v.(type) {
	case map[string]any:
		return v, true
	case *fastMap:
		m := make(map[string]any, len(v.kv))
		for _, e := range v.kv {
			m[e.k] = e.v
		}
		return m, true
	}
	return nil, false
}

func newFastDecoder() *fastDecoder {
	return &fastDecoder{
		keys:   make(map[string]string, 256),
		plain:  make(map[string]any, 256),
		quoted: make(map[string]any, 64),
	}
}

// fastCacheMax bounds the length of the strings the decoder shares; longer
// ones are rarely repeated.
const fastCacheMax = 64

func (d *fastDecoder) str(b []byte) string {
	if len(b) > fastCacheMax {
		return string(b)
	}
	if s, ok := d.keys[string(b)]; ok {
		return s
	}
	s := string(b)
	d.keys[s] = s
	return s
}

func (d *fastDecoder) plainValue(b []byte) any {
	if len(b) > fastCacheMax {
		return resolvePlain(string(b))
	}
	if v, ok := d.plain[string(b)]; ok {
		return v
	}
	s := string(b)
	v := resolvePlain(s)
	d.plain[s] = v
	return v
}

func (d *fastDecoder) quotedValue(s string) any {
	if len(s) > fastCacheMax {
		return s
	}
	if v, ok := d.quoted[s]; ok {
		return v
	}
	var v any = s
	d.quoted[s] = v
	return v
}

// fastCacheEntries bounds the shared strings a decoder keeps; past it, it
// starts afresh.
const fastCacheEntries = 1 << 14

func (d *fastDecoder) decode(doc []byte, lineOffset int, lim Limits) (map[string]any, *Positions, error) {
	if len(d.keys)+len(d.plain)+len(d.quoted) > fastCacheEntries {
		clear(d.keys)
		clear(d.plain)
		clear(d.quoted)
	}
	ascii, ok := fastCheck(doc)
	if !ok {
		return nil, nil, errFallback
	}
	// The previous document's mappings are no longer referenced.
	clear(d.kvs)
	clear(d.maps)
	d.kvs, d.maps = d.kvs[:0], d.maps[:0]
	p := fastParser{b: doc, line: 1, ascii: ascii, off: lineOffset, lim: lim, d: d}
	m, err := p.document()
	if p.pos != nil {
		defer func(buf []posEntry) { d.scratch = buf[:0] }(p.pos.e)
	}
	if err != nil {
		return nil, nil, err
	}
	if m == nil {
		return nil, nil, nil
	}
	p.pos.sealCopy()
	return m, p.pos, nil
}

// fastCheck reports whether doc has only characters the fast decoder
// handles: no tabs, no control characters, no lone carriage returns, valid
// UTF-8 without byte order marks or the Unicode line breaks (NEL, LS, PS)
// that YAML counts as lines. ascii says whether it is all ASCII, so that
// byte offsets are columns.
func fastCheck(doc []byte) (ascii, ok bool) {
	ascii = true
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if c >= 0x20 && c < 0x7f {
			continue
		}
		switch {
		case c == '\n':
		case c == '\r':
			if i+1 >= len(doc) || doc[i+1] != '\n' {
				return false, false
			}
		case c >= 0x80:
			ascii = false
		default: // tabs, other control characters, DEL
			return false, false
		}
	}
	if ascii {
		return true, true
	}
	for i := 0; i < len(doc); {
		if doc[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError || r < 0xA0 || r == 0x2028 || r == 0x2029 || r == 0xFEFF || r == 0xFFFE || r == 0xFFFF {
			return false, false
		}
		i += n
	}
	return false, true
}

// fastParser walks one document. The cursor i is on line line (1-based),
// which starts at byte ls.
type fastParser struct {
	b     []byte
	i     int
	ls    int
	line  int
	ascii bool
	off   int
	lim   Limits
	nodes int
	pos   *Positions
	d     *fastDecoder
}

// col returns the 1-based column of byte j of the current line, counted in
// characters as yaml.v3 does.
func (p *fastParser) col(j int) int {
	if p.ascii {
		return j - p.ls + 1
	}
	return utf8.RuneCount(p.b[p.ls:j]) + 1
}

// enter counts a value node, as the walker does, and hands documents over
// the limits to yaml.v3 so that they fail the same way.
func (p *fastParser) enter(depth int) error {
	p.nodes++
	if p.nodes > p.lim.MaxNodes || depth > p.lim.MaxDepth || depth > fastMaxDepth {
		return errFallback
	}
	return nil
}

// nextLine moves the cursor to the start of the line after the one holding
// byte j, or to the end.
func (p *fastParser) nextLine(j int) {
	k := bytes.IndexByte(p.b[j:], '\n')
	if k < 0 {
		p.i = len(p.b)
		return
	}
	p.i = j + k + 1
	p.ls = p.i
	p.line++
}

func isBreak(c byte) bool { return c == '\n' || c == '\r' }

// blankAt reports whether byte j is a space, a line break or the end: what
// must follow a ':' that ends a key in block context.
func (p *fastParser) blankAt(j int) bool {
	return j >= len(p.b) || p.b[j] == ' ' || isBreak(p.b[j])
}

// seekContent moves the cursor to the first character of the next line
// that holds more than spaces and a comment. The cursor must be at the
// start of a line or at such a character already.
func (p *fastParser) seekContent() (bool, error) {
	b := p.b
	for p.i < len(b) {
		j := p.i
		for j < len(b) && b[j] == ' ' {
			j++
		}
		if j == len(b) {
			p.i = j
			return false, nil
		}
		if c := b[j]; isBreak(c) || c == '#' {
			p.nextLine(j)
			continue
		}
		if j == p.ls && (b[j] == '%' || bytes.HasPrefix(b[j:], []byte("---")) || bytes.HasPrefix(b[j:], []byte("..."))) {
			return false, errFallback // directives and document markers
		}
		p.i = j
		return true, nil
	}
	return false, nil
}

// endLine checks that only spaces and a comment follow the cursor on its
// line, and moves to the next line.
func (p *fastParser) endLine() error {
	b := p.b
	j := p.i
	for j < len(b) && b[j] == ' ' {
		j++
	}
	switch {
	case j == len(b):
		p.i = j
	case isBreak(b[j]), b[j] == '#' && j > p.i:
		p.nextLine(j)
	default:
		return errFallback
	}
	return nil
}

func (p *fastParser) document() (map[string]any, error) {
	ok, err := p.seekContent()
	if err != nil || !ok {
		return nil, err // an empty document, or one of comments only
	}
	ind := p.i - p.ls
	if p.d.scratch == nil {
		p.d.scratch = make([]posEntry, 0, 1024)
	}
	p.pos = &Positions{e: p.d.scratch[:0]}
	p.pos.set(fnvOffset, p.off+p.line, p.col(p.i))
	if err := p.enter(0); err != nil {
		return nil, err
	}
	var m map[string]any
	if p.b[p.i] == '{' {
		m, err = p.flowMap(fnvOffset, true, 0)
		if err == nil {
			err = p.endLine()
		}
	} else {
		if _, ok := p.keyEnd(p.i); !ok {
			return nil, errFallback // not a mapping, or not one we know
		}
		var v any
		v, err = p.blockMapping(ind, fnvOffset, true, 0)
		m, _ = v.(map[string]any)
	}
	if err != nil {
		return nil, err
	}
	if more, err := p.seekContent(); more || err != nil {
		return nil, errFallback // content after the root: an error for yaml.v3
	}
	return m, nil
}

// plainStart reports whether byte j may start a plain scalar the fast
// decoder reads: not an indicator, or a '-' followed by something other
// than a space, a line break or a flow indicator.
func (p *fastParser) plainStart(j int) bool {
	switch p.b[j] {
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ', '\n', '\r':
		return false
	case '-':
		if j+1 >= len(p.b) {
			return false
		}
		switch p.b[j+1] {
		case ' ', '\n', '\r', ',', '[', ']', '{', '}':
			return false
		}
	}
	return true
}

// keyEnd reports whether a simple key of a block mapping starts at byte j,
// and where its ':' is.
func (p *fastParser) keyEnd(j int) (int, bool) {
	b := p.b
	if c := b[j]; c == '"' || c == '\'' {
		k, ok := p.skipQuoted(j)
		if !ok {
			return 0, false
		}
		for k < len(b) && b[k] == ' ' {
			k++
		}
		if k < len(b) && b[k] == ':' && p.blankAt(k+1) {
			return k, true
		}
		return 0, false
	}
	if !p.plainStart(j) {
		return 0, false
	}
	for k := j; k < len(b); k++ {
		switch b[k] {
		case '\n', '\r':
			return 0, false
		case ':':
			if p.blankAt(k + 1) {
				return k, true
			}
		case ' ':
			if k+1 < len(b) && b[k+1] == '#' {
				return 0, false
			}
		}
	}
	return 0, false
}

// key reads the key of a block mapping entry at the cursor and moves past
// its ':'.
func (p *fastParser) key() (string, int, int, error) {
	j := p.i
	end, ok := p.keyEnd(j)
	// yaml.v3 forgets a simple key after 1024 characters.
	if !ok || end-j > 1000 {
		return "", 0, 0, errFallback
	}
	line, col := p.line, p.col(j)
	var key string
	if c := p.b[j]; c == '"' || c == '\'' {
		s, _, err := p.quoted(j)
		if err != nil {
			return "", 0, 0, err
		}
		key = s
	} else {
		key = p.d.str(trimSpaces(p.b[j:end]))
		if key == "<<" {
			return "", 0, 0, errFallback // a merge key
		}
	}
	p.i = end + 1
	return key, line, col, nil
}

func trimSpaces(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// blockMapping reads a block mapping whose first key is at the cursor, at
// 0-based column ind, leaving the cursor on the first content line after it.
func (p *fastParser) blockMapping(ind int, h uint64, root bool, depth int) (any, error) {
	base := len(p.d.entries)
	defer func() { p.d.entries = p.d.entries[:base] }()
	var seen map[string]int // keys of a long mapping, for findKey
	for {
		key, line, col, err := p.key()
		if err != nil {
			return nil, err
		}
		kh := fastKeyHash(h, root, key)
		p.pos.set(kh, p.off+line, col)
		v, err := p.mapValue(ind, kh, depth+1)
		if err != nil {
			return nil, err
		}
		// A repeated key keeps its last value, as with a map.
		if j := p.findKey(base, key, &seen); j >= 0 {
			p.d.entries[j].v = v
		} else {
			p.d.entries = append(p.d.entries, fastKV{key, v})
		}
		ok, err := p.seekContent()
		if err != nil {
			return nil, err
		}
		if ok {
			switch c := p.i - p.ls; {
			case c > ind:
				return nil, errFallback
			case c == ind:
				continue
			}
		}
		kv := p.d.entries[base:]
		if root {
			m := make(map[string]any, len(kv))
			for _, e := range kv {
				m[e.k] = e.v
			}
			return m, nil
		}
		return p.d.newMap(kv), nil
	}
}

// findKey returns the index in p.d.entries of key among the entries of the
// mapping starting at base, or -1, noting key as the next entry's; a long
// mapping indexes its keys in *seen.
func (p *fastParser) findKey(base int, key string, seen *map[string]int) int {
	kv := p.d.entries[base:]
	if *seen == nil && len(kv) >= 16 {
		*seen = make(map[string]int, 2*len(kv))
		for i, e := range kv {
			(*seen)[e.k] = base + i
		}
	}
	if *seen != nil {
		if j, ok := (*seen)[key]; ok {
			return j
		}
		(*seen)[key] = len(p.d.entries)
		return -1
	}
	for i, e := range kv {
		if e.k == key {
			return base + i
		}
	}
	return -1
}

// mapValue reads the value after "key:" in a block mapping at column ind.
func (p *fastParser) mapValue(ind int, h uint64, depth int) (any, error) {
	if err := p.enter(depth); err != nil {
		return nil, err
	}
	b := p.b
	j := p.i
	for j < len(b) && b[j] == ' ' {
		j++
	}
	if j < len(b) && !isBreak(b[j]) && b[j] != '#' {
		p.i = j
		return p.inlineValue(ind, h, depth)
	}
	// Nothing on this line: the value is a block collection below, or null.
	p.nextLine(j)
	ok, err := p.seekContent()
	if err != nil || !ok {
		return nil, err
	}
	c := p.i - p.ls
	switch {
	case c > ind:
		if p.dashAt(p.i) {
			return p.blockSequence(c, h, depth, false)
		}
		if _, ok := p.keyEnd(p.i); ok {
			return p.blockMapping(c, h, false, depth)
		}
		return nil, errFallback // a scalar on its own line, a flow collection...
	case c == ind && p.dashAt(p.i):
		return p.blockSequence(c, h, depth, true)
	}
	return nil, nil
}

// dashAt reports whether a block sequence entry starts at byte j.
func (p *fastParser) dashAt(j int) bool {
	return p.b[j] == '-' && p.blankAt(j+1)
}

// blockSequence reads a block sequence whose first '-' is at the cursor, at
// column ind. An indentless sequence (at the column of its mapping's keys)
// ends at the next key.
func (p *fastParser) blockSequence(ind int, h uint64, depth int, indentless bool) ([]any, error) {
	b := p.b
	var s []any
	for idx := 0; ; idx++ {
		j := p.i + 1
		for j < len(b) && b[j] == ' ' {
			j++
		}
		if j >= len(b) || isBreak(b[j]) || b[j] == '#' {
			return nil, errFallback // an empty entry, or one that starts below
		}
		ih := indexHash(h, idx)
		p.pos.set(ih, p.off+p.line, p.col(j))
		if err := p.enter(depth + 1); err != nil {
			return nil, err
		}
		p.i = j
		var v any
		var err error
		switch _, isKey := p.keyEnd(j); {
		case p.dashAt(j):
			v, err = p.blockSequence(j-p.ls, ih, depth+1, false)
		case isKey:
			v, err = p.blockMapping(j-p.ls, ih, false, depth+1)
		default:
			v, err = p.inlineValue(ind, ih, depth+1)
		}
		if err != nil {
			return nil, err
		}
		s = append(s, v)
		ok, err := p.seekContent()
		if err != nil {
			return nil, err
		}
		if !ok {
			return s, nil
		}
		c := p.i - p.ls
		switch {
		case c == ind && p.dashAt(p.i):
			continue
		case c < ind, c == ind && indentless:
			return s, nil
		}
		return nil, errFallback
	}
}

// inlineValue reads a value that starts at the cursor, on the line of its
// key or '-', inside a block collection at column ind. It leaves the cursor
// at the start of a following line.
func (p *fastParser) inlineValue(ind int, h uint64, depth int) (any, error) {
	b := p.b
	switch b[p.i] {
	case '"', '\'':
		s, k, err := p.quoted(p.i)
		if err != nil {
			return nil, err
		}
		p.i = k
		if err := p.endLine(); err != nil {
			return nil, err
		}
		return p.d.quotedValue(s), nil
	case '[', '{':
		var v any
		var err error
		if b[p.i] == '[' {
			v, err = p.flowSeq(h, depth)
		} else {
			v, err = p.flowMap(h, false, depth)
		}
		if err != nil {
			return nil, err
		}
		if err := p.endLine(); err != nil {
			return nil, err
		}
		return v, nil
	case '|', '>':
		s, err := p.blockScalar(ind)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	if !p.plainStart(p.i) {
		return nil, errFallback
	}
	return p.plainScalar(ind)
}

// plainScalar reads a one-line plain scalar in block context.
func (p *fastParser) plainScalar(ind int) (any, error) {
	b := p.b
	j := p.i
	k := j
	comment := false
scan:
	for ; k < len(b); k++ {
		switch b[k] {
		case '\n', '\r':
			break scan
		case ':':
			if p.blankAt(k + 1) {
				return nil, errFallback // "a: b: c", an error for yaml.v3
			}
		case ' ':
			if k+1 < len(b) && b[k+1] == '#' {
				comment = true
				break scan
			}
		}
	}
	text := trimSpaces(b[j:k])
	if !comment && p.continues(k, ind) {
		return nil, errFallback // a multi-line plain scalar
	}
	p.nextLine(k)
	return p.d.plainValue(text), nil
}

// continues reports whether a plain scalar ending at the line break at k
// goes on to the next lines: yaml.v3 folds in any following line indented
// more than the enclosing block collection (column ind) unless it is a
// comment.
func (p *fastParser) continues(k, ind int) bool {
	b := p.b
	for {
		nl := bytes.IndexByte(b[k:], '\n')
		if nl < 0 {
			return false
		}
		start := k + nl + 1
		j := start
		for j < len(b) && b[j] == ' ' {
			j++
		}
		if j == len(b) {
			return false
		}
		if isBreak(b[j]) {
			k = j
			continue
		}
		return j-start > ind && b[j] != '#'
	}
}

// fastKeyHash is keyHash without its allocation-free but slower check for
// keys that need quoting.
func fastKeyHash(parent uint64, root bool, key string) uint64 {
	if key == "" {
		return keyHash(parent, root, key)
	}
	for i := 0; i < len(key); i++ {
		switch key[i] {
		case '.', '[', ']', '"':
			return keyHash(parent, root, key)
		}
	}
	if !root {
		parent = hashByte(parent, '.')
	}
	return hashString(parent, key)
}
