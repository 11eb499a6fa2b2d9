package workload

import (
	"github.com/rampart-dev/rampart/internal/checktest"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/inventory"
)

func TestRegistryIsValid(t *testing.T) {
	if err := Validate(Checks()); err != nil {
		t.Fatal(err)
	}
}

func TestValidateRejectsBadMetadata(t *testing.T) {
	good := *Lookup("privileged-container")
	tests := map[string]func(c *Check){
		"bad id":            func(c *Check) { c.ID = "Bad_ID" },
		"no title":          func(c *Check) { c.Title = "" },
		"no full stop":      func(c *Check) { c.Remediation = "fix it" },
		"no controls":       func(c *Check) { c.Controls = nil },
		"malformed control": func(c *Check) { c.Controls = []string{"NIST:1"} },
		"no run":            func(c *Check) { c.Run = nil },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			c := good
			mutate(&c)
			if err := Validate([]*Check{&c}); err == nil {
				t.Fatal("Validate accepted a bad check")
			}
		})
	}
	dup := good
	if err := Validate([]*Check{&good, &dup}); err == nil {
		t.Fatal("Validate accepted a duplicate ID")
	}
}

// TestEveryCheckHasATest: every check must have a table test that names it.

func TestEveryCheckHasATest(t *testing.T) {
	ids := make([]string, 0, len(Checks()))
	for _, c := range Checks() {
		ids = append(ids, c.ID)
	}
	checktest.RequireTests(t, ids, `%q`)
}

// checkCase is one row of a check's table test: a manifest and the field
// paths (with containers) at which the check must fire, in order.
type checkCase struct {
	name     string
	manifest string
	config   *Config
	// want lists "path" or "path@container" for every expected result.
	want []string
}

// runCheckCases runs one check over a table of manifests.
func runCheckCases(t *testing.T, id string, cases []checkCase) {
	t.Helper()
	c := Lookup(id)
	if c == nil {
		t.Fatalf("no check %q", id)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs, notes := inventory.ParseBytes("test.yaml", []byte(strings.TrimLeft(tc.manifest, "\n")), inventory.Limits{})
			for _, n := range notes {
				t.Fatalf("fixture does not parse: %+v", n)
			}
			cfg := tc.config
			if cfg == nil {
				cfg = &Config{}
			}
			var got []string
			for _, o := range objs {
				for _, r := range c.Run(&Target{Object: o, Pod: inventory.PodOf(o), Config: cfg}) {
					if r.Message == "" {
						t.Errorf("result at %s has no message", r.Path)
					}
					s := string(r.Path)
					if r.Container != "" {
						s += "@" + r.Container
					}
					got = append(got, s)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("%s results:\n got  %q\n want %q", id, got, tc.want)
			}
		})
	}
}

func TestPrivilegedContainer(t *testing.T) {
	runCheckCases(t, "privileged-container", []checkCase{
		{name: "privileged pod", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    securityContext: {privileged: true}
  - name: b
    image: x
    securityContext: {privileged: false}
`, want: []string{"spec.containers[0].securityContext.privileged@a"}},
		{name: "init and ephemeral in a deployment", manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers:
      - {name: i, image: x, securityContext: {privileged: true}}
      containers:
      - {name: a, image: x}
      ephemeralContainers:
      - {name: e, image: x, securityContext: {privileged: true}}
`, want: []string{
			"spec.template.spec.initContainers[0].securityContext.privileged@i",
			"spec.template.spec.ephemeralContainers[0].securityContext.privileged@e",
		}},
		{name: "cronjob", manifest: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - {name: a, image: x, securityContext: {privileged: true}}
`, want: []string{"spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged@a"}},
		{name: "not a workload", manifest: `
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {privileged: "true"}
`},
	})
}
