package secrets

import (
	"bytes"
	"sync"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
)

// gitleaks runs each rule whose keyword occurs anywhere in a fragment over
// the whole fragment, and locates every match by walking all of the
// fragment's line breaks. On real files, where words such as "key",
// "token" or "auth" occur everywhere, that makes whole-file fragments slow
// (and quadratic on large ones). So Rampart finds the keywords itself, in
// one pass over the file, and hands gitleaks only the lines around them:
// the same rules see the same text near every keyword, and the rest of the
// file costs one Aho-Corasick pass.

// blockContext is how many lines around a keyword's line are scanned with
// it. gitleaks' rules match within a line, but for PEM blocks, which are
// kept whole (see lineBlock); measured, one line of context on each side
// tripled the regular expressions' work for nothing.
const blockContext = 0

// maxPEMBlock bounds how far a block is extended to keep a PEM block (a
// private key) whole.
const maxPEMBlock = 64 << 10

// maxBlock stops merging adjacent blocks past this size: gitleaks' cost
// per match grows with the size of its fragment. Blocks that are not
// adjacent are not merged: measured, the regular expressions' time over
// the lines in between costs more than the calls saved.
const maxBlock = 16 << 10

// block is content[start:end]; line is the 0-based line it starts on.
type block struct {
	start, end, line int
}

// keywordIndex finds gitleaks' rule keywords.
type keywordIndex struct {
	trie *ahocorasick.Trie
	bufs sync.Pool
}

func newKeywordIndex(keywords []string) *keywordIndex {
	return &keywordIndex{
		trie: ahocorasick.NewTrieBuilder().AddStrings(keywords).Build(),
		bufs: sync.Pool{New: func() any { return new([]byte) }},
	}
}

var pemBegin, pemEnd = []byte("-----BEGIN "), []byte("-----END ")

// blocks returns the runs of lines of content that hold a keyword, each
// widened by blockContext lines and, when it opens a PEM block, to that
// block's end; overlapping runs are merged. Keywords are matched without
// regard to ASCII case, as gitleaks does.
func (k *keywordIndex) blocks(content []byte) []block {
	bp := k.bufs.Get().(*[]byte)
	defer k.bufs.Put(bp)
	lower := append((*bp)[:0], content...)
	*bp = lower
	for i, c := range lower {
		if 'A' <= c && c <= 'Z' {
			lower[i] = c + 'a' - 'A'
		}
	}

	var out []block
	lineNo, counted := 0, 0 // lines before offset counted
	lastEnd := -1
	k.trie.Walk(lower, func(end, n, _ int64) bool {
		pos := int(end - n + 1)
		if pos < lastEnd {
			return true // inside the previous block
		}
		lineNo += bytes.Count(content[counted:pos], []byte{'\n'})
		counted = pos
		b := lineBlock(content, pos, lineNo)
		if n := len(out); n > 0 && b.start <= out[n-1].end && out[n-1].end-out[n-1].start < maxBlock {
			prev := &out[len(out)-1]
			prev.end = max(prev.end, b.end)
		} else {
			out = append(out, b)
		}
		lastEnd = out[len(out)-1].end
		return true
	})
	return out
}

// lineBlock returns the lines around offset pos (on line lineNo).
func lineBlock(content []byte, pos, lineNo int) block {
	start := bytes.LastIndexByte(content[:pos], '\n') + 1
	line := lineNo
	for i := 0; i < blockContext && start > 0; i++ {
		start = bytes.LastIndexByte(content[:start-1], '\n') + 1
		line--
	}
	end := pos
	for i := 0; i <= blockContext; i++ {
		j := bytes.IndexByte(content[end:], '\n')
		if j < 0 {
			end = len(content)
			break
		}
		end += j + 1
	}
	// Keep a private key whole: its keyword is on the BEGIN line only.
	if bytes.Contains(content[start:end], pemBegin) && !bytes.Contains(content[start:end], pemEnd) {
		limit := min(len(content), end+maxPEMBlock)
		if e := bytes.Index(content[end:limit], pemEnd); e >= 0 {
			end += e
			if j := bytes.IndexByte(content[end:], '\n'); j >= 0 {
				end += j + 1
			} else {
				end = len(content)
			}
		}
	}
	return block{start: start, end: end, line: line}
}
