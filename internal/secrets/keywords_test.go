package secrets

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKeywordDFA compares the automaton with a plain search for every
// keyword, on random text over the keywords' letters in both cases.
func TestKeywordDFA(t *testing.T) {
	keywords := []string{"key", "api", "apikey", "secret", "secret_key", "token", "ey", "-----begin", "s.", "hvs.", "a", "xoxp-"}
	d, err := newKeywordDFA(keywords)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("keyapisecrt_-.bgnhvsxoKEYAPISECRT BGN\n\xc5\xbf")
	for range 2000 {
		text := make([]byte, r.IntN(80))
		for i := range text {
			text[i] = alphabet[r.IntN(len(alphabet))]
		}
		var got, want []string
		d.walk(text, func(end, k int) { got = append(got, fmt.Sprintf("%d:%s", end, keywords[k])) })
		lower := lowerASCII(nil, text)
		for ki, k := range keywords {
			for i := 0; i+len(k) <= len(lower); i++ {
				if string(lower[i:i+len(k)]) == k {
					want = append(want, fmt.Sprintf("%d:%s", i+len(k)-1, keywords[ki]))
				}
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("walk(%q) = %v, want %v", text, got, want)
		}
	}
	if _, err := newKeywordDFA([]string{"Key"}); err == nil {
		t.Error("upper-case keyword accepted")
	}
}
