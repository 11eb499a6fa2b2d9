package policy

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Sensitivity declares the sensitivity levels of workloads (NIST SP 800-190
// 3.3.4 / 4.3.4): how a workload's level is read, the levels in order, the
// node pool each level is pinned to, and the gateways through which a
// lower level may reach a higher one (3.3.3 / 4.3.3).
type Sensitivity struct {
	// LabelKey is the label that carries a level, on a workload (its
	// metadata or its Pod template) or on its namespace,
	// e.g. rampart.dev/sensitivity.
	LabelKey string `yaml:"labelKey"`
	// NamespaceWins decides when a workload and its namespace both carry
	// LabelKey with different values: false (the default) takes the
	// workload's, true the namespace's.
	NamespaceWins bool `yaml:"namespaceWins"`
	// Levels are ordered from least to most sensitive.
	Levels []Level `yaml:"levels"`
	// Gateways are the workloads through which traffic may pass from a
	// lower level into a higher one.
	Gateways []Gateway `yaml:"gateways"`
}

// Level is one sensitivity level.
type Level struct {
	Name string `yaml:"name"`
	// NodePool is where the level's workloads must run. Exactly one of
	// NodePool and Shared is set.
	NodePool *NodePool `yaml:"nodePool"`
	// Shared declares that the level has no pool of its own: its
	// workloads may run on any node that no other level's pool claims.
	Shared bool `yaml:"shared"`
}

// NodePool is a set of nodes reserved for one level.
type NodePool struct {
	// NodeSelector are the labels every node of the pool carries.
	NodeSelector map[string]string `yaml:"nodeSelector"`
	// Taint keeps other workloads off the pool's nodes.
	Taint *Taint `yaml:"taint"`
}

// Taint is a node taint, spelt as in a Node's spec.taints.
type Taint struct {
	Key    string `yaml:"key"`
	Value  string `yaml:"value"`
	Effect string `yaml:"effect"`
}

// Gateway names a workload; Kind is optional (any workload kind matches).
type Gateway struct {
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
	Kind      string `yaml:"kind"`
}

// Enabled reports whether levels are declared.
func (s *Sensitivity) Enabled() bool { return len(s.Levels) > 0 }

// Rank returns the position of a level (0 is least sensitive), or -1 when
// the level is not declared.
func (s *Sensitivity) Rank(level string) int {
	for i, l := range s.Levels {
		if l.Name == level {
			return i
		}
	}
	return -1
}

// Level returns the named level, or nil.
func (s *Sensitivity) Level(name string) *Level {
	if i := s.Rank(name); i >= 0 {
		return &s.Levels[i]
	}
	return nil
}

// LevelOf returns the level of a workload with these labels in a namespace
// with these labels, following NamespaceWins; "" when neither carries
// LabelKey.
func (s *Sensitivity) LevelOf(workloadLabels, namespaceLabels map[string]string) string {
	w, wok := workloadLabels[s.LabelKey]
	n, nok := namespaceLabels[s.LabelKey]
	switch {
	case wok && nok:
		if s.NamespaceWins {
			return n
		}
		return w
	case wok:
		return w
	default:
		return n
	}
}

// problems lists what is wrong with the declaration.
func (s *Sensitivity) problems() []string {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if !s.Enabled() {
		if s.LabelKey != "" || len(s.Gateways) > 0 {
			add("sensitivity: levels are required when labelKey or gateways are set")
		}
		return errs
	}
	if s.LabelKey == "" {
		add("sensitivity.labelKey is required")
	} else if msgs := validation.IsQualifiedName(s.LabelKey); len(msgs) > 0 {
		add("sensitivity.labelKey %q is not a label key: %s", s.LabelKey, msgs[0])
	}
	seen := map[string]bool{}
	for i, l := range s.Levels {
		where := fmt.Sprintf("sensitivity.levels[%d]", i)
		if l.Name == "" {
			add("%s: name is required", where)
		} else if msgs := validation.IsValidLabelValue(l.Name); len(msgs) > 0 {
			add("%s: name %q is not a label value: %s", where, l.Name, msgs[0])
		}
		if seen[l.Name] {
			add("%s: level %q is declared twice", where, l.Name)
		}
		seen[l.Name] = true
		switch {
		case l.Shared && l.NodePool != nil:
			add("%s: a level is either shared or has a nodePool, not both", where)
		case !l.Shared && l.NodePool == nil:
			add("%s: nodePool is required (or shared: true)", where)
		case l.NodePool != nil:
			if len(l.NodePool.NodeSelector) == 0 {
				add("%s.nodePool.nodeSelector is required", where)
			}
			if t := l.NodePool.Taint; t != nil {
				if t.Key == "" {
					add("%s.nodePool.taint.key is required", where)
				}
				switch t.Effect {
				case "NoSchedule", "PreferNoSchedule", "NoExecute":
				default:
					add("%s.nodePool.taint.effect is %q, want NoSchedule, PreferNoSchedule or NoExecute", where, t.Effect)
				}
			}
		}
	}
	for i, g := range s.Gateways {
		if g.Namespace == "" || g.Name == "" {
			add("sensitivity.gateways[%d]: namespace and name are required", i)
		}
	}
	return errs
}
