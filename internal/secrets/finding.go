package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"unicode/utf8"
)

// Finding is one hard-coded secret. It never holds the secret itself.
type Finding struct {
	// RuleID is the detecting rule: a gitleaks rule ID (aws-access-token,
	// generic-api-key …) or one of Rampart's own (helm-values-credential).
	RuleID      string `json:"ruleID"`
	Description string `json:"description"`
	// File is the path of the file holding the secret: on disk, inside a
	// repository (git), inside an archive ("chart.tgz!/chart/values.yaml")
	// or inside an image layer ("image.tar!/etc/app.conf").
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column,omitempty"`
	// Commit and Date (the author date, RFC 3339) are set for git history.
	Commit string `json:"commit,omitempty"`
	Date   string `json:"date,omitempty"`
	// Layer is the digest of the image layer holding the file; Removed,
	// when set, names the later layer that deletes or replaces the file:
	// the secret is hidden from the running container but still shipped.
	Layer   string `json:"layer,omitempty"`
	Removed string `json:"removed,omitempty"`
	// Preview is the redacted secret (see Redact).
	Preview string `json:"preview"`
	// Fingerprint identifies the secret at this rule and path without
	// revealing it (see Fingerprint).
	Fingerprint string `json:"fingerprint"`
	// Fixture is set for findings in test fixtures (see IsFixture); they
	// are reported at low severity.
	Fixture bool `json:"fixture,omitempty"`
	// Allowed is set when an inline comment (rampart:allow-secret or
	// gitleaks:allow) on the line or the line above accepts the secret;
	// such findings are reported as exempted.
	Allowed bool `json:"allowed,omitempty"`
	// Baselined is set when the fingerprint is in the baseline.
	Baselined bool `json:"baselined,omitempty"`
}

// Redact returns a preview of a secret that cannot be used in its place:
// at most its first 4 characters, and fewer for short secrets (a quarter of
// its length), then "…" and the length. "AKIA…(20 chars)".
func Redact(secret string) string {
	n := utf8.RuneCountInString(secret)
	show := min(4, n/4)
	prefix := []rune(secret)[:show]
	return fmt.Sprintf("%s…(%d chars)", string(prefix), n)
}

// DefaultSalt keys fingerprints when no other salt is given. Being public,
// it only stops precomputed tables and makes Rampart's fingerprints differ
// from plain hashes found elsewhere; a salt kept as a CI secret
// (RAMPART_SECRETS_SALT) is what stops someone who reads a report from
// testing guesses of a weak password against its fingerprint.
const DefaultSalt = "rampart.dev/secrets/fingerprint/v1"

// Fingerprint returns a stable identifier of a secret found by rule at
// file: HMAC-SHA256 keyed with salt over the rule, the path and the secret,
// the first 128 bits in hex. HMAC rather than a plain hash so that, with a
// secret salt, nobody can test a guessed secret against it; the path is
// included so that the same test key accepted in one file does not
// silence it in another. The commit and line are left out so that a
// baseline survives edits above the secret and rewrites of history.
func Fingerprint(salt []byte, rule, file, secret string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(rule))
	m.Write([]byte{0})
	m.Write([]byte(file))
	m.Write([]byte{0})
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
