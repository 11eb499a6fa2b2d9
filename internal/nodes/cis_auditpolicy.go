package nodes

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	apiserveraudit "k8s.io/apiserver/pkg/audit"
	auditpolicy "k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

var auditPolicyChecks = []*Check{
	{ID: "apiserver-audit-policy", CIS: "3.2.1", Manual: true, Component: APIServer, FlagsOnly: true, Severity: finding.Medium,
		Title:       "No audit policy",
		Description: "Fires when --audit-policy-file is not set: without a policy the API server records no audit events at all.",
		Remediation: "Write an audit policy (at least Metadata for every request, Metadata only for Secrets, ConfigMaps and TokenReviews), then set --audit-policy-file to it in the API server's static Pod manifest on each control-plane node.",
		Eval:        flagsSet(APIServer, "no request is audited", "audit-policy-file")},
	{ID: "audit-policy-coverage", CIS: "3.2.2", Manual: true, Component: APIServer, Severity: finding.Medium,
		Title:       "Audit policy misses key security events",
		Description: "Fires when the audit policy, evaluated with the API server's own rule matcher, records nothing for reads of Secrets, changes to Pods or Deployments, or pods/exec, pods/portforward, pods/proxy and services/proxy.",
		Remediation: "Add rules to the audit policy that log at least Metadata for Secrets, for create, update, patch and delete of Pods and Deployments, and for the exec, portforward and proxy subresources.",
		Eval:        auditPolicyEval(coverage)},
	{ID: "audit-policy-logs-secrets", CIS: "3.2.2", Manual: true, Authn: true, Component: APIServer, Severity: finding.High,
		Title:       "Audit policy writes Secret values to the log",
		Description: "Fires when the audit policy logs requests to Secrets, ConfigMaps or TokenReviews at Request or RequestResponse level: their values (credentials, tokens) are then copied into the audit log.",
		Remediation: "Add a rule before the others that logs secrets, configmaps and tokenreviews at Metadata level only.",
		Eval:        auditPolicyEval(secretsInFull)},
}

// auditProbe is one request the benchmark wants audited.
type auditProbe struct {
	verb, group, resource, sub string
}

func (p auditProbe) String() string {
	r := p.resource
	if p.sub != "" {
		r += "/" + p.sub
	}
	return p.verb + " " + r
}

func (p auditProbe) level(ev apiserveraudit.PolicyRuleEvaluator) auditinternal.Level {
	attrs := authorizer.AttributesRecord{
		User: &user.DefaultInfo{Name: "someone", Groups: []string{"system:authenticated"}},
		Verb: p.verb, Namespace: "default", APIGroup: p.group, APIVersion: "v1",
		Resource: p.resource, Subresource: p.sub, Name: "x", ResourceRequest: true,
	}
	return ev.EvaluatePolicyRule(attrs).Level
}

func auditPolicyEval(f func(doc *inventory.Object, ev apiserveraudit.PolicyRuleEvaluator) Result) evalFunc {
	return onProcess(APIServer, func(c *Config, p *Process) Result {
		v, set := p.Flag("audit-policy-file", "")
		if !set {
			return notAssessed("no --audit-policy-file: nothing is audited (see apiserver-audit-policy)")
		}
		doc, why := c.Doc("Policy", v.Text)
		if doc == nil {
			return notAssessed("%s", why)
		}
		pol, err := loadAuditPolicy(doc)
		if err != nil {
			return notAssessed("the audit policy is not valid: %v", err)
		}
		r := f(doc, auditpolicy.NewPolicyRuleEvaluator(pol))
		r.Object = doc.Ref()
		return r
	})
}

// loadAuditPolicy decodes and validates a policy the way the API server
// does when it starts.
func loadAuditPolicy(doc *inventory.Object) (*auditinternal.Policy, error) {
	data, err := json.Marshal(doc.Raw)
	if err != nil {
		return nil, err
	}
	return auditpolicy.LoadPolicyFromBytes(data)
}

func coverage(doc *inventory.Object, ev apiserveraudit.PolicyRuleEvaluator) Result {
	probes := []auditProbe{
		{verb: "get", resource: "secrets"}, {verb: "list", resource: "secrets"},
		{verb: "create", resource: "pods"}, {verb: "delete", resource: "pods"}, {verb: "patch", resource: "pods"},
		{verb: "create", group: "apps", resource: "deployments"}, {verb: "update", group: "apps", resource: "deployments"},
		{verb: "create", resource: "pods", sub: "exec"}, {verb: "create", resource: "pods", sub: "portforward"},
		{verb: "get", resource: "pods", sub: "proxy"}, {verb: "get", resource: "services", sub: "proxy"},
	}
	var missed []string
	for _, pr := range probes {
		if pr.level(ev) == auditinternal.LevelNone {
			missed = append(missed, pr.String())
		}
	}
	v := Value{Setting: "rules", Text: fmt.Sprintf("%d probes", len(probes)), Origin: FromFile, Place: doc.Place("rules")}
	if len(missed) > 0 {
		v.Text = "not logged: " + strings.Join(missed, ", ")
	}
	return judge(len(missed) == 0, v, "Secrets, Pod and Deployment changes, exec, port-forward and proxy are all logged", "these requests leave no audit record")
}

func secretsInFull(doc *inventory.Object, ev apiserveraudit.PolicyRuleEvaluator) Result {
	probes := []auditProbe{
		{verb: "get", resource: "secrets"}, {verb: "create", resource: "secrets"}, {verb: "update", resource: "secrets"},
		{verb: "get", resource: "configmaps"}, {verb: "create", resource: "configmaps"},
		{verb: "create", group: "authentication.k8s.io", resource: "tokenreviews"},
	}
	var full []string
	for _, pr := range probes {
		if l := pr.level(ev); l.GreaterOrEqual(auditinternal.LevelRequest) {
			full = append(full, pr.String()+" at "+string(l))
		}
	}
	v := Value{Setting: "rules", Text: "Metadata or less for secrets, configmaps, tokenreviews", Origin: FromFile, Place: doc.Place("rules")}
	if len(full) > 0 {
		v.Text = strings.Join(full, ", ")
	}
	return judge(len(full) == 0, v, "request bodies of Secrets, ConfigMaps and TokenReviews are not logged", "credentials are copied into the audit log")
}

// validateDoc checks that a configuration document decodes into its type,
// so that a broken file is an input error rather than a silent pass.
func validateDoc(o *inventory.Object) error {
	if o.Kind == "Policy" {
		if _, err := loadAuditPolicy(o); err != nil {
			return fmt.Errorf("audit Policy: %w", err)
		}
		return nil
	}
	target, ok := docTypes[o.Kind]
	if !ok {
		return nil
	}
	data, err := json.Marshal(o.Raw)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Kind, err)
	}
	if err := json.Unmarshal(data, target()); err != nil {
		return fmt.Errorf("%s: %w", o.Kind, err)
	}
	return nil
}
