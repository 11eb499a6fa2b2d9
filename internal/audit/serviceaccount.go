package audit

import (
	"fmt"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	register(&Check{
		ID:    "default-sa-automount",
		Title: "Default service account token automounted",
		Description: "Fires on the ServiceAccount \"default\" of a namespace that runs workloads when it does not set automountServiceAccountToken: false: " +
			"every pod that names no service account runs as it and gets its token, and with it whatever has been granted to the account. " +
			"Medium when some workload already runs as it with the token mounted, low when none does yet. System namespaces are skipped.",
		Severity:    finding.Medium,
		Remediation: "Set automountServiceAccountToken: false on the namespace's default ServiceAccount, and give workloads that call the API server their own ServiceAccount.",
		Controls:    []string{"NIST-800-190:4.3.2", "NIST-800-190:4.3.1", "CIS-K8S:5.1.5", "CIS-K8S:5.1.6"},
		Section:     "4.3.2",
		Needs:       needs([]string{"serviceaccounts"}, workloadResources),
		Run:         runDefaultSAAutomount,
	})
}

func runDefaultSAAutomount(inv *inventory.Inventory, cfg *Config) []finding.Finding {
	ns := namespaces(inv)
	var out []finding.Finding
	for _, sa := range all[*corev1.ServiceAccount](inv) {
		if sa.obj.Name != "default" || cfg.system(sa.obj.Namespace) {
			continue
		}
		ws := ns.workloads[sa.obj.Namespace]
		if len(ws) == 0 {
			continue
		}
		auto := sa.v.AutomountServiceAccountToken
		if auto != nil && !*auto {
			continue
		}
		state := "does not set automountServiceAccountToken"
		if auto != nil {
			state = "sets automountServiceAccountToken: true"
		}
		var mounted []*inventory.Object
		for _, w := range ws {
			p := inventory.PodOf(w)
			if serviceAccountOf(p.Spec) == "default" && (p.Spec.AutomountServiceAccountToken == nil || *p.Spec.AutomountServiceAccountToken) {
				mounted = append(mounted, w)
			}
		}
		sev, detail := finding.Low, fmt.Sprintf("no workload runs as it with the token mounted yet (the namespace runs %s)", plural(len(ws), "workload", "workloads"))
		if len(mounted) > 0 {
			verb := "run"
			if len(mounted) == 1 {
				verb = "runs"
			}
			sev, detail = finding.Medium, fmt.Sprintf("%s %s as it with the token mounted: %s", plural(len(mounted), "workload", "workloads"), verb, describeWorkloads(mounted))
		}
		out = append(out, report(sa.obj, "automountServiceAccountToken", sev,
			"ServiceAccount \"default\" in namespace %q %s, so every pod there that names no service account gets its token; %s",
			sa.obj.Namespace, state, detail))
	}
	return out
}

// serviceAccountOf returns the service account a pod runs as, the way the
// API server resolves it.
func serviceAccountOf(spec *corev1.PodSpec) string {
	switch {
	case spec.ServiceAccountName != "":
		return spec.ServiceAccountName
	case spec.DeprecatedServiceAccount != "":
		return spec.DeprecatedServiceAccount
	}
	return "default"
}
