package inventory

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Pos is a 1-based line and column in a file.
type Pos struct {
	Line int32
	Col  int32
}

// Positions maps field paths of one document to where they stand in the
// file. Paths are hashed rather than stored so that indexing every field of
// every object stays cheap in memory; a collision can at worst point a
// finding at a wrong line, never change a result. The entries are a slice
// sorted by hash once the document is read (seal): half the memory of a
// map, which mattered with every field of every object indexed.
type Positions struct {
	e []posEntry
}

type posEntry struct {
	h   uint64
	pos Pos
}

func newPositions(hint int) *Positions {
	return &Positions{e: make([]posEntry, 0, hint)}
}

// FNV-1a, computed incrementally so that the decoder never builds path strings.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func hashByte(h uint64, b byte) uint64 {
	h ^= uint64(b)
	return h * fnvPrime
}

// keyHash extends the hash of a parent path with a mapping key, using the
// same spelling as FieldPath.Key.
func keyHash(parent uint64, root bool, key string) uint64 {
	if needsQuote(key) {
		return hashString(parent, "["+strconv.Quote(key)+"]")
	}
	if !root {
		parent = hashByte(parent, '.')
	}
	return hashString(parent, key)
}

// indexHash extends the hash of a parent path with a sequence index.
func indexHash(parent uint64, i int) uint64 {
	parent = hashByte(parent, '[')
	parent = hashString(parent, strconv.Itoa(i))
	return hashByte(parent, ']')
}

func needsQuote(key string) bool {
	return key == "" || strings.ContainsAny(key, ".[]\"")
}

func (p *Positions) set(h uint64, line, col int) {
	if p == nil {
		return
	}
	p.e = append(p.e, posEntry{h: h, pos: Pos{Line: int32(line), Col: int32(col)}})
}

// seal sorts the entries for lookup, keeping the last position set for a
// path, and trims the spare capacity. Decoders call it when the document
// is read; lookups may then run from many goroutines.
func (p *Positions) seal() {
	if p == nil {
		return
	}
	slices.SortStableFunc(p.e, func(a, b posEntry) int { return cmp.Compare(a.h, b.h) })
	out := p.e[:0]
	for i, e := range p.e {
		if i+1 < len(p.e) && p.e[i+1].h == e.h {
			continue // a later set of the same path wins
		}
		out = append(out, e)
	}
	if cap(out) > len(out)+len(out)/4 {
		out = slices.Clone(out)
	}
	p.e = out
}

// sealCopy seals p into a new slice of exactly its size, leaving the
// entries it was built in to be reused.
func (p *Positions) sealCopy() {
	slices.SortStableFunc(p.e, func(a, b posEntry) int { return cmp.Compare(a.h, b.h) })
	n := 0
	for i, e := range p.e {
		if i+1 < len(p.e) && p.e[i+1].h == e.h {
			continue // a later set of the same path wins
		}
		n++
	}
	out := make([]posEntry, 0, n)
	for i, e := range p.e {
		if i+1 < len(p.e) && p.e[i+1].h == e.h {
			continue
		}
		out = append(out, e)
	}
	p.e = out
}

// Lookup returns the position of exactly this path.
func (p *Positions) Lookup(path string) (Pos, bool) {
	if p == nil {
		return Pos{}, false
	}
	h := hashString(fnvOffset, path)
	i, ok := slices.BinarySearchFunc(p.e, h, func(e posEntry, h uint64) int { return cmp.Compare(e.h, h) })
	if !ok {
		return Pos{}, false
	}
	return p.e[i].pos, true
}

// Nearest returns the position of path, or of its closest ancestor that is
// in the file (a check often points at a field that is missing, such as an
// absent securityContext: then the container is the place to fix).
func (p *Positions) Nearest(path string) (Pos, bool) {
	for {
		if pos, ok := p.Lookup(path); ok {
			return pos, true
		}
		parent, ok := parentPath(path)
		if !ok {
			return Pos{}, false
		}
		path = parent
	}
}

// parentPath drops the last segment of a field path.
func parentPath(path string) (string, bool) {
	if path == "" {
		return "", false
	}
	if strings.HasSuffix(path, "]") {
		// Find the '[' that opens the last segment, skipping a quoted key.
		inQuote := false
		for i := len(path) - 2; i >= 0; i-- {
			c := path[i]
			if c == '"' && (i == 0 || path[i-1] != '\\') {
				inQuote = !inQuote
			}
			if c == '[' && !inQuote {
				return path[:i], true
			}
		}
		return "", true
	}
	i := strings.LastIndexAny(path, ".]")
	if i < 0 {
		return "", true
	}
	if path[i] == ']' {
		return path[:i+1], true
	}
	return path[:i], true
}

// FieldPath builds field paths in the spelling Positions uses:
// spec.containers[0].securityContext, metadata.annotations["a.b/c"].
type FieldPath string

// Key appends a mapping key.
func (f FieldPath) Key(k string) FieldPath {
	if needsQuote(k) {
		return f + FieldPath("["+strconv.Quote(k)+"]")
	}
	if f == "" {
		return FieldPath(k)
	}
	return f + "." + FieldPath(k)
}

// Index appends a sequence index.
func (f FieldPath) Index(i int) FieldPath {
	return f + FieldPath("["+strconv.Itoa(i)+"]")
}

// Keys appends several keys, in one allocation when none needs quoting
// (checks build a path for each finding).
func (f FieldPath) Keys(ks ...string) FieldPath {
	n := len(f)
	for _, k := range ks {
		if needsQuote(k) {
			for _, k := range ks {
				f = f.Key(k)
			}
			return f
		}
		n += 1 + len(k)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(string(f))
	for _, k := range ks {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(k)
	}
	return FieldPath(b.String())
}

// String returns the path.
func (f FieldPath) String() string { return string(f) }
