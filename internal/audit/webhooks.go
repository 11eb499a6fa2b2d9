package audit

import (
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

// The webhook checks belong to 4.3.1: admission webhooks are where a
// cluster bounds what authenticated users and controllers may do with the
// access RBAC gives them (policy engines, image verification, Pod Security
// replacements), and a webhook that fails open removes that bound exactly
// when the webhook is down or slow.

var webhookResources = []string{
	"validatingwebhookconfigurations.admissionregistration.k8s.io",
	"mutatingwebhookconfigurations.admissionregistration.k8s.io",
}

// defaultWebhookTimeout is the timeoutSeconds admissionregistration/v1
// defaults to.
const defaultWebhookTimeout = 10

func init() {
	register(
		&Check{
			ID:    "admission-webhook-fail-open",
			Title: "Admission webhook fails open",
			Description: "Reports, for the record, a validating or mutating admission webhook with failurePolicy: Ignore: when it is unreachable, errors or times out, the requests it should check are admitted unchecked. " +
				"In NIST 4.3.1 because admission webhooks are what bounds, beyond RBAC, what users with API access may create, and a fail-open webhook lifts that bound whenever it is down, which an attacker can arrange.",
			Severity:    finding.Low,
			Remediation: "Set failurePolicy: Fail on webhooks that enforce security policy, run them highly available, and exclude the webhook's own namespace and kube-system with a namespaceSelector so that a failure cannot lock the cluster.",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Section:     "4.3.1",
			Needs:       webhookResources,
			Run:         runWebhookFailOpen,
		},
		&Check{
			ID:    "admission-webhook-timeout",
			Title: "Fail-closed admission webhook with a long timeout",
			Description: "Fires on a validating or mutating admission webhook with failurePolicy: Fail (the default) and timeoutSeconds above 10: " +
				"a slow webhook then holds every matching API request for up to that long before refusing it, which can stall controllers and the control plane. " +
				"An unset timeoutSeconds defaults to 10 in admissionregistration.k8s.io/v1 and does not fire. In NIST 4.3.1 with admission-webhook-fail-open, as the other half of the same trade-off.",
			Severity:    finding.Low,
			Remediation: "Make the webhook answer quickly and set timeoutSeconds to 10 or less (a few seconds is usual).",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Section:     "4.3.1",
			Needs:       webhookResources,
			Run:         runWebhookTimeout,
		},
	)
}

// webhook is one webhook of a validating or mutating configuration.
type webhook struct {
	obj           *inventory.Object
	path          inventory.FieldPath
	name          string
	failurePolicy *admissionregistrationv1.FailurePolicyType
	timeout       *int32
}

// webhooks returns every admission webhook, in inventory order.
func webhooks(inv *inventory.Inventory) []webhook {
	var out []webhook
	for _, o := range inv.Objects {
		switch t := o.Typed.(type) {
		case *admissionregistrationv1.ValidatingWebhookConfiguration:
			for i, w := range t.Webhooks {
				out = append(out, webhook{obj: o, path: inventory.FieldPath("webhooks").Index(i), name: w.Name, failurePolicy: w.FailurePolicy, timeout: w.TimeoutSeconds})
			}
		case *admissionregistrationv1.MutatingWebhookConfiguration:
			for i, w := range t.Webhooks {
				out = append(out, webhook{obj: o, path: inventory.FieldPath("webhooks").Index(i), name: w.Name, failurePolicy: w.FailurePolicy, timeout: w.TimeoutSeconds})
			}
		}
	}
	return out
}

// failsOpen reports whether the webhook's failure policy is Ignore; an
// unset policy defaults to Fail.
func (w webhook) failsOpen() bool {
	return w.failurePolicy != nil && *w.failurePolicy == admissionregistrationv1.Ignore
}

func runWebhookFailOpen(inv *inventory.Inventory, _ *Config) []finding.Finding {
	var out []finding.Finding
	for _, w := range webhooks(inv) {
		if w.failsOpen() {
			out = append(out, report(w.obj, w.path.Key("failurePolicy"), finding.Low,
				"webhook %q of %s %q has failurePolicy: Ignore, so the requests it should check are admitted unchecked whenever it is unreachable, errors or times out",
				w.name, w.obj.Kind, w.obj.Name))
		}
	}
	return out
}

func runWebhookTimeout(inv *inventory.Inventory, _ *Config) []finding.Finding {
	var out []finding.Finding
	for _, w := range webhooks(inv) {
		if w.failsOpen() || w.timeout == nil || *w.timeout <= defaultWebhookTimeout {
			continue
		}
		out = append(out, report(w.obj, w.path.Key("timeoutSeconds"), finding.Low,
			"webhook %q of %s %q fails closed with timeoutSeconds: %d, so while it is slow each matching API request waits up to %d seconds before being refused",
			w.name, w.obj.Kind, w.obj.Name, *w.timeout, *w.timeout))
	}
	return out
}
