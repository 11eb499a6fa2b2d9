package placement

import (
	"fmt"
	"github.com/rampart-dev/rampart/internal/checktest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
)

func TestRegistryIsValid(t *testing.T) {
	if err := audit.Validate(Checks()); err != nil {
		t.Fatal(err)
	}
	for _, c := range Checks() {
		if c.Section != "4.3.4" || !strings.HasPrefix(c.ID, "placement-") {
			t.Errorf("%s: section %s; every placement check belongs to 4.3.4 and is named placement-*", c.ID, c.Section)
		}
	}
}

func TestEveryCheckHasATest(t *testing.T) {
	ids := make([]string, 0, len(Checks()))
	for _, c := range Checks() {
		ids = append(ids, c.ID)
	}
	checktest.RequireTests(t, ids, `runCases(t, %q`)
}

// placementCase is one row of a check's table test.
type placementCase struct {
	name     string
	manifest string
	// sensitivity defaults to testSensitivity(); set off for none.
	sensitivity *policy.Sensitivity
	off         bool
	// want lists "ref path severity" for every finding, in finding.Sort order.
	want []string
	// contains are substrings the messages must hold.
	contains []string
}

func testInventory(t *testing.T, manifest string) *inventory.Inventory {
	t.Helper()
	objs, notes := inventory.ParseBytes("test.yaml", []byte(strings.TrimLeft(manifest, "\n")), inventory.Limits{})
	for _, n := range notes {
		t.Fatalf("fixture does not parse: %+v", n)
	}
	return &inventory.Inventory{Objects: objs, Cluster: &inventory.ClusterInfo{Version: "v1.37.2", CollectedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
}

func runCases(t *testing.T, id string, cases []placementCase) {
	t.Helper()
	c := audit.Lookup(Checks(), id)
	if c == nil {
		t.Fatalf("no check %q", id)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &audit.Config{Sensitivity: testSensitivity()}
			if tc.sensitivity != nil {
				cfg.Sensitivity = *tc.sensitivity
			}
			if tc.off {
				cfg.Sensitivity = policy.Sensitivity{}
			}
			res := audit.RunChecks(testInventory(t, tc.manifest), cfg, []*audit.Check{c})
			var got, msgs []string
			for _, f := range res.Findings {
				if f.Message == "" || f.Severity > c.Severity || f.Object.Kind == "" || f.Object.Name == "" {
					t.Errorf("bad finding: %+v", f)
				}
				got = append(got, fmt.Sprintf("%s %s %s", f.Object, f.Place.Path, f.Severity))
				msgs = append(msgs, f.Message)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s findings:\n got  %q\n want %q\nmessages:\n%s", id, got, tc.want, strings.Join(msgs, "\n"))
			}
			all := strings.Join(msgs, "\n")
			for _, s := range tc.contains {
				if !strings.Contains(all, s) {
					t.Errorf("messages do not contain %q:\n%s", s, all)
				}
			}
		})
	}
}

// deploy renders a Deployment with a level label (none when level is "")
// and pod spec lines (indented under the template's spec).
func deploy(ns, name, level string, specLines ...string) string {
	lbl := ""
	if level != "" {
		lbl = fmt.Sprintf("\n  labels: {rampart.dev/sensitivity: %s}", level)
	}
	body := strings.Join(specLines, "\n      ")
	if body != "" {
		body = "\n      " + body
	}
	return fmt.Sprintf(`---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: %s%s
spec:
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
      containers: [{name: c, image: nginx}]%s
`, name, ns, lbl, name, name, body)
}

const restrictedPin = "nodeSelector: {pool: restricted, tier: secure}"
const restrictedTol = `tolerations: [{key: restricted, operator: Equal, value: "true", effect: NoExecute}]`

