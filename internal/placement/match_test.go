package placement

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// spec reads a pod spec's scheduling fields from YAML.
func spec(t *testing.T, y string) Spec {
	t.Helper()
	var ps corev1.PodSpec
	if err := yaml.UnmarshalStrict([]byte(y), &ps); err != nil {
		t.Fatalf("bad pod spec fixture: %v\n%s", err, y)
	}
	return Spec{NodeSelector: ps.NodeSelector, Affinity: ps.Affinity, Tolerations: ps.Tolerations, Path: "spec"}
}

func node(t *testing.T, y string) *corev1.Node {
	t.Helper()
	var n corev1.Node
	if err := yaml.UnmarshalStrict([]byte(y), &n); err != nil {
		t.Fatalf("bad node fixture: %v\n%s", err, y)
	}
	return &n
}

// affinity wraps match expressions into one required term.
func affinity(exprs string) string {
	return "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [" + exprs + "]}]}}}"
}

// TestNodeAffinityTruthTable: every operator, each way, against nodes
// whose labels say what the scheduler must answer.
func TestNodeAffinityTruthTable(t *testing.T) {
	ssd := `metadata: {name: n1, labels: {disk: ssd, cores: "8", zone: a}}`
	bare := `metadata: {name: n2}`
	tests := []struct {
		name, spec, node string
		fits             bool
		reason           string // substring of the decision's reason
		path             string
	}{
		{"no constraints", ``, bare, true, "no node selector", ""},
		{"nodeSelector match", `nodeSelector: {disk: ssd}`, ssd, true, "nodeSelector disk=ssd matches", "spec.nodeSelector"},
		{"nodeSelector other value", `nodeSelector: {disk: hdd}`, ssd, false, "nodeSelector disk=hdd does not match (node has disk=ssd)", "spec.nodeSelector.disk"},
		{"nodeSelector missing label", `nodeSelector: {disk: ssd}`, bare, false, "node has no disk label", "spec.nodeSelector.disk"},
		{"nodeSelector empty value needs the label", `nodeSelector: {gpu: ""}`, bare, false, "nodeSelector gpu=", "spec.nodeSelector.gpu"},
		{"In match", affinity(`{key: disk, operator: In, values: [hdd, ssd]}`), ssd, true, "term 0 (disk In [hdd,ssd]) matches", "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"},
		{"In no match", affinity(`{key: disk, operator: In, values: [hdd]}`), ssd, false, "matchExpressions[0] disk In [hdd] fails", ""},
		{"In absent label", affinity(`{key: disk, operator: In, values: [ssd]}`), bare, false, "no disk label", ""},
		{"NotIn other value", affinity(`{key: disk, operator: NotIn, values: [hdd]}`), ssd, true, "matches", ""},
		{"NotIn same value", affinity(`{key: disk, operator: NotIn, values: [ssd]}`), ssd, false, "disk NotIn [ssd] fails", ""},
		{"NotIn absent label matches", affinity(`{key: disk, operator: NotIn, values: [ssd]}`), bare, true, "matches", ""},
		{"Exists present", affinity(`{key: disk, operator: Exists}`), ssd, true, "disk Exists", ""},
		{"Exists absent", affinity(`{key: disk, operator: Exists}`), bare, false, "disk Exists fails", ""},
		{"DoesNotExist absent", affinity(`{key: gpu, operator: DoesNotExist}`), ssd, true, "gpu DoesNotExist", ""},
		{"DoesNotExist present", affinity(`{key: disk, operator: DoesNotExist}`), ssd, false, "disk DoesNotExist fails", ""},
		{"Gt above", affinity(`{key: cores, operator: Gt, values: ["4"]}`), ssd, true, "cores Gt 4", ""},
		{"Gt equal", affinity(`{key: cores, operator: Gt, values: ["8"]}`), ssd, false, "cores Gt 8 fails", ""},
		{"Gt on a non-integer label", affinity(`{key: disk, operator: Gt, values: ["1"]}`), ssd, false, "disk Gt 1 fails", ""},
		{"Gt absent label", affinity(`{key: cores, operator: Gt, values: ["1"]}`), bare, false, "fails", ""},
		{"Lt below", affinity(`{key: cores, operator: Lt, values: ["16"]}`), ssd, true, "cores Lt 16", ""},
		{"Lt equal", affinity(`{key: cores, operator: Lt, values: ["8"]}`), ssd, false, "cores Lt 8 fails", ""},
		{"Gt with two values does not parse", affinity(`{key: cores, operator: Gt, values: ["1", "2"]}`), ssd, false, "does not parse", ""},
		{"In with no values does not parse", affinity(`{key: disk, operator: In, values: []}`), ssd, false, "does not parse", ""},
		{"unknown operator does not parse", affinity(`{key: disk, operator: Like, values: [ssd]}`), ssd, false, "does not parse", ""},
		{"expressions are ANDed", affinity(`{key: disk, operator: In, values: [ssd]}, {key: zone, operator: In, values: [b]}`), ssd, false, "matchExpressions[1] zone In [b] fails", ""},
		{"terms are ORed", `affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [
			{matchExpressions: [{key: zone, operator: In, values: [b]}]},
			{matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}`, ssd, true, "term 1 (zone In [a]) matches", "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[1]"},
		{"a broken term does not stop another", `affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [
			{matchExpressions: [{key: zone, operator: Gt, values: [a]}]},
			{matchExpressions: [{key: zone, operator: Exists}]}]}}}`, ssd, true, "term 1", ""},
		{"nodeSelector and affinity are ANDed", `nodeSelector: {disk: hdd}
` + affinity(`{key: zone, operator: In, values: [a]}`), ssd, false, "nodeSelector disk=hdd", ""},
		{"no terms match nothing", `affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}`, ssd, false, "has no terms", ""},
		{"an empty term matches nothing", `affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{}]}}}`, ssd, false, "empty term matches no node", ""},
		{"matchFields name In", `affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [n1]}]}]}}}`, ssd, true, "field metadata.name In [n1]", ""},
		{"matchFields name NotIn", `affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: NotIn, values: [n1]}]}]}}}`, ssd, false, `matchFields[0] metadata.name NotIn [n1] fails (node is "n1")`, ""},
		{"matchFields Exists does not parse", `affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: Exists}]}]}}}`, ssd, false, "does not parse", ""},
		{"preferred affinity never excludes", `affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, preference: {matchExpressions: [{key: disk, operator: In, values: [hdd]}]}}]}}`, ssd, true, "no node selector", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, n := spec(t, tc.spec), node(t, tc.node)
			d := s.OnNode(n)
			if d.Fits != tc.fits {
				t.Fatalf("fits = %v, want %v (%s)", d.Fits, tc.fits, d.Reason)
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("reason %q does not contain %q", d.Reason, tc.reason)
			}
			if tc.path != "" && string(d.Path) != tc.path {
				t.Errorf("path %q, want %q", d.Path, tc.path)
			}
		})
	}
}

