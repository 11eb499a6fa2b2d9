package secrets

import (
	"encoding/json"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

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

// runAnnotationCredential looks at every annotation of every object, on
// every CPU: scanning each value with the rule catalog is a tenth of a
// large scan. Findings keep the objects' order.
func runAnnotationCredential(inv *inventory.Inventory, _ *audit.Config) []finding.Finding {
	objs := inv.Objects
	workers := max(1, runtime.GOMAXPROCS(0))
	per := (len(objs) + workers - 1) / workers
	parts := make([][]finding.Finding, workers)
	var wg sync.WaitGroup
	for w := 0; w*per < len(objs); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for _, o := range objs[w*per : min((w+1)*per, len(objs))] {
				parts[w] = annotationFindings(parts[w], o)
			}
		}(w)
	}
	wg.Wait()
	return slices.Concat(parts...)
}

// annotationFindings appends the findings of o's annotations to out.
func annotationFindings(out []finding.Finding, o *inventory.Object) []finding.Finding {
	for _, k := range slices.Sorted(maps.Keys(o.Annotations)) {
		v := o.Annotations[k]
		path := func() inventory.FieldPath { return inventory.FieldPath("metadata").Keys("annotations", k) }
		if k == lastApplied {
			if _, isSecret := o.Typed.(*corev1.Secret); isSecret && lastAppliedHasData(v) {
				out = append(out, objectFinding(o, path(), finding.High,
					"annotation %s holds a copy of the Secret's data", k))
			}
			continue
		}
		name := k[strings.LastIndex(k, "/")+1:]
		what, preview := valueSecret(name, v, o.Ref().String()+"/annotations/"+k)
		if what == "" {
			continue
		}
		out = append(out, objectFinding(o, path(), finding.High, "annotation %q holds %s: %s", k, what, preview))
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
