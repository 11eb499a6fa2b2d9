package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/rampart-dev/rampart/internal/credname"
	"regexp"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

func init() {
	register(
		&Check{
			ID:    "env-literal-secret",
			Title: "Secret in a literal environment variable",
			Description: "Fires for each env[].value that is a literal credential: the variable's name looks like one (password, secret, token, api key, private key, credentials, auth…) " +
				"and the value is not a $(VAR) reference, placeholder, path, plain URL, number or boolean; or the value has the shape of a known token or private key, whatever the name.",
			Severity:    finding.High,
			Remediation: "Move the value into a Secret and read it with valueFrom.secretKeyRef, or better mount it as a file; rotate the exposed credential.",
			Controls:    []string{"NIST-800-190:4.1.4", "CIS-K8S:5.4.1"},
			Run: eachContainer(func(c inventory.Container) []Result {
				var out []Result
				for i, e := range c.Env {
					if e.ValueFrom != nil || e.Value == "" {
						continue
					}
					if why := literalSecret(e.Name, e.Value); why != "" {
						out = append(out, Result{
							Path:    c.Path.Key("env").Index(i).Key("value"),
							Message: fmt.Sprintf("env var %q holds %s in a literal value (%s)", e.Name, why, fingerprint(e.Value)),
						})
					}
				}
				return out
			}),
		},
		&Check{
			ID:    "env-secret-ref",
			Title: "Secret consumed as environment variables",
			Description: "Fires for each env[].valueFrom.secretKeyRef and envFrom[].secretRef; environment variables leak into logs, crash dumps, " +
				"child processes and `kubectl describe`-style tooling more easily than mounted files.",
			Severity:    finding.Low,
			Remediation: "Mount the Secret as a volume and have the application read the file.",
			Controls:    []string{"NIST-800-190:4.1.4", "CIS-K8S:5.4.1"},
			Run: eachContainer(func(c inventory.Container) []Result {
				var out []Result
				for i, e := range c.Env {
					if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
						ref := e.ValueFrom.SecretKeyRef
						out = append(out, Result{
							Path:    c.Path.Key("env").Index(i).Keys("valueFrom", "secretKeyRef"),
							Message: fmt.Sprintf("env var %q reads key %q of secret %q", e.Name, ref.Key, ref.Name),
						})
					}
				}
				for i, e := range c.EnvFrom {
					if e.SecretRef != nil {
						out = append(out, Result{
							Path:    c.Path.Key("envFrom").Index(i).Key("secretRef"),
							Message: fmt.Sprintf("envFrom imports every key of secret %q as environment variables", e.SecretRef.Name),
						})
					}
				}
				return out
			}),
		},
	)
}

// fingerprint identifies a secret value without revealing it.
func fingerprint(v string) string {
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:])[:4]
}

// tokenFormats are shapes of credentials that are secret whatever the
// variable is called, each with what to call it in a message.
//
// Each names the literals one of which every match contains: a value
// without any is not matched against the expression, which would cost a
// sixth of a scan (TestTokenHintsAreExact checks the literals).
var tokenFormats = []struct {
	what  string
	hints []string
	re    *regexp.Regexp
}{
	{"a private key", []string{"PRIVATE KEY"}, regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`)},
	{"an AWS access key ID", []string{"AKIA", "ASIA", "ABIA", "ACCA"}, regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`)},
	{"a GitHub token", []string{"gh", "github_pat_"}, regexp.MustCompile(`\b(?:gh[pousr]_[0-9A-Za-z]{36,}|github_pat_[0-9A-Za-z_]{60,})\b`)},
	{"a GitLab token", []string{"glpat-"}, regexp.MustCompile(`\bglpat-[0-9A-Za-z_-]{20,}`)},
	{"a Slack token", []string{"xox"}, regexp.MustCompile(`\bxox[abposr]-[0-9A-Za-z-]{10,}`)},
	{"a Google API key", []string{"AIza"}, regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`)},
	{"a Stripe key", []string{"k_live_"}, regexp.MustCompile(`\b[rs]k_live_[0-9A-Za-z]{20,}\b`)},
	{"an npm token", []string{"npm_"}, regexp.MustCompile(`\bnpm_[0-9A-Za-z]{36}\b`)},
	{"a JSON Web Token", []string{"eyJ"}, regexp.MustCompile(`\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}`)},
	{"a URL with a password", []string{"://"}, regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:[^/\s@]+@`)},
}

