package audit

import (
	"bytes"
	"fmt"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// Labels the legacy service account token cleaner (Kubernetes 1.29+) puts
// on token Secrets.
const (
	labelTokenLastUsed     = "kubernetes.io/legacy-token-last-used"
	labelTokenInvalidSince = "kubernetes.io/legacy-token-invalid-since"
)

func init() {
	register(
		&Check{
			ID:    "legacy-token-secret",
			Title: "Long-lived service account token Secret",
			Description: "Fires on every Secret of type kubernetes.io/service-account-token: it holds a service account token that never expires, works until the Secret is deleted, " +
				"and can be read by anyone who can read Secrets in its namespace. Medium, high when the Secret is older than the configured maximum token age (default 90 days), " +
				"low when the legacy token cleaner has already invalidated it.",
			Severity:    finding.High,
			Remediation: "Delete the Secret and have its users request short-lived tokens through the TokenRequest API (projected service account token volumes, or kubectl create token).",
			Controls:    []string{"NIST-800-190:4.3.2"},
			Section:     "4.3.2",
			Needs:       []string{"secrets"},
			Run:         runLegacyTokenSecret,
		},
		&Check{
			ID:    "secret-age",
			Title: "Secret not rotated",
			Description: "Fires when a Secret's data was last written longer ago than the configured maximum secret age (default 365 days): " +
				"its credentials have not been rotated. The last write is the newest managedFields entry that owns data, else the creation time. " +
				"Service account token Secrets (see legacy-token-secret) and Helm release records (type helm.sh/release.v1) are skipped, as are Secrets without a creation time.",
			Severity:    finding.Low,
			Remediation: "Rotate the credential at its issuer and write the new value into the Secret, or let an external secret store (a CSI driver or an operator) rotate it on a schedule.",
			Controls:    []string{"NIST-800-190:4.3.2"},
			Section:     "4.3.2",
			Needs:       []string{"secrets"},
			Run:         runSecretAge,
		},
	)
}

func runLegacyTokenSecret(inv *inventory.Inventory, cfg *Config) []finding.Finding {
	var out []finding.Finding
	for _, s := range all[*corev1.Secret](inv) {
		if s.v.Type != corev1.SecretTypeServiceAccountToken {
			continue
		}
		sa := "an unnamed service account (no " + corev1.ServiceAccountNameKey + " annotation)"
		if n := s.v.Annotations[corev1.ServiceAccountNameKey]; n != "" {
			sa = fmt.Sprintf("service account %q", n)
		}
		sev, when := finding.Medium, "of unknown age (no creation time)"
		if d, ok := age(s.v, cfg.Now); ok {
			when = "created " + days(d) + " ago"
			if d > cfg.MaxTokenAge {
				sev = finding.High
				when += fmt.Sprintf(", more than the %s allowed", days(cfg.MaxTokenAge))
			}
		}
		msg := fmt.Sprintf("Secret %q holds a long-lived token of %s, %s", s.obj.Name, sa, when)
		if d := s.v.Labels[labelTokenLastUsed]; d != "" {
			msg += "; last used on " + d
		}
		if d := s.v.Labels[labelTokenInvalidSince]; d != "" {
			sev = finding.Low
			msg += "; invalidated since " + d + " by the legacy token cleaner, so it only awaits deletion"
		}
		out = append(out, report(s.obj, "type", sev, "%s", msg))
	}
	return out
}

func runSecretAge(inv *inventory.Inventory, cfg *Config) []finding.Finding {
	var out []finding.Finding
	for _, s := range all[*corev1.Secret](inv) {
		if s.v.Type == corev1.SecretTypeServiceAccountToken || s.v.Type == "helm.sh/release.v1" {
			continue
		}
		created, ok := age(s.v, cfg.Now)
		if !ok {
			continue
		}
		written := lastDataWrite(s.v, cfg.Now, created)
		if written <= cfg.MaxSecretAge {
			continue
		}
		typ := s.v.Type
		if typ == "" {
			typ = corev1.SecretTypeOpaque
		}
		msg := fmt.Sprintf("Secret %q (type %s) was created %s ago", s.obj.Name, typ, days(created))
		if written < created {
			msg += " and its data last written " + days(written) + " ago"
		} else {
			msg += " and its data never rewritten since"
		}
		out = append(out, report(s.obj, "metadata.creationTimestamp", finding.Low,
			"%s, more than the %s allowed", msg, days(cfg.MaxSecretAge)))
	}
	return out
}

// lastDataWrite returns how long ago the Secret's data was last written:
// the age of the newest managedFields entry that owns data, else its age.
func lastDataWrite(s *corev1.Secret, now time.Time, created time.Duration) time.Duration {
	newest := created
	for _, mf := range s.ManagedFields {
		if mf.Time == nil || mf.FieldsV1 == nil {
			continue
		}
		raw := mf.FieldsV1.GetRawBytes()
		if !bytes.Contains(raw, []byte(`"f:data"`)) && !bytes.Contains(raw, []byte(`"f:stringData"`)) {
			continue
		}
		if d := max(now.Sub(mf.Time.Time), 0); d < newest {
			newest = d
		}
	}
	return newest
}
