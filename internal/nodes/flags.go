package nodes

import (
	"strconv"
	"strings"
)

// Arg is one flag of a component's command line.
type Arg struct {
	// Name is the flag's name without dashes, with underscores turned into
	// dashes the way the Kubernetes components normalise flag names.
	Name string
	// Value is the flag's value; "true" for a bare boolean flag.
	Value string
	// Bare is true for a flag given without a value (--profiling).
	Bare bool
	// Index is the argument's position in the argument list parsed.
	Index int
}

// CommandLine is a parsed component command line.
type CommandLine struct {
	Args []Arg
	// Positional are the arguments that are not flags.
	Positional []string
}

// ParseCommandLine reads argv (without the program name) the way the
// Kubernetes components' flag library (spf13/pflag) does: --name=value,
// --name value, a bare boolean --name, "--" ending the flags, and repeated
// flags kept in order. isBool says which flags are booleans: pflag gives
// a boolean flag a value only with "=", so "--profiling false" sets
// profiling and leaves "false" as a positional argument. The components
// cannot be asked for their flag sets offline, so callers pass the
// booleans they know (see boolFlags).
func ParseCommandLine(argv []string, isBool func(name string) bool) CommandLine {
	var cl CommandLine
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--":
			cl.Positional = append(cl.Positional, argv[i+1:]...)
			return cl
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name, value, hasValue := strings.Cut(a[2:], "=")
			name = normalizeFlag(name)
			if name == "" {
				cl.Positional = append(cl.Positional, a)
				continue
			}
			arg := Arg{Name: name, Value: value, Index: i}
			switch {
			case hasValue:
			case isBool != nil && isBool(name):
				arg.Value, arg.Bare = "true", true
			case i+1 < len(argv):
				// pflag takes the next argument as the value whatever it
				// looks like.
				i++
				arg.Value = argv[i]
			default:
				arg.Bare = true
			}
			cl.Args = append(cl.Args, arg)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// Shorthand flags (-v=2, -v 2): no setting the benchmark
			// reads has one; skip the value when it is separate.
			if !strings.Contains(a, "=") && len(a) == 2 && i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") {
				i++
			}
		default:
			cl.Positional = append(cl.Positional, a)
		}
	}
	return cl
}

// normalizeFlag spells a flag name the way the components' word-separator
// normalisation does: --service_account_lookup is --service-account-lookup.
func normalizeFlag(name string) string {
	return strings.ReplaceAll(name, "_", "-")
}

// Last returns the last occurrence of a flag: for every scalar flag pflag
// keeps the last value given.
func (cl CommandLine) Last(name string) (Arg, bool) {
	for i := len(cl.Args) - 1; i >= 0; i-- {
		if cl.Args[i].Name == name {
			return cl.Args[i], true
		}
	}
	return Arg{}, false
}

// List returns the elements of a comma-separated list flag (such as
// --enable-admission-plugins) with the occurrence each came from: pflag's
// string slices append the values of repeated flags.
func (cl CommandLine) List(name string) ([]string, []Arg) {
	var items []string
	var from []Arg
	for _, a := range cl.Args {
		if a.Name != name {
			continue
		}
		for _, v := range strings.Split(a.Value, ",") {
			if v = strings.TrimSpace(v); v != "" {
				items = append(items, v)
				from = append(from, a)
			}
		}
	}
	return items, from
}

// FeatureGate returns the value of one gate of --feature-gates (a map
// flag: repeated flags and later keys override earlier ones), and whether
// it was set.
func (cl CommandLine) FeatureGate(gate string) (value bool, arg Arg, set bool) {
	for _, a := range cl.Args {
		if a.Name != "feature-gates" {
			continue
		}
		for _, kv := range strings.Split(a.Value, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || strings.TrimSpace(k) != gate {
				continue
			}
			if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
				value, arg, set = b, a, true
			}
		}
	}
	return value, arg, set
}

// boolFlags are the boolean flags of the components whose command lines
// the checks read, for ParseCommandLine.
var boolFlags = map[string]bool{
	// kube-apiserver, kube-controller-manager, kube-scheduler
	"anonymous-auth": true, "profiling": true, "service-account-lookup": true,
	"service-account-extend-token-expiration": true, "use-service-account-credentials": true,
	"allow-privileged": true, "enable-bootstrap-token-auth": true, "contention-profiling": true,
	"leader-elect": true, "audit-log-compress": true, "enable-aggregator-routing": true,
	// etcd
	"client-cert-auth": true, "auto-tls": true, "peer-client-cert-auth": true, "peer-auto-tls": true,
	"enable-v2": true, "debug": true,
	// kubelet
	"make-iptables-util-chains": true, "rotate-certificates": true, "rotate-server-certificates": true,
	"seccomp-default": true, "protect-kernel-defaults": true, "fail-swap-on": true,
	"register-node": true, "enable-server": true, "enable-debugging-handlers": true,
	"authentication-token-webhook": true, "cgroups-per-qos": true, "serialize-image-pulls": true,
}

func isBoolFlag(name string) bool { return boolFlags[name] }
