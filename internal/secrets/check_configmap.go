package secrets

import (
	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"maps"
	"slices"
)

func init() {
	registry.Register(&audit.Check{
		ID:    "configmap-credential",
		Title: "Credential in a ConfigMap",
		Description: "Fires for each ConfigMap value that holds a credential: a token, key or password of a format in the gitleaks rule catalog (also inside a whole configuration file kept in a ConfigMap), " +
			"or a literal value under a key that names a credential (DB_PASSWORD, apiKey, client-secret), not a reference, placeholder, path or setting. " +
			"ConfigMaps are readable by far more users and controllers than Secrets, are never encrypted at rest, and show up in kubectl describe.",
		Severity:    finding.High,
		Remediation: "Move the value into a Secret (or an external secret store) and mount it as a file; rotate the exposed credential.",
		Controls:    controls,
		Section:     "4.3.2",
		Needs:       []string{"configmaps"},
		Scan:        true,
		Run:         runConfigMapCredential,
	})
}

func runConfigMapCredential(inv *inventory.Inventory, _ *audit.Config) []finding.Finding {
	var out []finding.Finding
	for _, o := range inv.Objects {
		cm, ok := o.Typed.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
			what, preview := valueSecret(k, cm.Data[k], o.Ref().String()+"/data/"+k)
			if what == "" {
				continue
			}
			out = append(out, objectFinding(o, inventory.FieldPath("data").Key(k), finding.High,
				"ConfigMap key %q holds %s: %s", k, what, preview))
		}
	}
	return out
}
