// Package audit holds the cluster posture checks of rampart audit: checks
// that read a whole inventory (bindings, secrets, namespaces, network
// policies, nodes, admission webhooks) rather than one object, each mapped
// to the NIST SP 800-190 orchestrator countermeasure (4.3.1 to 4.3.5) it
// serves, and the summary of those countermeasures.
package audit

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
)

// Check is one cluster posture rule: metadata plus one function. Everything
// about a check is declared here, once.
type Check struct {
	// ID is stable and kebab-case; users write it in policies and annotations.
	ID          string
	Title       string
	Description string
	// Severity is the highest severity the check reports; a check may
	// report some findings lower (see each check's description).
	Severity    finding.Severity
	Remediation string
	// Controls map the check to NIST-800-190 and CIS-K8S references. The
	// first NIST-800-190:4.3.x control must be Section.
	Controls []string
	// Section is the NIST SP 800-190 countermeasure the check belongs to,
	// "4.3.1" to "4.3.5".
	Section string
	// Needs lists the resources the check reads, spelt as in
	// inventory.NotAssessed.Resource ("secrets",
	// "clusterrolebindings.rbac.authorization.k8s.io"), plus "/version"
	// for the API server's version. A check whose needs were not read in
	// full is not run and is reported as not assessed.
	Needs []string
	// Scan says the check also runs in rampart scan, on manifests: it
	// decides from objects a repository holds (RBAC, NetworkPolicies,
	// placement), not from cluster state such as ages or node status.
	Scan bool
	// Run returns the check's findings. It sets Object, Place, Severity and
	// Message; Run (the engine) fills in the check's ID, title,
	// remediation and controls.
	Run func(inv *inventory.Inventory, cfg *Config) []finding.Finding
	// Assess is Run for a check that may be unable to decide for some
	// objects (a node whose kubelet could not be asked, a control-plane
	// component with no mirror Pod): it returns findings and what it could
	// not assess, for which object and why. A check sets Run or Assess,
	// never both.
	Assess func(inv *inventory.Inventory, cfg *Config) Assessment
}

// Assessment is what a check with Assess found: its findings (as Run
// returns them) and what it could not decide.
type Assessment struct {
	Findings    []finding.Finding
	NotAssessed []Unassessed
}

// Unassessed is one thing a check could not decide: for one object, or for
// the whole check when Object is zero.
type Unassessed struct {
	Object finding.ObjectRef
	// Resource is what could not be read, as in NotAssessedCheck (e.g.
	// "nodes/proxy"); may be empty.
	Resource string
	Reason   string
}

// Config is what checks read from the policy. The zero value of each field
// means its default.
type Config struct {
	// Now is the time ages are measured at; default the inventory's
	// collection time, else the current time.
	Now time.Time
	// MaxSecretAge is how long a Secret may go without being rewritten;
	// default 365 days.
	MaxSecretAge time.Duration
	// MaxTokenAge is the age above which a legacy service account token
	// Secret is reported as high; default 90 days.
	MaxTokenAge time.Duration
	// SystemNamespaces are skipped by the namespace checks; default
	// kube-system, kube-public and kube-node-lease.
	SystemNamespaces []string
	// Sensitivity is the policy's declaration of sensitivity levels, node
	// pools and gateways (read by the placement and netpol checks).
	Sensitivity policy.Sensitivity

	// shared holds what the checks of one run build once and share; see
	// Shared.
	shared *sharedValues
}

// sharedValues is one run's memo: RunChecks gives each run its own, so
// what the checks share lives exactly as long as the run. (A package-level
// cache of "the last inventory" kept that inventory, the largest thing a
// scan holds, alive for as long as the process ran.)
type sharedValues struct {
	mu     sync.Mutex
	values map[any]*sharedValue
}

type sharedValue struct {
	once sync.Once
	v    any
}

// Shared returns the value stored under key for this run, calling build
// once to make it however many checks ask at the same time. Checks use it
// for an index or model that several of them read; key should be a value
// of a type of the check's own package. Outside RunChecks (a check called
// directly) nothing is shared and build runs every time.
func (cfg *Config) Shared(key any, build func() any) any {
	if cfg == nil || cfg.shared == nil {
		return build()
	}
	cfg.shared.mu.Lock()
	e := cfg.shared.values[key]
	if e == nil {
		e = &sharedValue{}
		cfg.shared.values[key] = e
	}
	cfg.shared.mu.Unlock()
	e.once.Do(func() { e.v = build() })
	return e.v
}

