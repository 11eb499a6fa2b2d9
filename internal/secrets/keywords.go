package secrets

import (
	"fmt"
	"unicode/utf8"
)

// keywordDFA finds gitleaks' rule keywords in text regardless of ASCII
// case, in one pass and without a lower-cased copy of the text. It is an
// Aho-Corasick automaton compiled to a full transition table, with bytes
// mapped to classes (those that occur in a keyword, by lower-case value,
// and one class for all others) so that the table stays small enough for
// the cache. Written here rather than taken from an Aho-Corasick package
// because the one gitleaks uses needs lower-cased input, which cost a copy
// of every file, and walks failure links at run time.
type keywordDFA struct {
	class    [256]uint8
	nclass   int
	next     []uint16 // next[state*nclass+class]
	out      [][]int  // keywords ending at a state, by index
	keywords []string
}

// newKeywordDFA builds the automaton; keywords must be lower-case ASCII.
func newKeywordDFA(keywords []string) (*keywordDFA, error) {
	d := &keywordDFA{keywords: keywords}
	for _, k := range keywords {
		if k == "" {
			return nil, fmt.Errorf("empty keyword")
		}
		for i := 0; i < len(k); i++ {
			c := k[i]
			if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
				return nil, fmt.Errorf("keyword %q is not lower-case ASCII", k)
			}
			if d.class[c] == 0 {
				d.nclass++
				d.class[c] = uint8(d.nclass)
			}
		}
	}
	d.nclass++ // class 0: bytes in no keyword
	if d.nclass > 256 {
		return nil, fmt.Errorf("too many distinct keyword bytes")
	}
	for c := 'A'; c <= 'Z'; c++ {
		d.class[c] = d.class[c+'a'-'A']
	}
	// The trie, with goto transitions only.
	type node struct {
		child map[uint8]int
		out   []int
	}
	nodes := []node{{child: map[uint8]int{}}}
	for ki, k := range keywords {
		s := 0
		for i := 0; i < len(k); i++ {
			c := d.class[k[i]]
			t, ok := nodes[s].child[c]
			if !ok {
				t = len(nodes)
				nodes = append(nodes, node{child: map[uint8]int{}})
				nodes[s].child[c] = t
			}
			s = t
		}
		nodes[s].out = append(nodes[s].out, ki)
	}
	if len(nodes) > 1<<16 {
		return nil, fmt.Errorf("%d states: too many keywords", len(nodes))
	}
	// Breadth first: each state's transitions are its children's, or
	// its failure state's; its outputs include its failure state's.
	d.next = make([]uint16, len(nodes)*d.nclass)
	d.out = make([][]int, len(nodes))
	fail := make([]int, len(nodes))
	queue := []int{}
	for c := 0; c < d.nclass; c++ {
		if t, ok := nodes[0].child[uint8(c)]; ok {
			d.next[c] = uint16(t)
			queue = append(queue, t)
		}
	}
	d.out[0] = nodes[0].out
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		d.out[s] = append(append([]int(nil), nodes[s].out...), d.out[fail[s]]...)
		for c := 0; c < d.nclass; c++ {
			if t, ok := nodes[s].child[uint8(c)]; ok {
				fail[t] = int(d.next[fail[s]*d.nclass+c])
				if s == 0 {
					fail[t] = 0
				}
				d.next[s*d.nclass+c] = uint16(t)
				queue = append(queue, t)
			} else {
				d.next[s*d.nclass+c] = d.next[fail[s]*d.nclass+c]
			}
		}
	}
	return d, nil
}

// walk calls fn with the offset of the last byte and the index of every
// keyword occurrence in text, in order of their ends.
func (d *keywordDFA) walk(text []byte, fn func(end, keyword int)) {
	s := 0
	next, class, nclass := d.next, &d.class, d.nclass
	for i, c := range text {
		s = int(next[s*nclass+int(class[c])])
		if out := d.out[s]; out != nil {
			for _, k := range out {
				fn(i, k)
			}
		}
	}
}
