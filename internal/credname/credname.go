// Package credname tells from a name alone (an environment variable, a
// values key, an annotation) whether it holds a credential: DB_PASSWORD,
// dbPassword and api-key do; SECRET_NAME and tokenFile only point at one.
package credname

import (
	"strings"
	"unicode"
)

// words are substrings of a name (lower-cased, separators removed) that
// make it a credential: dbPassword, API_KEY, client-secret.
var words = []string{
	"password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey",
	"privatekey", "credential", "encryptionkey", "signingkey", "masterkey",
}

// parts make a name a credential only as whole words (DB_PASS, dbPwd,
// BASIC_AUTH): as substrings they would catch AUTHOR or PASSENGER.
var parts = map[string]bool{"auth": true, "pass": true, "pwd": true, "pw": true}

// Holds reports whether name says it holds a credential. describing lists
// the last words that make a name describe a secret rather than hold it
// (file, path, ttl ...); each caller knows its own.
func Holds(name string, describing map[string]bool) bool {
	ws := Words(name)
	if len(ws) == 0 || describing[ws[len(ws)-1]] {
		return false
	}
	joined := strings.Join(ws, "")
	if strings.Contains(joined, "tokeniz") { // TOKENIZER_MODEL
		return false
	}
	for _, w := range words {
		if strings.Contains(joined, w) {
			return true
		}
	}
	for _, w := range ws {
		if parts[w] {
			return true
		}
	}
	return false
}

// Words splits a name into lower-case words at separators and at camelCase
// humps: dbPassword_FILE is db, password, file; HTTPServerSecret is http,
// server, secret.
func Words(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
			(i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))):
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	return out
}
