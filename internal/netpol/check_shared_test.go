package netpol

import (
	"reflect"
	"testing"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
)

// TestChecksShareOneModel: the checks run in parallel on one shared model
// (run this with -race) and find exactly what each finds alone on a model
// of its own; a changed inventory gets a new model.
func TestChecksShareOneModel(t *testing.T) {
	inv := inventory.LoadFiles([]string{"../../examples/netpol"}, inventory.LoadOptions{})
	pol, err := policy.Load("../../examples/netpol/rampart.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &audit.Config{Sensitivity: pol.Sensitivity}
	var alone []string
	for _, c := range Checks() {
		checkModel.Lock()
		checkModel.m = nil // no sharing: each check builds its own
		checkModel.Unlock()
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
	first := sharedModel(inv)
	if sharedModel(inv) != first {
		t.Error("the model was built twice for one inventory")
	}
	inv.Objects = inv.Objects[:len(inv.Objects)-1]
	if sharedModel(inv) == first {
		t.Error("a changed inventory got the old model")
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
