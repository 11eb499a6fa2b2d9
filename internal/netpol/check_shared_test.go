package netpol

import (
	"reflect"
	"testing"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
)

// TestChecksShareOneModel: the checks run in parallel on one shared model
// (run this with -race) and find exactly what each finds alone on a model
// of its own (a run of its own); a new run builds a new model.
func TestChecksShareOneModel(t *testing.T) {
	inv := inventory.LoadFiles([]string{"../../examples/netpol"}, inventory.LoadOptions{})
	pol, err := policy.Load("../../examples/netpol/rampart.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &audit.Config{Sensitivity: pol.Sensitivity}
	var alone []string
	for _, c := range Checks() {
		for _, f := range audit.RunChecks(inv, cfg, []*audit.Check{c}).Findings {
			alone = append(alone, f.Check+" "+f.Object.String()+" "+f.Message)
		}
	}
	if len(alone) == 0 {
		t.Fatal("the example finds nothing; the comparison would prove nothing")
	}
	var shared []string
	for _, f := range audit.RunChecks(inv, cfg, Checks()).Findings {
		shared = append(shared, f.Check+" "+f.Object.String()+" "+f.Message)
	}
	if len(shared) != len(alone) || !sameSet(shared, alone) {
		t.Fatalf("shared model found\n%v\nalone\n%v", shared, alone)
	}
	var models []*model
	share := &audit.Check{ID: "share-probe", Run: func(inv *inventory.Inventory, cfg *audit.Config) []finding.Finding {
		models = append(models, sharedModel(inv, cfg), sharedModel(inv, cfg))
		return nil
	}}
	audit.RunChecks(inv, cfg, []*audit.Check{share})
	audit.RunChecks(inv, cfg, []*audit.Check{share})
	if len(models) != 4 || models[0] != models[1] || models[2] != models[3] {
		t.Error("the model was built twice in one run")
	}
	if models[0] == models[2] {
		t.Error("a second run got the first run's model")
	}
}

func sameSet(a, b []string) bool {
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return reflect.DeepEqual(len(a), len(b))
}
