// Package policy reads rampart.yaml, the one policy file that drives scan,
// audit and the webhook alike.
package policy

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
	yaml "go.yaml.in/yaml/v3"
)

// APIVersion is the only policy schema version this build reads.
const APIVersion = "rampart.dev/v1alpha1"

// Kind is the kind a policy file declares.
const Kind = "Policy"

// ErrInvalid wraps every validation error.
var ErrInvalid = errors.New("invalid policy")

// Policy is the parsed rampart.yaml.
type Policy struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Checks     Checks `yaml:"checks"`
	// PodSecurity sets the Pod Security Standards level and version that
	// workloads are held to.
	PodSecurity PodSecurity `yaml:"podSecurity"`
	// TrustedRegistries are image prefixes (e.g. "registry.example.com/",
	// "ghcr.io/acme/"); when set, other images are findings.
	TrustedRegistries []string    `yaml:"trustedRegistries"`
	Exemptions        []Exemption `yaml:"exemptions"`
	// Audit sets what rampart audit holds a cluster to.
	Audit Audit `yaml:"audit"`
	// Sensitivity declares sensitivity levels, their node pools and
	// gateways; empty means no levels.
	Sensitivity Sensitivity `yaml:"sensitivity"`
	// Webhook sets what the admission and authorization webhook enforces.
	Webhook Webhook `yaml:"webhook"`
}

// Audit holds the settings of cluster audits.
type Audit struct {
	// MaxSecretAge flags Secrets not rotated for longer (default 365d).
	MaxSecretAge Duration `yaml:"maxSecretAge"`
	// MaxTokenAge flags legacy service-account token Secrets older than
	// this (default 90d).
	MaxTokenAge Duration `yaml:"maxTokenAge"`
	// SystemNamespaces are left out of namespace checks (default
	// kube-system, kube-public, kube-node-lease).
	SystemNamespaces []string `yaml:"systemNamespaces"`
}

// Duration is a time.Duration that also reads whole days ("90d").
type Duration time.Duration

// UnmarshalYAML reads "90d", "36h" or "1h30m".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads a Go duration or a whole number of days ("90d").
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q: want a number of days like 90d, or 36h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad duration %q: want a number of days like 90d, or 36h", s)
	}
	return v, nil
}

// Checks turns checks on or off and changes their severity.
type Checks struct {
	// Disable lists check IDs that do not run.
	Disable []string `yaml:"disable"`
	// Enable lists opt-in check IDs that run (checks off by default).
	Enable []string `yaml:"enable"`
	// Severity overrides a check's severity.
	Severity map[string]finding.Severity `yaml:"severity"`
}

// PodSecurity selects a Pod Security Standards level and version.
type PodSecurity struct {
	// Level is "baseline" or "restricted" (default "restricted").
	Level string `yaml:"level"`
	// Version is "latest" or "v1.N" (default "latest").
	Version string `yaml:"version"`
}

// Exemption accepts findings of some checks on some objects, with a reason.
type Exemption struct {
	// Checks are check IDs; empty means every check.
	Checks []string `yaml:"checks"`
	// Namespaces, Names and Kinds match with shell globs (path.Match); empty matches all.
	Namespaces []string `yaml:"namespaces"`
	Names      []string `yaml:"names"`
	Kinds      []string `yaml:"kinds"`
	// Labels must all be present with these values.
	Labels map[string]string `yaml:"labels"`
	Reason string            `yaml:"reason"`
	line   int
}

// Default returns the policy used when no file is given.
func Default() *Policy {
	return &Policy{
		APIVersion:  APIVersion,
		Kind:        Kind,
		PodSecurity: PodSecurity{Level: "restricted", Version: "latest"},
		Audit: Audit{
			MaxSecretAge:     Duration(365 * 24 * time.Hour),
			MaxTokenAge:      Duration(90 * 24 * time.Hour),
			SystemNamespaces: []string{"kube-system", "kube-public", "kube-node-lease"},
		},
	}
}

// Load reads and validates a policy file. known holds the check IDs that
// exist, so that a typo in an ID is an error rather than a silent no-op.
func Load(file string, known map[string]bool) (*Policy, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read policy %s: %w", file, err)
	}
	p, err := Parse(data, known)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

