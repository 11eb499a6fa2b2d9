package secrets

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// registry holds the checks rampart scan (and audit) runs on Kubernetes
// objects: Secrets committed with data, credentials in ConfigMaps and in
// annotations. Credentials in env literals are the workload check
// env-literal-secret's.
var registry audit.Registry

// Checks returns this package's checks, sorted by ID.
func Checks() []*audit.Check { return registry.Checks() }

// controls are the NIST SP 800-190 countermeasures hard-coded secrets
// defeat: unauthorized access (4.3.2) and embedded clear-text secrets
// (4.1.4).
var controls = []string{"NIST-800-190:4.3.2", "NIST-800-190:4.1.4"}

var (
	checkScanner     *Scanner
	checkScannerErr  error
	checkScannerOnce sync.Once
)

// objectScanner is the Scanner the checks share.
func objectScanner() (*Scanner, error) {
	checkScannerOnce.Do(func() { checkScanner, checkScannerErr = NewScanner(Options{}) })
	return checkScanner, checkScannerErr
}

// valueSecret returns a description of the credential a value holds, or
// "" when it holds none: a token or key of a format gitleaks knows (inside
// a multi-line file too, such as application.properties), or a literal
// value under a credential-named key. where names the value for the
// fingerprint's path.
func valueSecret(key, value, where string) (what, preview string) {
	if s, err := objectScanner(); err == nil && value != "" {
		// No slashes: a namespace called "test" must not make the value
		// a test fixture, nor an annotation key a directory.
		where = strings.ReplaceAll(where, "/", ":")
		for _, f := range s.Scan(context.Background(), Fragment{Path: where, Content: []byte(value), Value: true}) {
			if !f.Allowed {
				return fmt.Sprintf("a secret matching rule %s (line %d of the value)", f.RuleID, f.Line), f.Preview
			}
		}
	}
	if credentialKey(key) && literalCredential(value) {
		return "a literal credential", Redact(value)
	}
	return "", ""
}

// objectFinding makes a finding about o pointing at path; the engine fills in the
// check's metadata.
func objectFinding(o *inventory.Object, path inventory.FieldPath, sev finding.Severity, format string, args ...any) finding.Finding {
	return finding.Finding{Severity: sev, Object: o.Ref(), Place: o.Place(path), Message: fmt.Sprintf(format, args...)}
}
