package secrets

import (
	"path"
	"regexp"
	"strings"

	"github.com/zricethezav/gitleaks/v8/report"
	yaml "go.yaml.in/yaml/v3"
)

// helmValuesRule is Rampart's rule for credentials in Helm values files.
const helmValuesRule = "helm-values-credential"

// valuesFile matches the names Helm values files go by: values.yaml,
// values-prod.yaml, values.prod.yaml, prod.values.yaml, prod-values.yaml.
var valuesFile = regexp.MustCompile(`^(?:values(?:[.-][^/]*)?|[^/]*[.-]values)\.ya?ml$`)

// helmValuesFindings reports literal credentials under credential-named
// keys of a Helm values file (db.password: s3cret!), which no token format
// recognises: a chart's defaults and per-environment overrides are where
// passwords get committed. Keys that name a Secret (existingSecret,
// passwordKey) and empty, templated or placeholder values are not
// reported.
func helmValuesFindings(p, content string) []report.Finding {
	if i := strings.LastIndex(p, "!/"); i >= 0 {
		p = p[i+2:]
	}
	if !valuesFile.MatchString(path.Base(p)) {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(content), &doc); err != nil {
		return nil // not YAML: the gitleaks rules still ran on it
	}
	lines := strings.Split(content, "\n")
	var out []report.Finding
	walkYAML(&doc, "", func(key string, v *yaml.Node) {
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" || !credentialKey(key) || !literalCredential(v.Value) {
			return
		}
		line := ""
		if v.Line-1 < len(lines) {
			line = lines[v.Line-1]
		}
		out = append(out, report.Finding{
			RuleID:      helmValuesRule,
			Description: "Literal credential in a Helm values file: a chart default or an override committed with a password, token or key.",
			StartLine:   v.Line - 1, // 0-based, as gitleaks numbers them
			StartColumn: v.Column,
			Line:        line,
			Secret:      v.Value,
		})
	})
	return out
}

// walkYAML calls fn for every mapping value with its dotted key.
func walkYAML(n *yaml.Node, prefix string, fn func(key string, v *yaml.Node)) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			walkYAML(c, prefix, fn)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if prefix != "" {
				key = prefix + "." + key
			}
			fn(key, n.Content[i+1])
			walkYAML(n.Content[i+1], key, fn)
		}
	}
}
