package nodes

import (
	"fmt"
	"github.com/rampart-dev/rampart/internal/finding"
	"slices"
	"strconv"
	"strings"
)

// The helpers below build the Eval functions of the flag checks, so that
// each check's declaration reads like the benchmark's audit: which flag,
// its default, what it must be.

type evalFunc = func(c *Config) []Result

func notAssessed(format string, args ...any) Result {
	return Result{Status: NotAssessed, Message: fmt.Sprintf(format, args...)}
}

// onProcess runs f on a component's command line, or reports the check
// not assessed when the input has none.
func onProcess(component string, f func(c *Config, p *Process) Result) evalFunc {
	return func(c *Config) []Result {
		p := c.Process(component)
		if p == nil {
			return []Result{notAssessed("no %s command line in the input (not on this node, or a managed control plane)", component)}
		}
		r := f(c, p)
		if r.Object == (finding.ObjectRef{}) {
			r.Object = p.Object
		}
		return []Result{r}
	}
}

// judge makes a pass or fail result about one value.
func judge(ok bool, v Value, pass, fail string) Result {
	r := Result{Status: Pass, Value: v.String(), Origin: v.Origin, Place: v.Place, Message: pass}
	if !ok {
		r.Status, r.Message = Fail, fail
	}
	return r
}

// boolFlagIs: the flag (default def) must be want.
func boolFlagIs(component, flag string, def, want bool, why string) evalFunc {
	return onProcess(component, func(_ *Config, p *Process) Result {
		v, _ := p.Flag(flag, strconv.FormatBool(def))
		b, err := strconv.ParseBool(v.Text)
		if err != nil {
			return judge(false, v, "", fmt.Sprintf("not a boolean; set --%s=%t", flag, want))
		}
		return judge(b == want, v, fmt.Sprintf("set to %t", want), fmt.Sprintf("must be %t: %s", want, why))
	})
}

// flagsSet: every flag must be set to a non-empty value.
func flagsSet(component, why string, flags ...string) evalFunc {
	return onProcess(component, func(_ *Config, p *Process) Result {
		var set []string
		var last Value
		for _, f := range flags {
			v, ok := p.Flag(f, "")
			if !ok || strings.TrimSpace(v.Text) == "" {
				return judge(false, v, "", why)
			}
			set = append(set, v.String())
			last = v
		}
		r := judge(true, last, "set", "")
		r.Value = strings.Join(set, ", ")
		return r
	})
}

// flagUnset: the flag must not be set.
func flagUnset(component, flag, why string) evalFunc {
	return onProcess(component, func(_ *Config, p *Process) Result {
		v, ok := p.Flag(flag, "")
		if !ok {
			return Result{Status: Pass, Value: "--" + flag + " not set", Origin: FromDefault, Place: v.Place, Message: "not set"}
		}
		return judge(false, v, "", "must not be set: "+why)
	})
}

// intAtLeast: the flag (default def) must be at least min.
func intAtLeast(component, flag string, def, min int, why string) evalFunc {
	return onProcess(component, func(_ *Config, p *Process) Result {
		v, _ := p.Flag(flag, strconv.Itoa(def))
		n, err := strconv.Atoi(strings.TrimSpace(v.Text))
		if err != nil {
			return judge(false, v, "", fmt.Sprintf("not a number; set --%s=%d or more", flag, min))
		}
		return judge(n >= min, v, fmt.Sprintf("at least %d", min), fmt.Sprintf("below %d: %s", min, why))
	})
}

// flagEquals: the flag (default def) must be want.
func flagEquals(component, flag, def, want, why string) evalFunc {
	return onProcess(component, func(_ *Config, p *Process) Result {
		v, _ := p.Flag(flag, def)
		return judge(strings.TrimSpace(v.Text) == want, v, "set to "+want, fmt.Sprintf("must be %s: %s", want, why))
	})
}

// featureGateNotFalse: a feature gate (on by default) must not be turned
// off with --feature-gates.
func featureGateNotFalse(component, gate, why string) evalFunc {
	return onProcess(component, func(_ *Config, p *Process) Result {
		b, a, set := p.Cmd.FeatureGate(gate)
		if !set {
			return Result{Status: Pass, Value: "--feature-gates without " + gate + " (default true)", Origin: FromDefault, Place: p.at, Message: "on by default"}
		}
		v := Value{Setting: "--feature-gates", Text: a.Value, Origin: FromFlag, Place: p.place(a)}
		return judge(b, v, gate+" is on", gate+"=false: "+why)
	})
}

// strongCiphers checks a list of TLS cipher suites against the
// benchmark's list of strong ones. Unset, the Go defaults apply, which
// the benchmark does not accept as configured.
func strongCiphers(items []string, v Value, strong []string) Result {
	if v.Origin == FromDefault {
		r := judge(false, v, "", "the Go default cipher suites apply, which the benchmark does not accept; list strong suites explicitly")
		r.Value = v.Setting + " not set (default)"
		return r
	}
	var weak []string
	for _, s := range items {
		if !slices.Contains(strong, s) {
			weak = append(weak, s)
		}
	}
	return judge(len(weak) == 0, v, "only strong cipher suites", "weak cipher suites allowed: "+strings.Join(weak, ", "))
}
