package audit

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// Pod Security Admission namespace labels.
const (
	labelPSAEnforce = "pod-security.kubernetes.io/enforce"
	labelPSAWarn    = "pod-security.kubernetes.io/warn"
	labelPSAAudit   = "pod-security.kubernetes.io/audit"
)

// clusterDefaultCaveat is said of every finding that a missing label
// causes: the API server's own default is not visible through the API.
const clusterDefaultCaveat = "unless the API server's admission configuration sets a cluster-wide default, which the API does not show"

func init() {
	register(
		&Check{
			ID:    "namespace-no-pod-security",
			Title: "Namespace without Pod Security Admission",
			Description: "Fires on a non-system namespace with none of the Pod Security Admission labels (pod-security.kubernetes.io/enforce, warn or audit): " +
				"nothing stops a privileged or host-namespace pod there, so workloads of any sensitivity can share its nodes with anything. " +
				"A cluster-wide default in the API server's AdmissionConfiguration, or a third-party admission controller, is not visible through the API; a namespace with only warn or audit labels is namespace-pod-security-audit-only instead.",
			Severity:    finding.Medium,
			Remediation: "Label the namespace pod-security.kubernetes.io/enforce=restricted (or baseline where restricted is not yet possible), after checking its workloads with warn and audit labels.",
			Controls:    []string{"NIST-800-190:4.3.4", "CIS-K8S:5.2.1"},
			Section:     "4.3.4",
			Needs:       []string{"namespaces"},
			Run:         runPodSecurity(psaNone),
		},
		&Check{
			ID:    "namespace-pod-security-privileged",
			Title: "Namespace enforces the privileged Pod Security level",
			Description: "Fires on a non-system namespace labelled pod-security.kubernetes.io/enforce=privileged: " +
				"the label says Pod Security Admission was considered and switched off, and any pod, privileged and host-namespace ones included, is admitted.",
			Severity:    finding.High,
			Remediation: "Enforce baseline or restricted in the namespace; move the workloads that truly need host access to a dedicated namespace and node pool.",
			Controls:    []string{"NIST-800-190:4.3.4", "CIS-K8S:5.2.1"},
			Section:     "4.3.4",
			Needs:       []string{"namespaces"},
			Run:         runPodSecurity(psaPrivileged),
		},
		&Check{
			ID:    "namespace-pod-security-audit-only",
			Title: "Namespace audits Pod Security without enforcing it",
			Description: "Fires on a non-system namespace with a pod-security.kubernetes.io/warn or audit label but no enforce label: " +
				"violations are only warned about or logged, and every pod is admitted.",
			Severity:    finding.Low,
			Remediation: "Once the warnings and audit events are clean, add pod-security.kubernetes.io/enforce at the same level.",
			Controls:    []string{"NIST-800-190:4.3.4", "CIS-K8S:5.2.1"},
			Section:     "4.3.4",
			Needs:       []string{"namespaces"},
			Run:         runPodSecurity(psaAuditOnly),
		},
	)
}

// psaState is which of the three pod security checks a namespace fails.
type psaState int

const (
	psaOK psaState = iota
	psaNone
	psaPrivileged
	psaAuditOnly
)

// podSecurityState classifies a namespace's Pod Security Admission labels.
func podSecurityState(labels map[string]string) psaState {
	enforce, hasEnforce := labels[labelPSAEnforce]
	_, warn := labels[labelPSAWarn]
	_, audit := labels[labelPSAAudit]
	switch {
	case hasEnforce && strings.TrimSpace(enforce) == "privileged":
		return psaPrivileged
	case hasEnforce:
		return psaOK
	case warn || audit:
		return psaAuditOnly
	}
	return psaNone
}

func runPodSecurity(want psaState) func(inv *inventory.Inventory, cfg *Config) []finding.Finding {
	return func(inv *inventory.Inventory, cfg *Config) []finding.Finding {
		var out []finding.Finding
		for _, n := range all[*corev1.Namespace](inv) {
			if cfg.system(n.obj.Name) || podSecurityState(n.v.Labels) != want {
				continue
			}
			labels := inventory.FieldPath("metadata.labels")
			switch want {
			case psaNone:
				out = append(out, report(n.obj, labels, finding.Medium,
					"namespace %q has no Pod Security Admission label, so any pod is admitted there, %s", n.obj.Name, clusterDefaultCaveat))
			case psaPrivileged:
				out = append(out, report(n.obj, labels.Key(labelPSAEnforce), finding.High,
					"namespace %q enforces the privileged Pod Security level, so any pod is admitted there, privileged and host-namespace ones included", n.obj.Name))
			case psaAuditOnly:
				var set []string
				for _, l := range []string{labelPSAWarn, labelPSAAudit} {
					if v, ok := n.v.Labels[l]; ok {
						set = append(set, fmt.Sprintf("%s=%s", l, v))
					}
				}
				out = append(out, report(n.obj, labels, finding.Low,
					"namespace %q sets %s but no %s label, so violations are reported and the pods still admitted, %s", n.obj.Name, strings.Join(set, " and "), labelPSAEnforce, clusterDefaultCaveat))
			}
		}
		return out
	}
}
