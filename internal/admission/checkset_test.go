package admission

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
	"github.com/rampart-dev/rampart/internal/corpus"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
	"github.com/rampart-dev/rampart/internal/workload"
)

// The webhook runs the workload checks through its own checkSet; it must
// find what workload.Run finds, exemptions included, on every kind of
// workload the corpus generator makes, hardened or not.
func TestCheckSetAgreesWithWorkloadRun(t *testing.T) {
	dir := t.TempDir()
	if _, err := corpus.Write(dir, 20, 300); err != nil {
		t.Fatal(err)
	}
	inv := inventory.LoadFiles([]string{dir}, inventory.LoadOptions{})
	objs := inv.Objects
	objs = append(objs, &inventory.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "typical",
		Typed: admissiontest.TypicalDeployment("typical")})
	// Exemptions by annotation on the object and on its pod template; no
	// source position, as objects under review have none.
	for i, o := range objs {
		o.Source = inventory.Source{}
		switch i % 4 {
		case 1:
			o.Annotations = map[string]string{policy.IgnoreAnnotation: "image-latest-tag,run-as-non-root"}
		case 2:
			if p := inventory.PodOf(o); p != nil {
				p.Meta.Annotations = map[string]string{policy.IgnoreAnnotation: "memory-limits-missing/app, cpu-limits-missing"}
			}
		}
	}
	policies := map[string]*policy.Policy{
		"default": policy.Default(),
		"bench":   benchPolicy(t),
		"exemptions": mustPolicy(t, `checks: {enable: [image-not-pinned, privileged-port], disable: [host-network]}
trustedRegistries: [ghcr.io/acme/]
exemptions:
  - {namespaces: [team-3, team-4], reason: legacy}
  - {checks: [privileged-container, allow-privilege-escalation], labels: {team: t5}, reason: node agents}
webhook: {admission: {mode: warn, checks: {run-as-non-root: block}, overrides: [{namespaces: [team-7], mode: audit}]}}
`),
	}
	if len(objs) < 300 {
		t.Fatalf("corpus has %d objects", len(objs))
	}
	for name, pol := range policies {
		t.Run(name, func(t *testing.T) {
			cs := newCheckSet(pol)
			compared := 0
			for _, o := range objs {
				var want []string
				for _, f := range workload.Run([]*inventory.Object{o}, pol) {
					if !f.Exempted {
						want = append(want, fmt.Sprintf("%s %s %s %s", f.Check, f.Container, pol.Webhook.Admission.ModeFor(f.Check, o.Namespace), findingMessage(f)))
					}
				}
				var got []string
				for _, p := range cs.run(o) {
					got = append(got, fmt.Sprintf("%s %s %s %s", p.rule, p.container, p.mode, p.message))
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s: checkSet found\n%q\nworkload.Run\n%q", o.Ref(), got, want)
				}
				compared += len(want)
			}
			if compared == 0 {
				t.Fatal("no problem found in the whole corpus: the comparison proves nothing")
			}
		})
	}
}

// A reloaded policy gets a check set of its own.
func TestCheckSetFollowsThePolicy(t *testing.T) {
	p1 := mustPolicy(t, "")
	p2 := mustPolicy(t, "checks: {disable: [privileged-container]}")
	cur := p1
	v := NewWorkloads(func() *policy.Policy { return cur }, nil)
	obj := &inventory.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "root", Typed: deployment("root", privileged)}
	has := func() bool {
		return slices.ContainsFunc(v.checksFor(cur).run(obj), func(p problem) bool { return p.rule == "privileged-container" })
	}
	if !has() {
		t.Fatal("privileged-container not found under the first policy")
	}
	cur = p2
	if has() {
		t.Error("privileged-container still runs after the policy disabling it was loaded")
	}
}
