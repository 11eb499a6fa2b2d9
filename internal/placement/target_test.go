package placement

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/policy"
)

// testSensitivity: public (tainted pool), internal (pool with a taint
// that only discourages), restricted (two labels, NoExecute taint), and a
// shared level.
func testSensitivity() policy.Sensitivity {
	return policy.Sensitivity{
		LabelKey: "rampart.dev/sensitivity",
		Levels: []policy.Level{
			{Name: "shared", Shared: true},
			{Name: "public", NodePool: &policy.NodePool{NodeSelector: map[string]string{"pool": "public"}, Taint: &policy.Taint{Key: "pool", Value: "public", Effect: "NoSchedule"}}},
			{Name: "internal", NodePool: &policy.NodePool{NodeSelector: map[string]string{"pool": "internal"}, Taint: &policy.Taint{Key: "pool", Value: "internal", Effect: "PreferNoSchedule"}}},
			{Name: "restricted", NodePool: &policy.NodePool{NodeSelector: map[string]string{"pool": "restricted", "tier": "secure"}, Taint: &policy.Taint{Key: "restricted", Value: "true", Effect: "NoExecute"}}},
		},
	}
}

// TestOnTarget: can a pod reach a kind of node, and what decides it.
func TestOnTarget(t *testing.T) {
	s := testSensitivity()
	pools := Pools(&s)
	public, internal, restricted := &pools[0], &pools[1], &pools[2]
	tolRestricted := `tolerations: [{key: restricted, operator: Equal, value: "true", effect: NoExecute}]`
	tests := []struct {
		name, spec string
		target     Target
		fits       bool
		reason     string
		path       string
	}{
		{"bare pod on unpooled", ``, UnpooledTarget(pools), true, "nothing in the pod spec selects nodes", ""},
		{"bare pod on an untainted pool", ``, PoolTarget(internal), true, "nothing in the pod spec selects nodes", ""},
		{"bare pod on a tainted pool", ``, PoolTarget(public), false, "taint pool=public:NoSchedule is not tolerated", "spec.tolerations"},
		{"pinned pod on its pool", "nodeSelector: {pool: restricted, tier: secure}\n" + tolRestricted, PoolTarget(restricted), true, "nodeSelector pool=restricted,tier=secure admits them; tolerations[0]", "spec.nodeSelector"},
		{"pinned pod off unpooled", "nodeSelector: {pool: restricted, tier: secure}\n" + tolRestricted, UnpooledTarget(pools), false, "every node it admits carries pool=restricted,tier=secure", "spec.nodeSelector"},
		{"half-pinned pod reaches unpooled nodes", "nodeSelector: {pool: restricted}\n" + tolRestricted, UnpooledTarget(pools), true, "nodeSelector pool=restricted admits them", "spec.nodeSelector"},
		{"half-pinned pod reaches another pool outside its own", "nodeSelector: {tier: secure}", Target{Pool: internal, Avoid: []Pool{*restricted}}, true, "nodeSelector tier=secure admits them", ""},
		{"selector excludes the pool", "nodeSelector: {pool: public}", PoolTarget(internal), false, "nodeSelector pool=public excludes the label pool=internal", "spec.nodeSelector"},
		{"NotIn leaves unpooled nodes", affinity(`{key: pool, operator: NotIn, values: [public, internal]}`), UnpooledTarget(pools), true, "term 0 (pool NotIn [public,internal]) admits them", "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"},
		{"Exists plus NotIn: a pool label value no pool uses", affinity(`{key: pool, operator: Exists}, {key: pool, operator: NotIn, values: [public, internal, restricted]}`), UnpooledTarget(pools), true, "term 0", ""},
		{"In pool values only: no unpooled node", affinity(`{key: pool, operator: In, values: [public, internal]}`), UnpooledTarget(pools), false, "term 0: every node it admits carries", ""},
		{"DoesNotExist excludes every pool", affinity(`{key: pool, operator: DoesNotExist}`), PoolTarget(internal), false, "pool DoesNotExist excludes the label pool=internal", ""},
		{"second term reaches the pool", `affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [
			{matchExpressions: [{key: pool, operator: In, values: [public]}]},
			{matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}`, PoolTarget(internal), true, "term 1 (zone In [a]) admits them", "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[1]"},
		{"Gt and Lt leave a gap", affinity(`{key: cores, operator: Gt, values: ["4"]}, {key: cores, operator: Lt, values: ["6"]}`), UnpooledTarget(pools), true, "admits", ""},
		{"Gt and Lt leave no gap", affinity(`{key: cores, operator: Gt, values: ["4"]}, {key: cores, operator: Lt, values: ["5"]}`), UnpooledTarget(pools), false, "the requirements on cores contradict each other", ""},
		{"name pinned: the name decides nothing about pools", `affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [n1]}]}]}}}`, PoolTarget(internal), true, "field metadata.name In [n1]", ""},
		{"wildcard toleration passes every taint", `tolerations: [{operator: Exists}]`, PoolTarget(restricted), true, "tolerations[0] (<any key> Exists, <any effect>) tolerates taint restricted=true:NoExecute", ""},
		{"broken term", affinity(`{key: pool, operator: Gt, values: [x]}`), UnpooledTarget(pools), false, "does not parse", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp := spec(t, tc.spec)
			d, w := sp.OnTarget(tc.target)
			if d.Fits != tc.fits {
				t.Fatalf("fits = %v, want %v (%s)", d.Fits, tc.fits, d.Reason)
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("reason %q does not contain %q", d.Reason, tc.reason)
			}
			if tc.path != "" && string(d.Path) != tc.path {
				t.Errorf("path %q, want %q", d.Path, tc.path)
			}
			if d.Fits != (w != nil) {
				t.Fatalf("witness %v with fits %v", w, d.Fits)
			}
			if w != nil {
				if !inRegion(w.Labels, tc.target) {
					t.Errorf("witness %v is not a node of %s", w.Labels, tc.target.Name())
				}
				if !sp.Schedulable(w) {
					t.Errorf("the scheduler's helpers reject the witness %+v", w)
				}
			}
		})
	}
}

// inRegion reports whether labels describe a node of the target.
func inRegion(ls map[string]string, t Target) bool {
	if t.Pool != nil && !t.Pool.Contains(ls) {
		return false
	}
	for _, a := range t.Avoid {
		if a.Contains(ls) {
			return false
		}
	}
	return true
}
