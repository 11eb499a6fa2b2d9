package rbac

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/inventory"
	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// IAMMapping is one entry of the EKS aws-auth ConfigMap: an IAM role or
// user and the Kubernetes user name and groups it authenticates as.
type IAMMapping struct {
	ARN string `json:"arn"`
	// Kind is "role" (mapRoles) or "user" (mapUsers).
	Kind string `json:"kind"`
	// Username may hold templates such as {{EC2PrivateDNSName}} or
	// {{SessionName}}, kept verbatim.
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups,omitempty"`
	match    *regexp.Regexp
}

type awsAuth struct {
	mappings []IAMMapping
	err      error
}

type awsAuthEntry struct {
	RoleARN  string   `yaml:"rolearn"`
	UserARN  string   `yaml:"userarn"`
	Username string   `yaml:"username"`
	Groups   []string `yaml:"groups"`
}

func isAWSAuth(o *inventory.Object) bool {
	return o.Kind == "ConfigMap" && o.Namespace == "kube-system" && o.Name == "aws-auth"
}

// configMapData returns the data of a ConfigMap object, typed or not.
func configMapData(o *inventory.Object) map[string]string {
	if cm, ok := o.Typed.(*corev1.ConfigMap); ok {
		return cm.Data
	}
	out := map[string]string{}
	if d, ok := o.Raw["data"].(map[string]any); ok {
		for k, v := range d {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
	}
	return out
}

// parseAWSAuth reads mapRoles and mapUsers (YAML lists held in strings).
// A part that does not parse is reported by AWSAuthError and the rest kept.
func parseAWSAuth(o *inventory.Object) *awsAuth {
	a := &awsAuth{}
	data := configMapData(o)
	for _, part := range []struct{ key, kind string }{{"mapRoles", "role"}, {"mapUsers", "user"}} {
		text, ok := data[part.key]
		if !ok || strings.TrimSpace(text) == "" {
			continue
		}
		var entries []awsAuthEntry
		if err := yaml.Unmarshal([]byte(text), &entries); err != nil {
			a.err = fmt.Errorf("configmap kube-system/aws-auth %s: %w", part.key, err)
			continue
		}
		for _, e := range entries {
			arn := e.RoleARN
			if part.kind == "user" {
				arn = e.UserARN
			}
			if arn == "" {
				continue
			}
			a.mappings = append(a.mappings, IAMMapping{ARN: arn, Kind: part.kind, Username: e.Username, Groups: e.Groups, match: usernamePattern(e.Username)})
		}
	}
	return a
}

var awsTemplate = regexp.MustCompile(`\{\{[A-Za-z0-9]+\}\}`)

// usernamePattern turns a user name with templates into a pattern where
// each template stands for any non-empty text, or nil when it has none.
func usernamePattern(username string) *regexp.Regexp {
	if !awsTemplate.MatchString(username) {
		return nil
	}
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, loc := range awsTemplate.FindAllStringIndex(username, -1) {
		b.WriteString(regexp.QuoteMeta(username[last:loc[0]]))
		b.WriteString(".+")
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(username[last:]))
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil
	}
	return re
}

// IAMMappings returns the entries of the aws-auth ConfigMap, if any.
func (ix *Index) IAMMappings() []IAMMapping {
	if ix.aws == nil {
		return nil
	}
	return ix.aws.mappings
}

// AWSAuthError reports a part of the aws-auth ConfigMap that did not parse.
func (ix *Index) AWSAuthError() error {
	if ix.aws == nil {
		return nil
	}
	return ix.aws.err
}

// IAMFor returns the IAM ARNs that authenticate as s: for a user, the
// mappings whose user name is s's name (or a template that can produce
// it, such as system:node:{{EC2PrivateDNSName}}); for a group, the
// mappings that list it. Service accounts have none. Sorted, each once.
func (ix *Index) IAMFor(s Subject) []string {
	var out []string
	for _, m := range ix.IAMMappings() {
		switch s.Kind {
		case rbacv1.UserKind:
			if m.Username == s.Name || (m.match != nil && m.match.MatchString(s.Name)) {
				out = append(out, m.ARN)
			}
		case rbacv1.GroupKind:
			if slices.Contains(m.Groups, s.Name) {
				out = append(out, m.ARN)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