// containsAny reports whether s contains one of subs.
func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// notValueParts are last words of a variable name that describe a secret
// rather than hold it: SECRET_NAME, TOKEN_FILE, AUTH_ENABLED, TOKEN_TTL.
var notValueParts = map[string]bool{
	"file": true, "path": true, "dir": true, "name": true, "url": true, "uri": true, "endpoint": true,
	"host": true, "port": true, "enabled": true, "enable": true, "disabled": true, "required": true,
	"ttl": true, "timeout": true, "expiry": true, "expiration": true, "expires": true, "lifetime": true,
	"duration": true, "interval": true, "seconds": true, "length": true, "size": true, "count": true,
	"header": true, "type": true, "mode": true, "method": true, "provider": true, "algorithm": true,
	"issuer": true, "audience": true, "user": true, "username": true, "id": true, "ref": true,
	"version": true, "policy": true, "strategy": true, "location": true, "format": true, "scope": true,
	"scopes": true, "prefix": true, "field": true, "realm": true, "hint": true, "store": true,
	"backend": true, "manager": true, "engine": true, "days": true, "hours": true, "minutes": true, "age": true,
}

// notSecretValues are values that configure rather than authenticate.
var notSecretValues = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "enabled": true,
	"disabled": true, "none": true, "null": true, "nil": true, "required": true, "optional": true,
}

var (
	// envReference is a Kubernetes $(VAR) reference, expanded from other
	// variables, or a template placeholder left for another tool.
	envReference = regexp.MustCompile(`\$\([A-Za-z_][A-Za-z0-9_.-]*\)|\$\{[^}]+\}|\{\{.*\}\}|^<[^>]+>$`)
	// referenceHints are in every envReference match but one that starts
	// the value with "<".
	referenceHints = []string{"$(", "${", "{{"}
	// numberValue is a setting (a count, a duration such as 30s); longer
	// runs of digits may be PINs or numeric passwords.
	numberValue = regexp.MustCompile(`^(?:[0-9]{1,4}|[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h|d))$`)
	plainURL    = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s]*$`)
)

// literalSecret returns what kind of credential the variable holds, or the
// empty string when it holds none.
func literalSecret(name, value string) string {
	// References are expanded from elsewhere: "postgres://app:$(DB_PASS)@db"
	// holds no password itself.
	bare := value
	if containsAny(value, referenceHints) || strings.HasPrefix(value, "<") {
		bare = envReference.ReplaceAllString(value, "")
	}
	for _, f := range tokenFormats {
		if containsAny(bare, f.hints) && f.re.MatchString(bare) {
			return f.what
		}
	}
	if bare != value || !credentialName(name) {
		return ""
	}
	v := strings.TrimSpace(value)
	switch {
	case v == "", notSecretValues[strings.ToLower(v)], numberValue.MatchString(v), sameRune(v),
		strings.HasPrefix(v, "/"), plainURL.MatchString(v):
		return ""
	}
	return "a credential"
}

// sameRune reports whether s repeats one character, as masks (********) and
// placeholders (xxxx) do.
func sameRune(s string) bool {
	for _, r := range s {
		if r != rune(s[0]) {
			return false
		}
	}
	return len(s) > 1
}

// credentialName reports whether a variable's name says it holds a
// credential.
func credentialName(name string) bool { return credname.Holds(name, notValueParts) }