// Parse reads and validates a policy document.
func Parse(data []byte, known map[string]bool) (*Policy, error) {
	if len(data) > 1<<20 {
		return nil, fmt.Errorf("%w: larger than 1 MiB", ErrInvalid)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	p := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	recordLines(&root, p)
	if err := p.Validate(known); err != nil {
		return nil, err
	}
	return p, nil
}

// recordLines remembers where each exemption starts, for error messages.
func recordLines(root *yaml.Node, p *Policy) {
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "exemptions" && m.Content[i+1].Kind == yaml.SequenceNode {
			for j, n := range m.Content[i+1].Content {
				if j < len(p.Exemptions) {
					p.Exemptions[j].line = n.Line
				}
			}
		}
	}
}

// Validate checks the policy's values. Every problem is reported at once.
func (p *Policy) Validate(known map[string]bool) error {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if p.APIVersion != APIVersion {
		add("apiVersion is %q, want %q", p.APIVersion, APIVersion)
	}
	if p.Kind != Kind {
		add("kind is %q, want %q", p.Kind, Kind)
	}
	checkID := func(where, id string) {
		if known != nil && !known[id] {
			add("%s: unknown check %q%s", where, id, suggest(id, known))
		}
	}
	for _, id := range p.Checks.Disable {
		checkID("checks.disable", id)
	}
	for _, id := range p.Checks.Enable {
		checkID("checks.enable", id)
	}
	for _, id := range slices.Sorted(maps.Keys(p.Checks.Severity)) {
		checkID("checks.severity", id)
	}
	switch p.PodSecurity.Level {
	case "baseline", "restricted":
	default:
		add("podSecurity.level is %q, want baseline or restricted", p.PodSecurity.Level)
	}
	if v := p.PodSecurity.Version; v != "latest" && !validVersion(v) {
		add("podSecurity.version is %q, want latest or v1.N", v)
	}
	for _, r := range p.TrustedRegistries {
		if strings.TrimSpace(r) == "" {
			add("trustedRegistries: empty entry")
		}
	}
	for i, e := range p.Exemptions {
		where := fmt.Sprintf("exemptions[%d]", i)
		if e.line > 0 {
			where += fmt.Sprintf(" (line %d)", e.line)
		}
		if strings.TrimSpace(e.Reason) == "" {
			add("%s: reason is required", where)
		}
		for _, id := range e.Checks {
			checkID(where+".checks", id)
		}
		for _, g := range append(append(append([]string{}, e.Namespaces...), e.Names...), e.Kinds...) {
			if _, err := path.Match(g, ""); err != nil {
				add("%s: bad pattern %q", where, g)
			}
		}
	}
	errs = append(errs, p.Sensitivity.problems()...)
	errs = append(errs, p.Webhook.problems(known)...)
	if len(errs) > 0 {
		return fmt.Errorf("%w:\n  %s", ErrInvalid, strings.Join(errs, "\n  "))
	}
	return nil
}

func validVersion(v string) bool {
	var minor int
	n, err := fmt.Sscanf(v, "v1.%d", &minor)
	return err == nil && n == 1 && fmt.Sprintf("v1.%d", minor) == v
}

func suggest(id string, known map[string]bool) string {
	best, bestScore := "", 0
	for k := range known {
		s := commonPrefix(id, k)
		if s > bestScore || (s == bestScore && k < best) {
			best, bestScore = k, s
		}
	}
	if bestScore >= 4 {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// Enabled reports whether a check runs, given whether it is on by default.
func (p *Policy) Enabled(id string, onByDefault bool) bool {
	for _, d := range p.Checks.Disable {
		if d == id {
			return false
		}
	}
	if onByDefault {
		return true
	}
	for _, e := range p.Checks.Enable {
		if e == id {
			return true
		}
	}
	return false
}

// Severity returns the severity of a check after overrides.
func (p *Policy) Severity(id string, def finding.Severity) finding.Severity {
	if s, ok := p.Checks.Severity[id]; ok {
		return s
	}
	return def
}
