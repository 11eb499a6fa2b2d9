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
	if pol == nil {
		pol = policy.Default()
	}
	var active []*Check
	for _, c := range Checks() {
		if pol.Enabled(c.ID, !c.OptIn) {
			active = append(active, c)
		}
	}
	cfg := &Config{TrustedRegistries: pol.TrustedRegistries}

	workers := runtime.GOMAXPROCS(0)
	per := make([][]finding.Finding, len(objs))
	var wg sync.WaitGroup
	chunk := (len(objs) + workers - 1) / workers
	for start := 0; start < len(objs); start += chunk {
		end := min(start+chunk, len(objs))
		wg.Add(1)
		go func(start, end int) {
			defer wg.Done()
			for i := start; i < end; i++ {
				per[i] = runObject(objs[i], active, cfg, pol)
			}
		}(start, end)
	}
	wg.Wait()
	n := 0
	for _, fs := range per {
		n += len(fs)
	}
	out := make([]finding.Finding, 0, n)
	for _, fs := range per {
		out = append(out, fs...)
	}
	finding.Sort(out)
	return out
}

func runObject(o *inventory.Object, checks []*Check, cfg *Config, pol *policy.Policy) []finding.Finding {
	t := &Target{Object: o, Pod: inventory.PodOf(o), Config: cfg}
	subj := policy.Subject{Ref: o.Ref(), Labels: o.Labels, Annotations: []map[string]string{o.Annotations}}
	if t.Pod != nil {
		subj.Annotations = append(subj.Annotations, t.Pod.Meta.Annotations)
	}
	var out []finding.Finding
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
	return out
}
