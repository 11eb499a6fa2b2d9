package secrets

import (
	"strings"
	"testing"
)

func TestBlocks(t *testing.T) {
	k := newKeywordIndex([]string{"token", "-----begin"})
	lines := []string{"a", "b", "my TOKEN here", "c", "d", "e", "f", "token again", "g"}
	content := []byte(strings.Join(lines, "\n") + "\n")
	bs := k.blocks(content)
	if len(bs) != 2 {
		t.Fatalf("got %d blocks %+v, want 2", len(bs), bs)
	}
	for i, want := range []struct {
		line int
		text string
	}{{2, "my TOKEN here\n"}, {7, "token again\n"}} {
		b := bs[i]
		if b.line != want.line || string(content[b.start:b.end]) != want.text {
			t.Errorf("block %d = line %d %q, want line %d %q", i, b.line, content[b.start:b.end], want.line, want.text)
		}
	}
	// Close keywords merge; a PEM block is kept whole.
	content = []byte("token\ntoken\nx\n-----BEGIN KEY-----\n" + strings.Repeat("QUJD\n", 50) + "-----END KEY-----\ntail\n")
	bs = k.blocks(content)
	if len(bs) != 2 || bs[0].start != 0 || bs[0].end != 12 || bs[1].line != 3 ||
		!strings.HasSuffix(string(content[bs[1].start:bs[1].end]), "-----END KEY-----\n") {
		t.Fatalf("got %+v", bs)
	}
	if len(k.blocks([]byte("nothing to see\n"))) != 0 {
		t.Error("blocks without keywords")
	}
}
