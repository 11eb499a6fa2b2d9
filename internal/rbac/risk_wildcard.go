package rbac

import (
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	rbacv1 "k8s.io/api/rbac/v1"
)

// The wildcard checks read a rule's text: a "*" grants whatever exists
// now and whatever is added later (new resources, new API groups, new
// verbs), which no review of today's permissions can bound.
func init() {
	registerRisks(
		&risk{check: &audit.Check{
			ID:    "rbac-wildcard-verbs",
			Title: "Role grants every verb (*)",
			Description: "Fires for each subject of a binding whose role has a rule with the verb \"*\": every verb on the rule's resources, including escalate, bind, impersonate and any verb added later. " +
				"High for a ClusterRoleBinding, medium for a RoleBinding (one namespace). Kubernetes' own bootstrap bindings, and bindings of cluster-admin (reported by cluster-admin-binding), do not fire.",
			Severity:    finding.High,
			Remediation: "List the verbs the subject needs (for example get, list, watch) instead of \"*\".",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.3"},
			Section:     "4.3.1",
		}, nsSeverity: finding.Medium, literal: wildcardIn(func(r rbacv1.PolicyRule) []string { return r.Verbs }, "verbs")},
		&risk{check: &audit.Check{
			ID:    "rbac-wildcard-resources",
			Title: "Role grants every resource (*)",
			Description: "Fires for each subject of a binding whose role has a rule with a \"*\" in its resources (\"*\" or \"*/subresource\"): every resource of the rule's API groups, secrets and any resource added later included. " +
				"High for a ClusterRoleBinding, medium for a RoleBinding. Kubernetes' own bootstrap bindings, and bindings of cluster-admin (reported by cluster-admin-binding), do not fire.",
			Severity:    finding.High,
			Remediation: "List the resources the subject needs instead of \"*\".",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.3"},
			Section:     "4.3.1",
		}, nsSeverity: finding.Medium, literal: wildcardIn(func(r rbacv1.PolicyRule) []string { return r.Resources }, "resources")},
		&risk{check: &audit.Check{
			ID:    "rbac-wildcard-api-groups",
			Title: "Role grants every API group (*)",
			Description: "Fires for each subject of a binding whose role has a rule with the API group \"*\": the rule's resources in every API group, including those of custom resources installed later. " +
				"Medium for a ClusterRoleBinding, low for a RoleBinding. Kubernetes' own bootstrap bindings, and bindings of cluster-admin (reported by cluster-admin-binding), do not fire.",
			Severity:    finding.Medium,
			Remediation: "List the API groups the subject needs (\"\" for the core group) instead of \"*\".",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.3"},
			Section:     "4.3.1",
		}, nsSeverity: finding.Low, literal: wildcardIn(func(r rbacv1.PolicyRule) []string { return r.APIGroups }, "apiGroups")},
		&risk{check: &audit.Check{
			ID:    "rbac-wildcard-non-resource-urls",
			Title: "Role grants every non-resource URL (*)",
			Description: "Fires for each subject of a ClusterRoleBinding whose role has a rule with the non-resource URL \"*\" or \"/*\": every path the API server serves outside the resource API, /debug/pprof, /logs and /metrics included. " +
				"A RoleBinding never grants non-resource URLs, so it does not fire. Kubernetes' own bootstrap bindings, and bindings of cluster-admin (reported by cluster-admin-binding), do not fire.",
			Severity:    finding.Medium,
			Remediation: "List the non-resource URLs the subject needs (for example /healthz, /metrics) instead of \"*\".",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.3"},
			Section:     "4.3.1",
		}, clusterOnly: true, literal: func(r rbacv1.PolicyRule) string {
			for _, u := range r.NonResourceURLs {
				if u == "*" || u == "/*" {
					return describeVerbs(r.Verbs) + " every non-resource URL (nonResourceURLs: " + u + ")"
				}
			}
			return ""
		}},
	)
}

// wildcardIn returns a literal test that fires when the field of a rule
// holds a "*" (alone or in "*/subresource").
func wildcardIn(field func(rbacv1.PolicyRule) []string, name string) func(rbacv1.PolicyRule) string {
	return func(r rbacv1.PolicyRule) string {
		for _, v := range field(r) {
			if strings.Contains(v, "*") {
				if name == "resources" && len(r.Resources) == 0 {
					return ""
				}
				return describeVerbs(r.Verbs) + " " + describeResources(r) + " (" + name + ": " + v + ")"
			}
		}
		return ""
	}
}

// describeVerbs renders a rule's verbs, "*" as "do anything to".
func describeVerbs(verbs []string) string {
	for _, v := range verbs {
		if v == rbacv1.VerbAll {
			return "do anything to"
		}
	}
	return strings.Join(verbs, ", ")
}

// describeResources renders the resources of a rule with their groups.
func describeResources(r rbacv1.PolicyRule) string {
	if len(r.Resources) == 0 {
		return "non-resource URLs " + strings.Join(r.NonResourceURLs, ", ")
	}
	groups := make([]string, len(r.APIGroups))
	for i, g := range r.APIGroups {
		switch g {
		case "":
			groups[i] = "core"
		case rbacv1.APIGroupAll:
			return describeNames(r.Resources) + " in every API group"
		default:
			groups[i] = g
		}
	}
	if len(groups) == 1 {
		return describeNames(r.Resources) + " in API group " + groups[0]
	}
	return describeNames(r.Resources) + " in API groups " + strings.Join(groups, ", ")
}

// describeNames joins resource names, "*" as "every resource".
func describeNames(rs []string) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r
		if r == rbacv1.ResourceAll {
			out[i] = "every resource"
		}
	}
	return strings.Join(out, ", ")
}
