package workload

import (
	"fmt"
	"sync"

	"github.com/rampart-dev/rampart/internal/inventory"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
)

// The Pod Security Standards summary uses k8s.io/pod-security-admission
// itself as the engine, so the level we report is the level the API
// server's admission plugin would enforce, at any policy version.
var (
	psaOnce      sync.Once
	psaEvaluator psapolicy.Evaluator
	psaErr       error
)

func evaluator() (psapolicy.Evaluator, error) {
	psaOnce.Do(func() {
		psaEvaluator, psaErr = psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	})
	return psaEvaluator, psaErr
}

// PodSecurityLevel returns the most restrictive Pod Security Standards
// level ("restricted", "baseline" or "privileged") that the pod meets at
// the given policy version ("latest" or "v1.N"), and for the first level it
// fails, the reasons.
func PodSecurityLevel(p *inventory.Pod, version string) (level string, reasons []string, err error) {
	v, err := psaapi.ParseVersion(version)
	if err != nil {
		return "", nil, fmt.Errorf("pod security version %q: %w", version, err)
	}
	ev, err := evaluator()
	if err != nil {
		return "", nil, err
	}
	for _, lvl := range []psaapi.Level{psaapi.LevelRestricted, psaapi.LevelBaseline} {
		agg := psapolicy.AggregateCheckResults(ev.EvaluatePod(psaapi.LevelVersion{Level: lvl, Version: v}, p.Meta, p.Spec))
		if agg.Allowed {
			return string(lvl), reasons, nil
		}
		if reasons == nil {
			reasons = agg.ForbiddenReasons
		}
	}
	return string(psaapi.LevelPrivileged), reasons, nil
}