// TestTaintTruthTable: every taint effect and toleration form.
func TestTaintTruthTable(t *testing.T) {
	tests := []struct {
		name, taint, tolerations string
		fits                     bool
		toleration               int
	}{
		{"NoSchedule untolerated", `{key: pool, value: secret, effect: NoSchedule}`, `[]`, false, -1},
		{"NoExecute untolerated", `{key: pool, value: secret, effect: NoExecute}`, `[]`, false, -1},
		{"PreferNoSchedule does not repel", `{key: pool, value: secret, effect: PreferNoSchedule}`, `[]`, true, -1},
		{"Equal with value", `{key: pool, value: secret, effect: NoSchedule}`, `[{key: pool, operator: Equal, value: secret, effect: NoSchedule}]`, true, 0},
		{"empty operator means Equal", `{key: pool, value: secret, effect: NoSchedule}`, `[{key: pool, value: secret, effect: NoSchedule}]`, true, 0},
		{"Equal other value", `{key: pool, value: secret, effect: NoSchedule}`, `[{key: pool, operator: Equal, value: public, effect: NoSchedule}]`, false, -1},
		{"Equal empty value against a valued taint", `{key: pool, value: secret, effect: NoSchedule}`, `[{key: pool, effect: NoSchedule}]`, false, -1},
		{"Exists any value", `{key: pool, value: secret, effect: NoSchedule}`, `[{key: pool, operator: Exists, effect: NoSchedule}]`, true, 0},
		{"other effect", `{key: pool, value: secret, effect: NoExecute}`, `[{key: pool, operator: Exists, effect: NoSchedule}]`, false, -1},
		{"empty effect is any effect", `{key: pool, value: secret, effect: NoExecute}`, `[{key: pool, operator: Exists}]`, true, 0},
		{"empty key with Exists is every taint", `{key: pool, value: secret, effect: NoSchedule}`, `[{operator: Exists}]`, true, 0},
		{"empty key with Exists and an effect", `{key: pool, value: secret, effect: NoSchedule}`, `[{operator: Exists, effect: NoExecute}, {operator: Exists, effect: NoSchedule}]`, true, 1},
		{"other key", `{key: pool, value: secret, effect: NoSchedule}`, `[{key: zone, operator: Exists}]`, false, -1},
		{"Gt numeric", `{key: level, value: "5", effect: NoSchedule}`, `[{key: level, operator: Gt, value: "3", effect: NoSchedule}]`, true, 0},
		{"Lt numeric", `{key: level, value: "5", effect: NoSchedule}`, `[{key: level, operator: Lt, value: "3", effect: NoSchedule}]`, false, -1},
		{"Gt on a non-numeric taint", `{key: level, value: high, effect: NoSchedule}`, `[{key: level, operator: Gt, value: "3"}]`, false, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := spec(t, "tolerations: "+tc.tolerations)
			n := node(t, `{metadata: {name: n}, spec: {taints: [`+tc.taint+`]}}`)
			d := s.OnNode(n)
			if d.Fits != tc.fits {
				t.Fatalf("fits = %v, want %v (%s)", d.Fits, tc.fits, d.Reason)
			}
			if d.Toleration != tc.toleration {
				t.Errorf("toleration %d, want %d (%s)", d.Toleration, tc.toleration, d.Reason)
			}
			if !tc.fits && !strings.Contains(d.Reason, "is not tolerated") {
				t.Errorf("reason %q does not name the taint", d.Reason)
			}
		})
	}
}
