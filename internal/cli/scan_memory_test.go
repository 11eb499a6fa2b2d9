package cli

import (
	"bytes"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/corpus"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
	"github.com/rampart-dev/rampart/internal/report"
	"github.com/rampart-dev/rampart/internal/workload"
)

// TestScanKeepsNoInventory: once Scan returns, nothing holds the
// inventory or its objects, so a report is written with the objects'
// memory free. The examples run every analyzer (RBAC, NetworkPolicy,
// placement, secrets); an analyzer that caches the last inventory in a
// package variable fails this.
func TestScanKeepsNoInventory(t *testing.T) {
	pol, err := policy.Load("../../examples/rampart.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	freed := make(chan string, 2)
	func() {
		inv := inventory.LoadFiles([]string{"../../examples"}, inventory.LoadOptions{})
		if len(inv.Objects) < 20 {
			t.Fatalf("loaded %d objects from the examples", len(inv.Objects))
		}
		runtime.AddCleanup(inv, func(s string) { freed <- s }, "inventory")
		runtime.AddCleanup(inv.Objects[len(inv.Objects)/2], func(s string) { freed <- s }, "an object")
		if rep := Scan(inv, pol); len(rep.Findings) == 0 {
			t.Fatal("the examples found nothing")
		}
	}()
	got := map[string]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		runtime.GC()
		select {
		case s := <-freed:
			got[s] = true
		case <-time.After(20 * time.Millisecond):
		}
	}
	for _, s := range []string{"inventory", "an object"} {
		if !got[s] {
			t.Errorf("%s is still held after Scan returned", s)
		}
	}
}

// TestScanFilesMatchesScan: the scan command checks each file as it is
// read and keeps slimmed objects for the cluster checks; its report must be
// the one Scan makes of the whole inventory, in every format. The cases
// run every analyzer: RBAC, NetworkPolicy reach with named ports and
// sensitivity levels, placement, secrets, and the generated corpus.
func TestScanFilesMatchesScan(t *testing.T) {
	corpusDir := t.TempDir()
	if _, err := corpus.Write(corpusDir, 40, 400); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, policy string
		paths        []string
	}{
		{"examples", "../../examples/rampart.yaml", []string{"../../examples"}},
		{"examples, default policy", "", []string{"../../examples"}},
		{"netpol", "../../examples/netpol/rampart.yaml", []string{"../../examples/netpol"}},
		{"placement", "../../examples/placement/rampart.yaml", []string{"../../examples/placement"}},
		{"corpus and examples", "../../examples/rampart.yaml", []string{corpusDir, "../../examples/insecure", "../../examples/netpol"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pol := policy.Default()
			if tc.policy != "" {
				var err error
				if pol, err = policy.Load(tc.policy, nil); err != nil {
					t.Fatal(err)
				}
			}
			want := Scan(inventory.LoadFiles(tc.paths, inventory.LoadOptions{}), pol)
			got := scanFiles(tc.paths, inventory.LoadOptions{}, pol)
			if len(want.Findings) == 0 {
				t.Fatal("the case finds nothing; the comparison would prove nothing")
			}
			for _, format := range []string{"json", "text", "sarif"} {
				var w, g bytes.Buffer
				opts := report.Options{BaseDir: "../.."}
				if err := report.Render(&w, format, want, opts); err != nil {
					t.Fatal(err)
				}
				if err := report.Render(&g, format, got, opts); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(w.Bytes(), g.Bytes()) {
					t.Errorf("%s report differs from Scan's:\n%s", format, firstDifference(w.String(), g.String()))
				}
			}
		})
	}
}

// firstDifference shows the first line where two reports differ.
func firstDifference(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(wl), len(gl)) {
		if wl[i] != gl[i] {
			return fmt.Sprintf("line %d\nScan:      %s\nscanFiles: %s", i+1, wl[i], gl[i])
		}
	}
	return fmt.Sprintf("Scan has %d lines, scanFiles %d", len(wl), len(gl))
}

// TestCompactFindingsRoundTrip: every workload finding of the examples and
// of the corpus fits the compact form, and comes back from it exactly.
func TestCompactFindingsRoundTrip(t *testing.T) {
	corpusDir := t.TempDir()
	if _, err := corpus.Write(corpusDir, 10, 100); err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Load("../../examples/rampart.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := newCheckTable()
	inv := inventory.LoadFiles([]string{"../../examples", corpusDir}, inventory.LoadOptions{})
	fs := workload.Run(inv.Objects, pol)
	if len(fs) < 500 || !slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.Exempted }) ||
		!slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.Place.Via != "" }) {
		t.Fatalf("%d findings, without exempted or rendered ones: the round trip would prove little", len(fs))
	}
	in := &inputScan{}
	if !checks.compact(in, fs, map[string]string{}) {
		t.Fatal("the findings do not fit the compact form")
	}
	back := make([]finding.Finding, in.count())
	checks.expand(back, in)
	for i := range fs {
		if !reflect.DeepEqual(back[i], fs[i]) || !sameStrings(back[i].Controls, fs[i].Controls) {
			t.Fatalf("finding %d comes back as\n%+v\nwas\n%+v", i, back[i], fs[i])
		}
	}
	odd := slices.Clone(fs[:1])
	odd[0].Title += " (changed)"
	if checks.compact(&inputScan{}, odd, map[string]string{}) {
		t.Error("a finding whose title is not its check's was compacted")
	}
}
