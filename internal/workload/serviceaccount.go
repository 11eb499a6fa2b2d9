package workload

import (
	"fmt"

	"github.com/rampart-dev/rampart/internal/finding"
)

func init() {
	register(
		&Check{
			ID:    "automount-service-account-token",
			Title: "Service account token automounted",
			Description: "Fires when a pod does not set automountServiceAccountToken to false; the token is then mounted unless its ServiceAccount disables it, " +
				"and anyone who compromises the container can call the API server as that account.",
			Severity:    finding.Medium,
			Remediation: "Set spec.automountServiceAccountToken: false in the pod (and on the ServiceAccount), and mount a projected token only where the pod calls the API server.",
			Controls:    []string{"NIST-800-190:4.3.2", "NIST-800-190:4.3.1", "CIS-K8S:5.1.6"},
			Run: func(t *Target) []Result {
				if t.Pod == nil {
					return nil
				}
				path := t.Pod.SpecPath.Key("automountServiceAccountToken")
				switch v := t.Pod.Spec.AutomountServiceAccountToken; {
				case v == nil:
					return []Result{{Path: path, Message: fmt.Sprintf("automountServiceAccountToken is not set, so the token of service account %q is mounted unless the account disables it", serviceAccountOf(t))}}
				case *v:
					return []Result{{Path: path, Message: fmt.Sprintf("automountServiceAccountToken is true, so the token of service account %q is mounted", serviceAccountOf(t))}}
				}
				return nil
			},
		},
		&Check{
			ID:    "default-service-account",
			Title: "Default service account used",
			Description: "Fires when a pod runs as the namespace's default ServiceAccount: serviceAccountName (or the deprecated serviceAccount) is empty or \"default\"; " +
				"every pod without its own account shares it, and with it any permission granted to it.",
			Severity:    finding.Low,
			Remediation: "Create a dedicated ServiceAccount for the workload, grant it only what it needs, and set spec.serviceAccountName to it.",
			Controls:    []string{"NIST-800-190:4.3.1", "CIS-K8S:5.1.5"},
			Run: func(t *Target) []Result {
				if t.Pod == nil {
					return nil
				}
				spec := t.Pod.Spec
				if serviceAccountOf(t) != "default" {
					return nil
				}
				path := t.Pod.SpecPath.Key("serviceAccountName")
				switch {
				case spec.ServiceAccountName != "":
					return []Result{{Path: path, Message: `pod runs as the "default" service account`}}
				case spec.DeprecatedServiceAccount != "":
					return []Result{{Path: t.Pod.SpecPath.Key("serviceAccount"), Message: `pod runs as the "default" service account`}}
				}
				return []Result{{Path: path, Message: `serviceAccountName is not set, so the pod runs as the "default" service account`}}
			},
		},
		&Check{
			ID:    "deprecated-service-account-field",
			Title: "Deprecated serviceAccount field",
			Description: "Fires when a pod sets the deprecated serviceAccount field without serviceAccountName, or to a different value; " +
				"serviceAccountName wins, so readers of the manifest may misjudge the pod's identity. Equal values, as the API server writes them back, do not fire.",
			Severity:    finding.Low,
			Remediation: "Use spec.serviceAccountName and remove spec.serviceAccount.",
			Controls:    []string{"NIST-800-190:4.3.1"},
			Run: func(t *Target) []Result {
				if t.Pod == nil {
					return nil
				}
				old, name := t.Pod.Spec.DeprecatedServiceAccount, t.Pod.Spec.ServiceAccountName
				path := t.Pod.SpecPath.Key("serviceAccount")
				switch {
				case old == "" || old == name:
					return nil
				case name == "":
					return []Result{{Path: path, Message: fmt.Sprintf("serviceAccount %q uses the deprecated alias of serviceAccountName", old)}}
				}
				return []Result{{Path: path, Message: fmt.Sprintf("serviceAccount %q differs from serviceAccountName %q, which is the one used", old, name)}}
			},
		},
	)
}

// serviceAccountOf returns the service account a pod runs as, the way the
// API server resolves it: serviceAccountName, else the deprecated
// serviceAccount, else "default".
func serviceAccountOf(t *Target) string {
	switch spec := t.Pod.Spec; {
	case spec.ServiceAccountName != "":
		return spec.ServiceAccountName
	case spec.DeprecatedServiceAccount != "":
		return spec.DeprecatedServiceAccount
	}
	return "default"
}
