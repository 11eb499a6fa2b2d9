package secrets

import (
	"maps"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	registry.Register(&audit.Check{
		ID:    "secret-manifest-data",
		Title: "Secret committed with its data",
		Description: "Fires on every Secret manifest that holds values in data or stringData: base64 is an encoding, not encryption, so whoever can read the repository (or the chart, or the CI logs) has the credentials. " +
			"Empty values, placeholders (changeme, <your-token>, ${VAR}, {{ template }}) and service account token Secrets without data (the token controller fills them in) are not reported. " +
			"Runs on manifests only: in a live cluster Secrets are meant to hold data.",
		Severity:    finding.High,
		Remediation: "Keep Secret values out of the repository: commit a SealedSecret, an ExternalSecret or a SOPS-encrypted file instead, or create the Secret from a secret store at deploy time; rotate the committed credentials.",
		Controls:    controls,
		Section:     "4.3.2",
		Needs:       []string{"secrets"},
		Scan:        true,
		Run:         runSecretManifestData,
	})
}

func runSecretManifestData(inv *inventory.Inventory, _ *audit.Config) []finding.Finding {
	if inv.Cluster != nil {
		return nil // objects read from a cluster, not committed manifests
	}
	var out []finding.Finding
	for _, o := range inv.Objects {
		s, ok := o.Typed.(*corev1.Secret)
		if !ok {
			continue
		}
		var paths []inventory.FieldPath
		for _, k := range slices.Sorted(maps.Keys(s.Data)) {
			if committedValue(string(s.Data[k])) {
				paths = append(paths, inventory.FieldPath("data").Key(k))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(s.StringData)) {
			if committedValue(s.StringData[k]) {
				paths = append(paths, inventory.FieldPath("stringData").Key(k))
			}
		}
		if len(paths) == 0 {
			continue
		}
		names := make([]string, len(paths))
		for i, p := range paths {
			names[i] = string(p)
		}
		what := "value"
		if len(paths) > 1 {
			what = "values"
		}
		typ := string(s.Type)
		if typ == "" {
			typ = string(corev1.SecretTypeOpaque)
		}
		out = append(out, objectFinding(o, paths[0], finding.High, "Secret of type %s commits %d %s in clear (%s)", typ, len(paths), what, strings.Join(names, ", ")))
	}
	return out
}

// committedValue reports whether a Secret value is a real value rather
// than an empty string or a placeholder left to be filled in at deploy
// time.
func committedValue(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && !sameRune(v) && !placeholder(v) && !templateExpr.MatchString(v)
}