func TestLevelMissing(t *testing.T) {
	runCases(t, "placement-level-missing", []placementCase{
		{name: "no label anywhere", manifest: deploy("shop", "web", ""), want: []string{"shop/Deployment/web metadata.labels medium"},
			contains: []string{`Deployment "web" has no sensitivity level: neither it nor namespace "shop" has the label rampart.dev/sensitivity (levels: shared < public < internal < restricted)`}},
		{name: "labelled workload", manifest: deploy("shop", "web", "public")},
		{name: "level on the pod template", manifest: `
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: shop}
spec:
  template:
    metadata: {labels: {rampart.dev/sensitivity: internal}}
    spec: {containers: [{name: c, image: busybox}], restartPolicy: Never}
`},
		{name: "labelled namespace", manifest: `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {rampart.dev/sensitivity: public}}
` + deploy("shop", "web", "")},
		{name: "system namespace", manifest: deploy("kube-system", "dns", "")},
		{name: "a controller-owned pod is judged through its owner", manifest: deploy("shop", "web", "") + `---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true}]
spec: {containers: [{name: c, image: nginx}]}
`, want: []string{"shop/Deployment/web metadata.labels medium"}},
		{name: "no levels declared", off: true, manifest: deploy("shop", "web", "")},
	})
}

func TestLevelUnknown(t *testing.T) {
	wins := testSensitivity()
	wins.NamespaceWins = true
	ns := `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {rampart.dev/sensitivity: secret}}
`
	runCases(t, "placement-level-unknown", []placementCase{
		{name: "typo on the workload", manifest: deploy("shop", "web", "restriced"),
			want:     []string{`shop/Deployment/web metadata.labels["rampart.dev/sensitivity"] medium`},
			contains: []string{"has rampart.dev/sensitivity=restriced, which is not a declared level"}},
		{name: "on the pod template", manifest: `
apiVersion: v1
kind: ReplicationController
metadata: {name: old, namespace: shop}
spec:
  template:
    metadata: {labels: {rampart.dev/sensitivity: top}}
    spec: {containers: [{name: c, image: nginx}]}
`, want: []string{`shop/ReplicationController/old spec.template.metadata.labels["rampart.dev/sensitivity"] medium`}},
		{name: "namespace label decides, reported once", manifest: ns + deploy("shop", "a", "") + deploy("shop", "b", ""),
			want:     []string{`Namespace/shop metadata.labels["rampart.dev/sensitivity"] medium`},
			contains: []string{`namespace "shop" has rampart.dev/sensitivity=secret`}},
		{name: "the workload's own label wins by default", manifest: ns + deploy("shop", "a", "public")},
		{name: "namespaceWins: the namespace's label decides", sensitivity: &wins, manifest: ns + deploy("shop", "a", "public"),
			want: []string{`Namespace/shop metadata.labels["rampart.dev/sensitivity"] medium`}},
		{name: "declared level", manifest: deploy("shop", "web", "restricted")},
	})
}

func TestNamespaceMixedLevels(t *testing.T) {
	runCases(t, "placement-namespace-mixed-levels", []placementCase{
		{name: "two levels", manifest: `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
` + deploy("shop", "web", "public") + deploy("shop", "db", "restricted") + deploy("shop", "api", "public"),
			want:     []string{"Namespace/shop metadata medium"},
			contains: []string{`namespace "shop" holds workloads of 2 sensitivity levels: public (Deployment/api, Deployment/web), restricted (Deployment/db)`}},
		{name: "namespace not in the manifests", manifest: deploy("shop", "web", "public") + deploy("shop", "db", "internal"),
			want: []string{"Namespace/shop  medium"}},
		{name: "one level per namespace", manifest: deploy("shop", "web", "public") + deploy("vault", "db", "restricted")},
		{name: "workloads without a level do not count", manifest: deploy("shop", "web", "public") + deploy("shop", "db", "")},
	})
}

