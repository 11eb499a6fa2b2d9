package finding

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomFindings makes findings with few distinct values per field, so
// that many compare equal on several keys and ties are common.
func randomFindings(r *rand.Rand, n int) []Finding {
	pick := func(vals ...string) string { return vals[r.IntN(len(vals))] }
	fs := make([]Finding, n)
	for i := range fs {
		fs[i] = Finding{
			Check:     pick("a", "b", "c"),
			Object:    ObjectRef{Kind: pick("Pod", "Deployment"), Namespace: pick("", "x"), Name: pick("n1", "n2")},
			Place:     Place{File: pick("f1.yaml", "f2.yaml", ""), Line: r.IntN(4)},
			Container: pick("", "app"),
			Message:   pick("m1", "m2"),
			// Not compared: tells equal findings apart, to check stability.
			Remediation: fmt.Sprint(i),
		}
	}
	return fs
}

func TestSortMatchesStableSort(t *testing.T) {
	seed := rand.Uint64()
	r := rand.New(rand.NewPCG(seed, 1))
	for _, n := range []int{0, 1, 5, 7, 8, 9, 63, 64, 65, 500, 3000} {
		fs := randomFindings(r, n)
		want := slices.Clone(fs)
		slices.SortStableFunc(want, Compare)
		Sort(fs)
		if !slices.EqualFunc(fs, want, func(a, b Finding) bool { return a.Remediation == b.Remediation }) {
			t.Fatalf("seed %d, n %d: Sort differs from a stable sort", seed, n)
		}
	}
}

func TestMergeMatchesAppendAndSort(t *testing.T) {
	seed := rand.Uint64()
	r := rand.New(rand.NewPCG(seed, 2))
	for _, sizes := range [][2]int{{0, 0}, {0, 7}, {7, 0}, {100, 3}, {3, 100}, {500, 500}} {
		a, b := randomFindings(r, sizes[0]), randomFindings(r, sizes[1])
		for i := range b {
			b[i].Remediation = "b" + b[i].Remediation
		}
		Sort(a)
		Sort(b)
		want := append(slices.Clone(a), b...)
		slices.SortStableFunc(want, Compare)
		got := Merge(a, b)
		if !slices.EqualFunc(got, want, func(x, y Finding) bool { return x.Remediation == y.Remediation }) {
			t.Fatalf("seed %d, sizes %v: Merge differs from append and stable sort", seed, sizes)
		}
		for _, spare := range []int{0, len(b) - 1, len(b), len(b) + 5} {
			dst := append(make([]Finding, 0, len(a)+max(spare, 0)), a...)
			got := MergeInto(dst, b)
			if !slices.EqualFunc(got, want, func(x, y Finding) bool { return x.Remediation == y.Remediation }) {
				t.Fatalf("seed %d, sizes %v, spare %d: MergeInto differs from append and stable sort", seed, sizes, spare)
			}
		}
	}
}
