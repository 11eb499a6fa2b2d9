package nodes

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
)

// Status is how one check stands on one input.
type Status string

// Statuses. A check whose input is absent is NotAssessed, never Pass or
// Fail.
const (
	Pass        Status = "pass"
	Fail        Status = "fail"
	NotAssessed Status = "not-assessed"
)

// Result is one check's verdict on one setting (or file).
type Result struct {
	Status Status
	// Value is the setting as found with what decided it, e.g.
	// "--profiling=true (default)"; empty when not assessed.
	Value  string
	Origin Origin
	Place  finding.Place
	// Object is the Pod a command line was read from, when it was.
	Object finding.ObjectRef
	// Message says why the check passes, fails or was not assessed.
	Message string
}

// Check is one recommendation of the CIS Kubernetes Benchmark as it
// applies to a node's configuration. Everything about it is declared here,
// once; Controls are derived.
type Check struct {
	// ID is stable and kebab-case; users write it in policies.
	ID string
	// CIS is the benchmark's recommendation number, e.g. "1.2.15".
	CIS         string
	Title       string
	Description string
	Severity    finding.Severity
	Remediation string
	// Manual is true for recommendations the benchmark marks Manual that
	// the inputs nevertheless decide.
	Manual bool
	// Authn marks checks of authentication, authorization or encryption,
	// which also serve NIST SP 800-190 4.3.2.
	Authn bool
	// Component is the component whose configuration the check reads:
	// kube-apiserver, kube-controller-manager, kube-scheduler, etcd,
	// kubelet, kube-proxy, or "files" for the permission checks.
	Component string
	// FlagsOnly says the component's command line alone decides the
	// check, so that it also runs on control-plane mirror Pods in audit.
	FlagsOnly bool
	Eval      func(c *Config) []Result
}

// Controls maps the check to the benchmark and to NIST SP 800-190.
func (c *Check) Controls() []string {
	out := []string{"NIST-800-190:4.3.5"}
	if c.Authn {
		out = append(out, "NIST-800-190:4.3.2")
	}
	return append(out, "CIS-K8S:"+c.CIS)
}

// Rule returns the check's metadata for outputs.
func (c *Check) Rule() finding.Rule {
	return finding.Rule{ID: c.ID, Title: c.Title, Description: c.Description, Severity: c.Severity, Remediation: c.Remediation, Controls: c.Controls()}
}

// Section is the benchmark section the check belongs to: 1.1, 1.2, 1.3,
// 1.4, 2, 3.2, 4.1, 4.2 or 4.3.
func (c *Check) Section() string {
	if strings.HasPrefix(c.CIS, "2.") {
		return "2"
	}
	if i := strings.LastIndex(c.CIS, "."); i > 0 {
		return c.CIS[:i]
	}
	return c.CIS
}

// SectionTitles name the benchmark sections the checks cover.
var SectionTitles = map[string]string{
	"1.1": "Control plane node configuration files",
	"1.2": "API server",
	"1.3": "Controller manager",
	"1.4": "Scheduler",
	"2":   "etcd",
	"3.2": "Logging (audit policy)",
	"4.1": "Worker node configuration files",
	"4.2": "Kubelet",
	"4.3": "kube-proxy",
}

// SectionOrder lists SectionTitles in benchmark order.
var SectionOrder = []string{"1.1", "1.2", "1.3", "1.4", "2", "3.2", "4.1", "4.2", "4.3"}

var (
	cisPattern = regexp.MustCompile(`^[1-5](\.[0-9]+){1,2}$`)
	components = map[string]bool{APIServer: true, ControllerManager: true, Scheduler: true, Etcd: true, Kubelet: true, KubeProxy: true, "files": true}
)

// ConfigChecks returns every CIS configuration check, in benchmark order.
func ConfigChecks() []*Check {
	out := make([]*Check, 0, 128)
	for _, list := range [][]*Check{fileChecks, apiServerChecks, encryptionChecks, controllerManagerChecks, schedulerChecks, etcdChecks, auditPolicyChecks, kubeletChecks, kubeProxyChecks} {
		out = append(out, list...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if c := compareCIS(out[i].CIS, out[j].CIS); c != 0 {
			return c < 0
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// compareCIS orders recommendation numbers numerically (1.2.9 < 1.2.10).
func compareCIS(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x - y
		}
	}
	return len(pa) - len(pb)
}

// ValidateConfigChecks reports every metadata problem in a set of checks;
// the registry test calls it so that a bad check fails a test, never a
// user.
func ValidateConfigChecks(cs []*Check) error {
	rules := make([]finding.Rule, len(cs))
	for i, c := range cs {
		rules[i] = c.Rule()
	}
	errs := finding.RulesProblems(rules)
	for _, c := range cs {
		if !cisPattern.MatchString(c.CIS) {
			errs = append(errs, fmt.Sprintf("%q: malformed CIS recommendation %q", c.ID, c.CIS))
		}
		if _, ok := SectionTitles[c.Section()]; !ok {
			errs = append(errs, fmt.Sprintf("%q: CIS %s is in no section this analyzer covers", c.ID, c.CIS))
		}
		if !components[c.Component] {
			errs = append(errs, fmt.Sprintf("%q: unknown component %q", c.ID, c.Component))
		}
		if c.FlagsOnly && !isControlPlane(c.Component) {
			errs = append(errs, fmt.Sprintf("%q: only control-plane command lines are read from mirror Pods", c.ID))
		}
		if c.Eval == nil {
			errs = append(errs, fmt.Sprintf("%q: no Eval function", c.ID))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("CIS check registry: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Outcome is one check's results on one configuration.
type Outcome struct {
	Check   *Check
	Results []Result
}

// Status is the check's overall status: fail when any result fails, else
// not assessed when any result is, else pass.
func (o Outcome) Status() Status {
	st := Pass
	if len(o.Results) == 0 {
		return NotAssessed
	}
	for _, r := range o.Results {
		switch r.Status {
		case Fail:
			return Fail
		case NotAssessed:
			st = NotAssessed
		}
	}
	return st
}

// Evaluate runs checks on a configuration. A check that panics on some
// input is a bug; it is reported as not assessed rather than bringing the
// run down.
func Evaluate(c *Config, checks []*Check) []Outcome {
	out := make([]Outcome, 0, len(checks))
	for _, ch := range checks {
		out = append(out, Outcome{Check: ch, Results: safeEval(ch, c)})
	}
	return out
}

func safeEval(ch *Check, c *Config) (rs []Result) {
	defer func() {
		if r := recover(); r != nil {
			rs = []Result{{Status: NotAssessed, Message: fmt.Sprintf("internal error in check %s: %v", ch.ID, r)}}
		}
	}()
	return ch.Eval(c)
}

// Findings turns failed results into findings.
func Findings(outcomes []Outcome) []finding.Finding {
	var fs []finding.Finding
	for _, o := range outcomes {
		for _, r := range o.Results {
			if r.Status != Fail {
				continue
			}
			fs = append(fs, o.Check.finding(r))
		}
	}
	finding.Sort(fs)
	return fs
}

func (c *Check) finding(r Result) finding.Finding {
	msg := r.Message
	if r.Value != "" {
		msg = r.Value + ": " + msg
	}
	return finding.Finding{
		Check: c.ID, Title: c.Title, Severity: c.Severity, Object: r.Object, Place: r.Place,
		Message: msg, Remediation: c.Remediation, Controls: c.Controls(),
	}
}
