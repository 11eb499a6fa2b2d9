package placement

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// Controls of every placement check: NIST SP 800-190 4.3.4 (group
// workloads by sensitivity and pin each group to its own hosts) and the
// risk it answers, 3.3.4.
var controls = []string{"NIST-800-190:4.3.4", "NIST-800-190:3.3.4"}

func init() {
	registry.Register(
		&audit.Check{
			ID:    "placement-level-missing",
			Title: "Workload without a sensitivity level",
			Description: "Fires, when the policy declares sensitivity levels, on a workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate) that carries no level: " +
				"neither the workload (its metadata or its pod template) nor its namespace has the policy's sensitivity label. Nothing then says which pool it belongs to, so nothing keeps it apart from more sensitive workloads. " +
				"Pods owned by a controller are judged through the controller; the system namespaces are skipped.",
			Severity:    finding.Medium,
			Remediation: "Label the workload or its namespace with the policy's sensitivity label key and one of the declared levels.",
			Controls:    controls,
			Section:     "4.3.4",
			Needs:       workloadNeeds,
			Scan:        true,
			Run:         runLevelMissing,
		},
		&audit.Check{
			ID:    "placement-level-unknown",
			Title: "Unknown sensitivity level",
			Description: "Fires when a workload's sensitivity label (or its namespace's, when that one decides) names a level the policy does not declare, typically a typo: the workload then belongs to no pool. " +
				"A namespace whose label decides is reported once, on the namespace.",
			Severity:    finding.Medium,
			Remediation: "Set the label to one of the levels declared in rampart.yaml (sensitivity.levels), or declare the level.",
			Controls:    controls,
			Section:     "4.3.4",
			Needs:       workloadNeeds,
			Scan:        true,
			Run:         runLevelUnknown,
		},
		&audit.Check{
			ID:    "placement-namespace-mixed-levels",
			Title: "Namespace mixes sensitivity levels",
			Description: "Fires on a namespace whose workloads have different sensitivity levels. A namespace is the unit of RBAC, network policy and quota: " +
				"workloads of different levels in one namespace share the people who may change them, their service accounts and often their network exposure. Workloads without a level are not counted (placement-level-missing reports them).",
			Severity:    finding.Medium,
			Remediation: "Move the workloads of each level into namespaces of their own, and label each namespace with its level.",
			Controls:    controls,
			Section:     "4.3.4",
			Needs:       workloadNeeds,
			Scan:        true,
			Run:         runNamespaceMixedLevels,
		},
	)
}

func runLevelMissing(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	if !cfg.Sensitivity.Enabled() {
		return nil
	}
	var out []finding.Finding
	for _, w := range Workloads(inv, cfg) {
		if w.Level.Name != "" {
			continue
		}
		out = append(out, finding.Finding{
			Object:   w.Object.Ref(),
			Place:    w.Object.Place(inventory.FieldPath("metadata").Key("labels")),
			Severity: finding.Medium,
			Message: fmt.Sprintf("%s %q has no sensitivity level: neither it nor namespace %q has the label %s (levels: %s)",
				w.Object.Kind, w.Object.Name, w.Namespace, cfg.Sensitivity.LabelKey, levelNames(cfg)),
		})
	}
	return out
}

func runLevelUnknown(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	s := &cfg.Sensitivity
	if !s.Enabled() {
		return nil
	}
	nss := namespaceIndex(inv)
	seenNS := map[string]bool{}
	var out []finding.Finding
	for _, w := range Workloads(inv, cfg) {
		if w.Level.Name == "" || s.Rank(w.Level.Name) >= 0 {
			continue
		}
		if w.Level.FromNamespace {
			if seenNS[w.Namespace] {
				continue
			}
			seenNS[w.Namespace] = true
			ns := nss[w.Namespace]
			out = append(out, finding.Finding{
				Object:   ns.Ref(),
				Place:    ns.Place(inventory.FieldPath("metadata").Keys("labels", s.LabelKey)),
				Severity: finding.Medium,
				Message: fmt.Sprintf("namespace %q has %s=%s, which is not a declared level (levels: %s); its workloads (e.g. %s %q) belong to no pool",
					w.Namespace, s.LabelKey, w.Level.Name, levelNames(cfg), w.Object.Kind, w.Object.Name),
			})
			continue
		}
		out = append(out, finding.Finding{
			Object:   w.Object.Ref(),
			Place:    w.Object.Place(w.Level.Path),
			Severity: finding.Medium,
			Message: fmt.Sprintf("%s %q has %s=%s, which is not a declared level (levels: %s)",
				w.Object.Kind, w.Object.Name, s.LabelKey, w.Level.Name, levelNames(cfg)),
		})
	}
	return out
}

func runNamespaceMixedLevels(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	if !cfg.Sensitivity.Enabled() {
		return nil
	}
	byNS := map[string]map[string][]string{} // namespace → level → workloads
	for _, w := range Workloads(inv, cfg) {
		if w.Level.Name == "" {
			continue
		}
		if byNS[w.Namespace] == nil {
			byNS[w.Namespace] = map[string][]string{}
		}
		byNS[w.Namespace][w.Level.Name] = append(byNS[w.Namespace][w.Level.Name], w.Object.Kind+"/"+w.Object.Name)
	}
	nss := namespaceIndex(inv)
	var out []finding.Finding
	for ns, levels := range byNS {
		if len(levels) < 2 {
			continue
		}
		f := finding.Finding{
			Object:   finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: ns},
			Severity: finding.Medium,
			Message:  fmt.Sprintf("namespace %q holds workloads of %d sensitivity levels: %s", ns, len(levels), describeLevels(cfg, levels)),
		}
		if o := nss[ns]; o != nil {
			f.Object, f.Place = o.Ref(), o.Place("metadata")
		}
		out = append(out, f)
	}
	return out
}

// describeLevels lists levels in policy order (unknown ones last), each
// with up to three of its workloads.
func describeLevels(cfg *audit.Config, levels map[string][]string) string {
	names := make([]string, 0, len(levels))
	for l := range levels {
		names = append(names, l)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := rankOrLast(cfg, names[i]), rankOrLast(cfg, names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	var parts []string
	for _, l := range names {
		parts = append(parts, fmt.Sprintf("%s (%s)", l, sample(levels[l], 3)))
	}
	return strings.Join(parts, ", ")
}

func rankOrLast(cfg *audit.Config, level string) int {
	if r := cfg.Sensitivity.Rank(level); r >= 0 {
		return r
	}
	return len(cfg.Sensitivity.Levels)
}

// sample lists up to n items, sorted, saying how many more there are.
func sample(items []string, n int) string {
	s := append([]string(nil), items...)
	sort.Strings(s)
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(s[:n], ", "), len(s)-n)
}

func levelNames(cfg *audit.Config) string {
	var names []string
	for _, l := range cfg.Sensitivity.Levels {
		names = append(names, l.Name)
	}
	return strings.Join(names, " < ")
}
