package audit

import "testing"

const webhookFixture = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy}
webhooks:
- name: strict.policy.example.com
  failurePolicy: Fail
  timeoutSeconds: 30
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {service: {name: policy, namespace: policy}}
- name: lax.policy.example.com
  failurePolicy: Ignore
  timeoutSeconds: 30
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {service: {name: policy, namespace: policy}}
- name: defaults.policy.example.com
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {service: {name: policy, namespace: policy}}
- name: quick.policy.example.com
  failurePolicy: Fail
  timeoutSeconds: 10
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {service: {name: policy, namespace: policy}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: injector}
webhooks:
- name: sidecar.example.com
  failurePolicy: Ignore
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {url: "https://injector.example.com/mutate"}
- name: slow-default.example.com
  timeoutSeconds: 15
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {url: "https://injector.example.com/mutate"}
`

func TestAdmissionWebhookFailOpen(t *testing.T) {
	runCases(t, "admission-webhook-fail-open", []auditCase{
		{name: "validating and mutating", manifest: webhookFixture, want: []string{
			"ValidatingWebhookConfiguration/policy webhooks[1].failurePolicy low",
			"MutatingWebhookConfiguration/injector webhooks[0].failurePolicy low",
		}, contains: []string{
			`webhook "lax.policy.example.com" of ValidatingWebhookConfiguration "policy" has failurePolicy: Ignore`,
			`webhook "sidecar.example.com" of MutatingWebhookConfiguration "injector" has failurePolicy: Ignore`,
		}},
		{name: "no webhooks", manifest: `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: empty}
`},
	})
}

func TestAdmissionWebhookTimeout(t *testing.T) {
	runCases(t, "admission-webhook-timeout", []auditCase{
		{name: "fail-closed webhooks over 10 seconds", manifest: webhookFixture, want: []string{
			"ValidatingWebhookConfiguration/policy webhooks[0].timeoutSeconds low",
			"MutatingWebhookConfiguration/injector webhooks[1].timeoutSeconds low",
		}, contains: []string{
			`webhook "strict.policy.example.com" of ValidatingWebhookConfiguration "policy" fails closed with timeoutSeconds: 30`,
			`webhook "slow-default.example.com" of MutatingWebhookConfiguration "injector" fails closed with timeoutSeconds: 15`,
		}},
	})
}
