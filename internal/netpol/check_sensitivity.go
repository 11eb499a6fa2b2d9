package netpol

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
)

func init() {
	registry.Register(&audit.Check{
		ID:    "sensitivity-path-without-gateway",
		Title: "Lower sensitivity level reaches a higher one without a gateway",
		Description: "Runs when rampart.yaml declares sensitivity levels. Fires on a workload of a higher level that NetworkPolicies let a workload of a lower level, or an address outside the cluster's pods, connect to directly, " +
			"when neither end is a declared gateway: traffic between levels must pass through a gateway (NIST SP 800-190 3.3.3: separate networks by sensitivity level). " +
			"A workload's level is read from the sensitivity label on its pods, itself or its namespace; a workload without a declared level, and any outside address, count as the lowest level. " +
			"Every path from a lower level into a higher one starts with such a direct connection, so checking connections checks paths.",
		Severity:    finding.High,
		Remediation: "Deny the connection with NetworkPolicies (default deny, then allow only from the gateway), or route it through a gateway workload declared in rampart.yaml sensitivity.gateways.",
		Controls:    []string{"NIST-800-190:4.3.3", "NIST-800-190:4.3.4"},
		Section:     "4.3.3",
		Needs:       segmentationNeeds,
		Scan:        true,
		Run:         runSensitivityPaths,
	})
}

// levels ranks workloads by sensitivity.
type levels struct {
	s *policy.Sensitivity
	m *model
}

func (l *levels) of(w *Workload) (int, string) {
	labels := maps.Clone(w.Object.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, w.Labels)
	name := l.s.LevelOf(labels, l.m.nsLabelsOf(w.Namespace))
	r := l.s.Rank(name)
	if r < 0 {
		return 0, l.s.Levels[0].Name
	}
	return r, name
}

func (l *levels) gateway(w *Workload) bool {
	for _, g := range l.s.Gateways {
		if g.Namespace == w.Namespace && g.Name == w.Name && (g.Kind == "" || strings.EqualFold(g.Kind, w.Kind)) {
			return true
		}
	}
	return false
}

func runSensitivityPaths(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
	if cfg == nil || !cfg.Sensitivity.Enabled() {
		return nil
	}
	m := sharedModel(inv, cfg)
	a := m.reach(Options{})
	l := &levels{s: &cfg.Sensitivity, m: m}
	type entry struct {
		w       *Workload
		level   string
		sources []string
	}
	found := map[*Workload]*entry{}
	add := func(t *Workload, level, src string) {
		e := found[t]
		if e == nil {
			e = &entry{w: t, level: level}
			found[t] = e
		}
		e.sources = append(e.sources, src)
	}
	for _, e := range a.Edges {
		if e.Ports.Empty() {
			continue
		}
		for _, t := range a.Classes[e.To].Members {
			tr, tl := l.of(t)
			if tr == 0 || l.gateway(t) {
				continue
			}
			for _, f := range a.Classes[e.From].Members {
				if fr, fl := l.of(f); fr < tr && !l.gateway(f) {
					add(t, tl, fmt.Sprintf("%s (%s) on %s", f, fl, e.Ports))
				}
			}
		}
	}
	for id, c := range a.Classes {
		for _, r := range a.Ingress[id] {
			for _, t := range c.Members {
				if tr, tl := l.of(t); tr > 0 && !l.gateway(t) {
					add(t, tl, fmt.Sprintf("%s (outside addresses) on %s", r.IPs.String(), r.Ports))
				}
			}
		}
	}
	var out []finding.Finding
	for _, t := range slices.SortedFunc(maps.Keys(found), compareWorkloads) {
		e := found[t]
		list := e.sources
		if len(list) > 3 {
			list = append(list[:3:3], fmt.Sprintf("%d more", len(e.sources)-3))
		}
		out = append(out, onWorkload(t, finding.High, "%s (level %s) can be reached from lower levels without a gateway: %s",
			t, e.level, strings.Join(list, "; ")))
	}
	return out
}
