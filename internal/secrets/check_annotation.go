package secrets

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// lastApplied is the annotation kubectl apply keeps a copy of the object in.
const lastApplied = corev1.LastAppliedConfigAnnotation

func init() {
	registry.Register(&audit.Check{
		ID:    "annotation-credential",
		Title: "Credential in an annotation",
		Description: "Fires for each annotation that holds a credential: a token or key of a format in the gitleaks rule catalog, or a literal value under an annotation whose name names a credential; " +
			"and for a Secret whose kubectl.kubernetes.io/last-applied-configuration annotation copies its data, which anyone allowed to read the Secret's metadata can then see. " +
			"Annotations are copied into events, logs and tooling output and never encrypted.",
		Severity:    finding.High,
		Remediation: "Remove the credential from the annotation and keep it in a Secret; for Secrets, apply them with server-side apply (kubectl apply --server-side) or create them, so no last-applied copy is kept; rotate the exposed credential.",
		Controls:    controls,
		Section:     "4.3.2",
		Needs:       []string{"secrets"},
		Scan:        true,
		Run:         runAnnotationCredential,
	})
}

func runAnnotationCredential(inv *inventory.Inventory, _ *audit.Config) []finding.Finding {
	var out []finding.Finding
	for _, o := range inv.Objects {
		for _, k := range slices.Sorted(maps.Keys(o.Annotations)) {
			v := o.Annotations[k]
			path := inventory.FieldPath("metadata").Keys("annotations", k)
			if k == lastApplied {
				if _, isSecret := o.Typed.(*corev1.Secret); isSecret && lastAppliedHasData(v) {
					out = append(out, objectFinding(o, path, finding.High,
						"annotation %s holds a copy of the Secret's data", k))
				}
				continue
			}
			name := k[strings.LastIndex(k, "/")+1:]
			what, preview := valueSecret(name, v, o.Ref().String()+"/annotations/"+k)
			if what == "" {
				continue
			}
			out = append(out, objectFinding(o, path, finding.High, "annotation %q holds %s: %s", k, what, preview))
		}
	}
	return out
}

// lastAppliedHasData reports whether a last-applied-configuration copy of
// a Secret carries values.
func lastAppliedHasData(v string) bool {
	var s struct {
		Data       map[string]string `json:"data"`
		StringData map[string]string `json:"stringData"`
	}
	if json.Unmarshal([]byte(v), &s) != nil {
		return false
	}
	for _, m := range []map[string]string{s.Data, s.StringData} {
		for _, x := range m {
			if committedValue(x) {
				return true
			}
		}
	}
	return false
}