// Defaults for Config.
const (
	DefaultMaxSecretAge = 365 * 24 * time.Hour
	DefaultMaxTokenAge  = 90 * 24 * time.Hour
)

// DefaultSystemNamespaces are the namespaces Kubernetes itself owns.
var DefaultSystemNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// withDefaults returns a copy of cfg (which may be nil) with every unset
// field defaulted.
func (cfg *Config) withDefaults(inv *inventory.Inventory) *Config {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Now.IsZero() {
		if inv != nil && inv.Cluster != nil && !inv.Cluster.CollectedAt.IsZero() {
			c.Now = inv.Cluster.CollectedAt
		} else {
			c.Now = time.Now()
		}
	}
	if c.MaxSecretAge <= 0 {
		c.MaxSecretAge = DefaultMaxSecretAge
	}
	if c.MaxTokenAge <= 0 {
		c.MaxTokenAge = DefaultMaxTokenAge
	}
	if c.SystemNamespaces == nil {
		c.SystemNamespaces = DefaultSystemNamespaces
	}
	c.shared = &sharedValues{values: map[any]*sharedValue{}}
	return &c
}

// system reports whether ns is one of the configured system namespaces.
func (cfg *Config) system(ns string) bool {
	for _, s := range cfg.SystemNamespaces {
		if s == ns {
			return true
		}
	}
	return false
}

// Registry holds one analyzer's cluster checks. Each analyzer package
// (audit, rbac, netpol, placement, nodes) keeps one and registers its
// checks from init, one theme file at a time.
type Registry struct{ checks []*Check }

// Register adds checks.
func (r *Registry) Register(cs ...*Check) { r.checks = append(r.checks, cs...) }

// Checks returns the registered checks, sorted by ID.
func (r *Registry) Checks() []*Check {
	out := append([]*Check(nil), r.checks...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

var registry Registry

// register adds checks to the registry; called from init in each theme file.
func register(cs ...*Check) { registry.Register(cs...) }

// Checks returns every check of this package, sorted by ID.
func Checks() []*Check { return registry.Checks() }

// Lookup returns the check with this ID among cs, or nil.
func Lookup(cs []*Check, id string) *Check {
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	return nil
}

var (
	resourcePattern = regexp.MustCompile(`^([a-z][a-z0-9]*(\.[a-z0-9-]+)*|/version)$`)
)

// Validate reports every metadata problem in a set of checks; the registry
// test calls it so that a bad check fails a test, never a user.
func Validate(cs []*Check) error {
	rules := make([]finding.Rule, len(cs))
	for i, c := range cs {
		rules[i] = c.Rule()
	}
	errs := finding.RulesProblems(rules)
	for _, c := range cs {
		for _, ctl := range c.Controls {
			if strings.HasPrefix(ctl, "PSS:") {
				errs = append(errs, fmt.Sprintf("%q: audit checks map to no Pod Security Standards control (%q)", c.ID, ctl))
			}
		}
		if _, ok := sectionTitles[c.Section]; !ok {
			errs = append(errs, fmt.Sprintf("%q: section %q is not one of 4.3.1 to 4.3.5", c.ID, c.Section))
		} else if s := SectionOf(c.Controls); s != c.Section {
			errs = append(errs, fmt.Sprintf("%q: section %s but its first NIST-800-190:4.3.x control is %q", c.ID, c.Section, s))
		}
		if len(c.Needs) == 0 {
			errs = append(errs, fmt.Sprintf("%q: Needs is empty", c.ID))
		}
		for _, r := range c.Needs {
			if !resourcePattern.MatchString(r) {
				errs = append(errs, fmt.Sprintf("%q: malformed resource %q in Needs", c.ID, r))
			}
		}
		if (c.Run == nil) == (c.Assess == nil) {
			errs = append(errs, fmt.Sprintf("%q: set exactly one of Run and Assess", c.ID))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("audit check registry: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Rule returns the check's metadata for outputs.
func (c *Check) Rule() finding.Rule {
	return finding.Rule{ID: c.ID, Title: c.Title, Description: c.Description, Severity: c.Severity, Remediation: c.Remediation, Controls: c.Controls}
}
