package workload

import (
	"runtime"
	"sync"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
)

// Run runs every check the policy enables on every object, in parallel
// across objects, and returns findings with policy severities and
// exemptions applied, sorted.
func Run(objs []*inventory.Object, pol *policy.Policy) []finding.Finding {
	r := NewRunner(pol)

	// Each worker appends to blocks of its own: growing one big slice
	// copies it over and over (Go grows large slices by a quarter), and a
	// slice per object cost more in growing than the findings themselves.
	workers := runtime.GOMAXPROCS(0)
	per := make([][][]finding.Finding, workers)
	var wg sync.WaitGroup
	chunk := (len(objs) + workers - 1) / workers
	for w, start := 0, 0; start < len(objs); w, start = w+1, start+chunk {
		end := min(start+chunk, len(objs))
		wg.Add(1)
		go func(w, start, end int) {
			defer wg.Done()
			const blockSize = 1024
			var blocks [][]finding.Finding
			// One object (the webhook's case) makes a few dozen findings.
			cur := make([]finding.Finding, 0, min(blockSize, 64*(end-start)))
			for i := start; i < end; i++ {
				cur = r.Append(cur, objs[i])
				if len(cur) >= blockSize-64 {
					blocks = append(blocks, cur)
					cur = make([]finding.Finding, 0, blockSize)
				}
			}
			per[w] = append(blocks, cur)
		}(w, start, end)
	}
	wg.Wait()
	n := 0
	for _, blocks := range per {
		for _, b := range blocks {
			n += len(b)
		}
	}
	// Spare room lets the caller merge the cluster checks' findings, which
	// are usually few, in place (finding.MergeInto).
	out := make([]finding.Finding, 0, n+n/64+16)
	for _, blocks := range per {
		for _, b := range blocks {
			out = append(out, b...)
		}
	}
	finding.Sort(out)
	return out
}

// Runner runs the checks a policy enables on one object at a time, for
// callers that see objects one by one.
type Runner struct {
	checks []*Check
	cfg    *Config
	pol    *policy.Policy
}

// NewRunner returns a Runner for the checks pol enables (nil: the default
// policy).
func NewRunner(pol *policy.Policy) *Runner {
	if pol == nil {
		pol = policy.Default()
	}
	r := &Runner{cfg: &Config{TrustedRegistries: pol.TrustedRegistries}, pol: pol}
	for _, c := range Checks() {
		if pol.Enabled(c.ID, !c.OptIn) {
			r.checks = append(r.checks, c)
		}
	}
	return r
}

// Append appends the findings of every check on o to out, in the order
// Run gives them for o. It is safe to call from several goroutines.
func (r *Runner) Append(out []finding.Finding, o *inventory.Object) []finding.Finding {
	return runObject(out, o, r.checks, r.cfg, r.pol)
}

// runObject appends the findings of every check on o to out.
func runObject(out []finding.Finding, o *inventory.Object, checks []*Check, cfg *Config, pol *policy.Policy) []finding.Finding {
	t := &Target{Object: o, Pod: inventory.PodOf(o), Config: cfg}
	first := len(out)
	subj := Subject(t)
	for _, c := range checks {
		for _, r := range c.Run(t) {
			f := finding.Finding{
				Check:       c.ID,
				Title:       c.Title,
				Severity:    pol.Severity(c.ID, c.Severity),
				Object:      subj.Ref,
				Container:   r.Container,
				Place:       o.Place(r.Path),
				Message:     r.Message,
				Remediation: c.Remediation,
				Controls:    c.Controls,
			}
			pol.Exempt(&f, subj)
			out = append(out, f)
		}
	}
	// Sorted per object, the findings of objects read in order are
	// usually sorted as a whole, which finding.Sort then only verifies.
	finding.Sort(out[first:])
	return out
}

// Subject is what policy exemptions match for a workload: the object, its
// labels, and its own and its pod template's annotations (where
// rampart.dev/ignore may stand).
func Subject(t *Target) policy.Subject {
	o := t.Object
	subj := policy.Subject{Ref: o.Ref(), Labels: o.Labels, Annotations: []map[string]string{o.Annotations}}
	if t.Pod != nil {
		subj.Annotations = append(subj.Annotations, t.Pod.Meta.Annotations)
	}
	return subj
}
