package secrets

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
)

// Fake credentials are assembled at test time from a seeded generator, so
// that no file of the repository holds anything shaped like a live key
// (which would trip push protection and other scanners).

const (
	upper    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower    = "abcdefghijklmnopqrstuvwxyz"
	digits   = "0123456789"
	alnum    = upper + lower + digits
	awsChars = upper + "234567"
)

// fake returns prefix followed by n characters drawn from alphabet,
// deterministically for a given seed.
func fake(seed uint64, prefix, alphabet string, n int) string {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b strings.Builder
	b.WriteString(prefix)
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// Shapes of the rule families the tests claim, each built by a function.
func fakeAWS() string    { return fake(1, "AK"+"IA", awsChars, 16) }
func fakeGitHub() string { return fake(2, "gh"+"p_", alnum, 36) }
func fakeGitLab() string { return fake(3, "gl"+"pat-", alnum, 20) }
func fakeSlack() string {
	return fake(4, "xo"+"xb-", digits, 12) + fake(5, "-", digits, 12) + fake(6, "-", alnum, 24)
}
func fakeStripe() string { return fake(7, "sk"+"_live_", alnum, 24) }
func fakeGCP() string    { return fake(8, "AI"+"za", alnum+"_-", 35) }
func fakeNPM() string    { return fake(9, "np"+"m_", lower+digits, 36) }
func fakeGeneric() string {
	return fake(10, "", alnum, 32)
}

func fakeJWT() string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body := enc.EncodeToString([]byte(`{"sub":"` + fake(11, "", lower, 12) + `","name":"Test User","iat":1516239022}`))
	return head + "." + body + "." + fake(12, "", alnum, 43)
}

// fakePEM is a private key block with a random body (not a usable key).
func fakePEM() string {
	body := fake(13, "", alnum+"+/", 64*5)
	var lines []string
	for i := 0; i < len(body); i += 64 {
		lines = append(lines, body[i:i+64])
	}
	kind := "RSA " + "PRIVATE KEY"
	return "-----BEGIN " + kind + "-----\n" + strings.Join(lines, "\n") + "\n-----END " + kind + "-----\n"
}