func TestOutsidePool(t *testing.T) {
	tmpl := "spec.template.spec"
	runCases(t, "placement-outside-pool", []placementCase{
		{name: "pinned to its pool", manifest: deploy("vault", "db", "restricted", restrictedPin, restrictedTol)},
		{name: "no selector at all", manifest: deploy("vault", "db", "restricted", restrictedTol),
			want: []string{"vault/Deployment/db " + tmpl + " high"},
			contains: []string{`Deployment "db" (level restricted) can be scheduled outside its pool (pool=restricted,tier=secure): on unpooled nodes (no pool's labels, no taint): nothing in the pod spec selects nodes`,
				`on nodes of pool "internal" (pool=internal, taint pool=internal:PreferNoSchedule)`}},
		{name: "half a pool selector", manifest: deploy("vault", "db", "restricted", "nodeSelector: {pool: restricted}", restrictedTol),
			want:     []string{"vault/Deployment/db " + tmpl + ".nodeSelector high"},
			contains: []string{"nodeSelector pool=restricted admits them"}},
		{name: "a wildcard toleration reaches the public pool", manifest: deploy("shop", "web", "internal", "nodeSelector: {disk: ssd}", "tolerations: [{operator: Exists}]"),
			want:     []string{"shop/Deployment/web " + tmpl + ".nodeSelector high"},
			contains: []string{`on nodes of pool "public"`, "tolerations[0] (<any key> Exists, <any effect>) tolerates taint pool=public:NoSchedule", `on nodes of pool "restricted"`}},
		{name: "the second affinity term admits other nodes", manifest: deploy("shop", "web", "public",
			"tolerations: [{key: pool, value: public, effect: NoSchedule}]",
			"affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [public]}]}, {matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}"),
			want:     []string{"shop/Deployment/web " + tmpl + ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[1] high"},
			contains: []string{"required node affinity term 1 (zone In [a]) admits them"}},
		{name: "a shared level on an untainted pool", manifest: deploy("shop", "tools", "shared"),
			want: []string{"shop/Deployment/tools " + tmpl + " high"}, contains: []string{"outside the unpooled nodes of its shared level", `pool "internal"`}},
		{name: "a shared level kept off every pool", manifest: deploy("shop", "tools", "shared", "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: DoesNotExist}]}]}}}")},
		{name: "a bare Pod", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop, labels: {rampart.dev/sensitivity: public}}
spec: {containers: [{name: c, image: nginx}], nodeSelector: {zone: a}, tolerations: [{key: pool, value: public, effect: NoSchedule}]}
`, want: []string{"shop/Pod/p spec.nodeSelector high"}},
		{name: "a CronJob pinned", manifest: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop, labels: {rampart.dev/sensitivity: public}}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: c, image: busybox}]
          nodeSelector: {pool: public}
          tolerations: [{key: pool, value: public, effect: NoSchedule}]
`},
		{name: "no level: another check's business", manifest: deploy("shop", "web", "")},
		{name: "levels off", off: true, manifest: deploy("shop", "web", "public")},
	})
}

func TestPoolUnreachable(t *testing.T) {
	runCases(t, "placement-pool-unreachable", []placementCase{
		{name: "does not tolerate its pool's taint", manifest: deploy("vault", "db", "restricted", restrictedPin),
			want:     []string{"vault/Deployment/db spec.template.spec.tolerations medium"},
			contains: []string{"taint restricted=true:NoExecute is not tolerated"}},
		{name: "selects another pool", manifest: deploy("vault", "db", "restricted", "nodeSelector: {pool: public}", restrictedTol),
			want:     []string{"vault/Deployment/db spec.template.spec.nodeSelector medium"},
			contains: []string{"nodeSelector pool=public excludes the label pool=restricted"}},
		{name: "reaches its pool", manifest: deploy("vault", "db", "restricted", restrictedPin, restrictedTol)},
		{name: "a shared level has no pool", manifest: deploy("shop", "tools", "shared", "nodeSelector: {pool: public}")},
	})
}

func TestToleratesHigherPool(t *testing.T) {
	runCases(t, "placement-tolerates-higher-pool", []placementCase{
		{name: "wildcard toleration, nothing else keeps it off", manifest: deploy("shop", "web", "public", "tolerations: [{key: pool, value: public, effect: NoSchedule}, {operator: Exists}]"),
			want:     []string{"shop/Deployment/web spec.template.spec.tolerations[1] high"},
			contains: []string{"tolerations[1] (<any key> Exists, <any effect>), which tolerates taint restricted=true:NoExecute of pool \"restricted\"", "nothing in its node selection keeps it off"}},
		{name: "tolerated but selected away", manifest: deploy("shop", "web", "public", "nodeSelector: {pool: public}", "tolerations: [{key: restricted, operator: Exists}]"),
			want:     []string{"shop/Deployment/web spec.template.spec.tolerations[0] medium"},
			contains: []string{"its node selection keeps it off those nodes for now"}},
		{name: "own and lower pools only", manifest: deploy("vault", "db", "restricted", restrictedPin, restrictedTol, "") +
			deploy("shop", "web", "internal", "tolerations: [{key: pool, operator: Exists}]")},
		{name: "PreferNoSchedule taints repel nothing", manifest: deploy("shop", "web", "public", "tolerations: [{key: pool, operator: Exists}]")},
	})
}
