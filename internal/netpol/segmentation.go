package netpol

import (
	"fmt"
	"slices"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// Resources the segmentation checks read (see audit.Check.Needs).
var (
	policyResources   = []string{"networkpolicies.networking.k8s.io", "namespaces"}
	workloadResources = []string{
		"pods", "replicationcontrollers", "deployments.apps", "statefulsets.apps",
		"daemonsets.apps", "replicasets.apps", "jobs.batch", "cronjobs.batch",
	}
	segmentationNeeds = append(slices.Clone(policyResources), workloadResources...)
)

// Controls of the segmentation checks.
var (
	segmentationControls = []string{"NIST-800-190:4.3.3", "CIS-K8S:5.3.2"}
	nistOnly             = []string{"NIST-800-190:4.3.3"}
)

// systemNamespace reports whether ns is one of the configured system
// namespaces (default kube-system, kube-public, kube-node-lease).
func systemNamespace(cfg *audit.Config, ns string) bool {
	list := audit.DefaultSystemNamespaces
	if cfg != nil && cfg.SystemNamespaces != nil {
		list = cfg.SystemNamespaces
	}
	return slices.Contains(list, ns)
}

// onWorkload makes a finding about a workload, pointing at its pod labels.
func onWorkload(w *Workload, sev finding.Severity, format string, a ...any) finding.Finding {
	p := inventory.PodOf(w.Object)
	path := inventory.FieldPath("metadata")
	if p != nil {
		path = p.MetaPath.Key("labels")
	}
	return finding.Finding{Severity: sev, Object: w.Object.Ref(), Place: w.Object.Place(path), Message: fmt.Sprintf(format, a...)}
}

// onPolicy makes a finding about a policy, pointing at a field of it.
func onPolicy(p *compiledPolicy, path string, sev finding.Severity, format string, a ...any) finding.Finding {
	return finding.Finding{Severity: sev, Object: p.obj.Ref(), Place: p.obj.Place(inventory.FieldPath(path)), Message: fmt.Sprintf(format, a...)}
}

// ruleWhy names a rule for a message: "policy prod/x spec.ingress[0]".
func ruleWhy(r *rule, peer int) string {
	return fmt.Sprintf("NetworkPolicy %s %s", r.pol.Name(), r.field(peer))
}
