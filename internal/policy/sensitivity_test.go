package policy

import (
	"errors"
	"strings"
	"testing"
)

const sensitivityDoc = `apiVersion: rampart.dev/v1alpha1
kind: Policy
sensitivity:
  labelKey: rampart.dev/sensitivity
  levels:
  - name: public
    shared: true
  - name: internal
    nodePool:
      nodeSelector: {pool: internal}
      taint: {key: pool, value: internal, effect: NoSchedule}
  - name: restricted
    nodePool:
      nodeSelector: {pool: restricted}
      taint: {key: pool, value: restricted, effect: NoExecute}
  gateways:
  - {namespace: edge, name: ingress, kind: Deployment}
`

func TestSensitivityValid(t *testing.T) {
	p, err := Parse([]byte(sensitivityDoc), known)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Sensitivity
	if !s.Enabled() || s.Rank("public") != 0 || s.Rank("restricted") != 2 || s.Rank("secret") != -1 {
		t.Fatalf("levels not read in order: %+v", s.Levels)
	}
	if l := s.Level("internal"); l == nil || l.NodePool.Taint.Effect != "NoSchedule" || l.NodePool.NodeSelector["pool"] != "internal" {
		t.Fatalf("internal pool: %+v", l)
	}
	if len(s.Gateways) != 1 || s.Gateways[0].Name != "ingress" {
		t.Fatalf("gateways: %+v", s.Gateways)
	}
	if Default().Sensitivity.Enabled() {
		t.Fatal("the default policy declares levels")
	}
}

func TestSensitivityLevelOf(t *testing.T) {
	key := "rampart.dev/sensitivity"
	tests := []struct {
		name          string
		namespaceWins bool
		workload, ns  map[string]string
		want          string
	}{
		{"workload only", false, map[string]string{key: "internal"}, nil, "internal"},
		{"namespace only", false, nil, map[string]string{key: "public"}, "public"},
		{"neither", false, map[string]string{"app": "x"}, map[string]string{"team": "y"}, ""},
		{"both, workload wins", false, map[string]string{key: "restricted"}, map[string]string{key: "public"}, "restricted"},
		{"both, namespace wins", true, map[string]string{key: "restricted"}, map[string]string{key: "public"}, "public"},
		{"namespace wins but only workload has it", true, map[string]string{key: "internal"}, nil, "internal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Sensitivity{LabelKey: key, NamespaceWins: tc.namespaceWins}
			if got := s.LevelOf(tc.workload, tc.ns); got != tc.want {
				t.Fatalf("LevelOf = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSensitivityInvalid(t *testing.T) {
	head := "apiVersion: rampart.dev/v1alpha1\nkind: Policy\nsensitivity:\n"
	tests := map[string]struct{ doc, want string }{
		"no label key":    {"  levels: [{name: a, shared: true}]\n", "sensitivity.labelKey is required"},
		"bad label key":   {"  labelKey: 'a b'\n  levels: [{name: a, shared: true}]\n", `labelKey "a b" is not a label key`},
		"no levels":       {"  labelKey: k\n", "levels are required"},
		"duplicate level": {"  labelKey: k\n  levels: [{name: a, shared: true}, {name: a, shared: true}]\n", `level "a" is declared twice`},
		"no pool":         {"  labelKey: k\n  levels: [{name: a}]\n", "nodePool is required (or shared: true)"},
		"pool and shared": {"  labelKey: k\n  levels: [{name: a, shared: true, nodePool: {nodeSelector: {p: a}}}]\n", "either shared or has a nodePool"},
		"empty selector":  {"  labelKey: k\n  levels: [{name: a, nodePool: {taint: {key: p, effect: NoSchedule}}}]\n", "nodePool.nodeSelector is required"},
		"bad effect":      {"  labelKey: k\n  levels: [{name: a, nodePool: {nodeSelector: {p: a}, taint: {key: p, effect: Never}}}]\n", `taint.effect is "Never"`},
		"gateway no name": {"  labelKey: k\n  levels: [{name: a, shared: true}]\n  gateways: [{namespace: x}]\n", "gateways[0]: namespace and name are required"},
		"unknown field":   {"  labelKey: k\n  level: []\n", "field level not found"},
		"bad level name":  {"  labelKey: k\n  levels: [{name: 'not ok', shared: true}]\n", `name "not ok" is not a label value`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(head+tc.doc), known)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}
