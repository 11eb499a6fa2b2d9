package workload

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// Every literal list of tokenFormats (and referenceHints) must be in every
// match of its expression, or the prefilter would hide credentials. Random
// values built from the expressions' own pieces match each expression many
// times; the test also fails if one never matched, so it cannot pass idly.
func TestTokenHintsAreExact(t *testing.T) {
	pieces := []string{
		"-----BEGIN ", "RSA ", "EC ", "PRIVATE KEY", " BLOCK", "-----",
		"AKIA", "ASIA", "ABIA", "ACCA", "ghp_", "gho_", "ghs_", "github_pat_", "glpat-", "xoxb-", "xoxp-",
		"AIza", "sk_live_", "rk_live_", "npm_", "eyJ", ".", "://", "postgres", "https", "user", ":", "@", "/", "://u:", "p@", "eyJhbGciOiJIUzI1NiJ9.", "-----BEGIN RSA ", "PRIVATE KEY-----",
		"$(", "${", "{{", "}}", "}", ")", "<", ">", " ", "-", "_", "VAR",
	}
	alnum := "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz"
	seed := rand.Uint64()
	r := rand.New(rand.NewPCG(seed, 3))
	value := func() string {
		var b strings.Builder
		for range 1 + r.IntN(6) {
			if r.IntN(3) == 0 {
				// Runs of the lengths and alphabets the formats ask for.
				chars := alnum[:36+r.IntN(2)*26]
				n := []int{8, 16, 20, 35, 36, 40, 60, r.IntN(70)}[r.IntN(8)]
				for range n {
					b.WriteByte(chars[r.IntN(len(chars))])
				}
			} else {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
		}
		return b.String()
	}
	matched := make([]int, len(tokenFormats))
	refs := 0
	for range 60_000 {
		v := value()
		for i, f := range tokenFormats {
			if f.re.MatchString(v) {
				matched[i]++
				if !containsAny(v, f.hints) {
					t.Fatalf("seed %d: %s matches %q, which holds none of %q", seed, f.what, v, f.hints)
				}
			}
		}
		if envReference.MatchString(v) {
			refs++
			if !containsAny(v, referenceHints) && !strings.HasPrefix(v, "<") {
				t.Fatalf("seed %d: reference %q holds none of %q and does not start with <", seed, v, referenceHints)
			}
		}
	}
	for i, n := range matched {
		if n == 0 {
			t.Errorf("seed %d: no generated value matched %s; the test proves nothing for it", seed, tokenFormats[i].what)
		}
	}
	if refs == 0 {
		t.Errorf("seed %d: no generated value was a reference", seed)
	}
}
