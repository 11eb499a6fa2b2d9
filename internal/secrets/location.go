package secrets

import (
	"bytes"
	"math"
	"sort"
	"unicode/utf8"
)

// lineIndex finds lines in a file's content; the offsets of its line
// breaks are listed on first use (most files have no match to place).
type lineIndex struct {
	content []byte
	// folds: the file has none of the runes that case-fold to ASCII (see
	// hasCaseFoldExotics), so lower-casing A-Z is lower-casing it.
	folds bool
	// lower is a buffer for lower-cased text (see lowered).
	lower      *[]byte
	lowerWhole bool
	nl         *[]int
	built      bool
}

// lowered returns content[from:to] with A-Z lower-cased: from a copy of
// the whole content made once when the whole is asked for, else from a
// copy of just that part (windows are small).
func (li *lineIndex) lowered(from, to int) []byte {
	if li.lowerWhole {
		return (*li.lower)[from:to]
	}
	if from == 0 && to == len(li.content) {
		*li.lower = lowerASCII((*li.lower)[:0], li.content)
		li.lowerWhole = true
		return *li.lower
	}
	*li.lower = lowerASCII((*li.lower)[:0], li.content[from:to])
	return *li.lower
}

func (li *lineIndex) breaks() []int {
	if !li.built {
		li.built = true
		nl := (*li.nl)[:0]
		for i := 0; ; {
			j := bytes.IndexByte(li.content[i:], '\n')
			if j < 0 {
				break
			}
			nl = append(nl, i+j)
			i += j + 1
		}
		*li.nl = nl
	}
	return *li.nl
}

// span returns the offsets of the start of line first and of the end of
// line last (after its line break), 0-based lines, clamped to the content.
func (li *lineIndex) span(first, last int) (from, to int) {
	nl := li.breaks()
	if first > 0 {
		from = len(li.content)
		if first-1 < len(nl) {
			from = nl[first-1] + 1
		}
	}
	to = len(li.content)
	if last < len(nl) {
		to = nl[last] + 1
	}
	return from, to
}

// loc is gitleaks' Location.
type loc struct {
	startLine, endLine, startColumn, endColumn, startLineIndex, endLineIndex int
}

// location is gitleaks' location function (detect/location.go) for the
// match content[start:end], with binary search in place of its walk over
// every line break (TestLocationMatchesGitleaks compares the two). Its
// quirks are kept, since findings are compared with gitleaks': columns
// after the first line count from the line break, and a match on a last
// line without a line break has the whole content up to it as its line.
func (li *lineIndex) location(start, end int) loc {
	nl := li.breaks()
	if len(nl) == 0 {
		nl = []int{len(li.content)} // gitleaks' stand-in line break
	}
	if end <= start {
		return locationWalk(nl, li.content, start, end)
	}
	var l loc
	k := sort.SearchInts(nl, start+1) // line breaks at or before start
	if k == len(nl) {
		prev := nl[len(nl)-1]
		l.startColumn = start - prev + 1
		l.endColumn = end - prev
		l.startLine, l.endLine = len(nl), len(nl)
		i := end
		for i < len(li.content) && li.content[i] != '\n' && li.content[i] != '\r' {
			i++
		}
		l.endLineIndex = i
		return l
	}
	prev := 0
	if k > 0 {
		prev = nl[k-1]
	}
	l.startLine, l.endLine = k, k
	l.startColumn = start - prev + 1
	l.startLineIndex = prev
	l.endLineIndex = nl[k]
	if j := sort.SearchInts(nl, end); j < len(nl) { // first break at or after end
		prevJ := 0
		if j > 0 {
			prevJ = nl[j-1]
		}
		if prevJ < end {
			l.endLine = j
			l.endColumn = end - prevJ
			l.endLineIndex = nl[j]
		}
	}
	return l
}

// locationWalk is gitleaks' location, line for line.
func locationWalk(nl []int, raw []byte, start, end int) loc {
	var (
		prev, lineNum int
		l             loc
		set           bool
	)
	for i, b := range nl {
		lineNum = i
		if prev <= start && start < b {
			set = true
			l.startLine, l.endLine = i, i
			l.startColumn = start - prev + 1
			l.startLineIndex = prev
			l.endLineIndex = b
		}
		if prev < end && end <= b {
			l.endLine = i
			l.endColumn = end - prev
			l.endLineIndex = b
		}
		prev = b
	}
	if !set {
		l.startColumn = start - prev + 1
		l.endColumn = end - prev
		l.startLine, l.endLine = lineNum+1, lineNum+1
		i := 0
		for end+i < len(raw) && raw[end+i] != '\n' && raw[end+i] != '\r' {
			i++
		}
		l.endLineIndex = end + i
	}
	return l
}

// shannonEntropy is gitleaks' entropy of a secret's runes (detect/utils.go),
// summed in a fixed order: gitleaks sums over a map, so its last bits vary
// from run to run; no threshold of the catalog is that close to a
// reachable value.
func shannonEntropy(data string) float64 {
	if data == "" {
		return 0
	}
	var ascii [utf8.RuneSelf]int
	var other map[rune]int
	for _, r := range data {
		if r < utf8.RuneSelf {
			ascii[r]++
			continue
		}
		if other == nil {
			other = map[rune]int{}
		}
		other[r]++
	}
	inv := 1.0 / float64(len(data))
	entropy := 0.0
	add := func(count int) {
		freq := float64(count) * inv
		entropy -= freq * math.Log2(freq)
	}
	for _, c := range ascii {
		if c > 0 {
			add(c)
		}
	}
	if other != nil {
		keys := make([]rune, 0, len(other))
		for r := range other {
			keys = append(keys, r)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		for _, r := range keys {
			add(other[r])
		}
	}
	return entropy
}
