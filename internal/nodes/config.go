package nodes

import (
	"fmt"
	"path"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Component names, as the binaries are called.
const (
	APIServer         = "kube-apiserver"
	ControllerManager = "kube-controller-manager"
	Scheduler         = "kube-scheduler"
	Etcd              = "etcd"
	Kubelet           = "kubelet"
	KubeProxy         = "kube-proxy"
)

// controlPlane are the components that run as static Pods.
var controlPlane = []string{APIServer, ControllerManager, Scheduler, Etcd}

func isControlPlane(name string) bool {
	for _, c := range controlPlane {
		if c == name {
			return true
		}
	}
	return false
}

// Origin says which value decided a setting.
type Origin string

// Origins of a setting's value.
const (
	FromFlag    Origin = "flag"
	FromFile    Origin = "file"
	FromEnv     Origin = "env"
	FromDefault Origin = "default"
	// FromConfigz is the kubelet's effective configuration as its /configz
	// endpoint serves it: flags and file already merged.
	FromConfigz Origin = "configz"
)

// Value is one setting as the component uses it.
type Value struct {
	// Setting is how the setting is spelt where it was found:
	// --anonymous-auth, authentication.anonymous.enabled, ETCD_AUTO_TLS.
	Setting string
	Text    string
	Origin  Origin
	Place   finding.Place
}

// String renders the value with what decided it, e.g.
// "--profiling=true (default)".
func (v Value) String() string {
	sep := "="
	if !strings.HasPrefix(v.Setting, "-") {
		sep = ": "
	}
	text := v.Text
	if text == "" {
		if v.Origin == FromDefault {
			return v.Setting + " not set (default)"
		}
		text = `""`
	}
	return v.Setting + sep + text + " (" + string(v.Origin) + ")"
}

// Process is a component's command line: from a static Pod manifest, a
// mirror Pod read from the API, or /proc on the node.
type Process struct {
	Component string
	Cmd       CommandLine
	// Env is the container's environment (etcd reads ETCD_* variables).
	Env map[string]EnvVar
	// Object is the Pod the command line is in; zero for a process.
	Object finding.ObjectRef
	// Source names the input for messages: a file or /proc/PID/cmdline.
	Source string
	// places are the places of the parsed arguments, by Arg.Index.
	places []finding.Place
	// at is where the command line as a whole is (for defaults).
	at finding.Place
}

// EnvVar is one environment variable of a container.
type EnvVar struct {
	Value string
	Place finding.Place
}

// place returns where an argument is.
func (p *Process) place(a Arg) finding.Place {
	if a.Index >= 0 && a.Index < len(p.places) {
		return p.places[a.Index]
	}
	return p.at
}

// Flag returns the value the component uses for a scalar flag: the last
// occurrence on the command line, else (for etcd) its ETCD_ environment
// variable, else def, marked as the default.
func (p *Process) Flag(name, def string) (Value, bool) {
	if a, ok := p.Cmd.Last(name); ok {
		return Value{Setting: "--" + name, Text: a.Value, Origin: FromFlag, Place: p.place(a)}, true
	}
	if p.Component == Etcd {
		env := "ETCD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if e, ok := p.Env[env]; ok {
			return Value{Setting: env, Text: e.Value, Origin: FromEnv, Place: e.Place}, true
		}
	}
	return Value{Setting: "--" + name, Text: def, Origin: FromDefault, Place: p.at}, false
}

// List returns a list flag's items and the value as a whole.
func (p *Process) List(name, def string) ([]string, Value) {
	items, from := p.Cmd.List(name)
	if len(from) == 0 {
		v, _ := p.Flag(name, def)
		if v.Origin == FromDefault {
			return splitList(def), v
		}
		return splitList(v.Text), v
	}
	last := from[len(from)-1]
	return items, Value{Setting: "--" + name, Text: strings.Join(items, ","), Origin: FromFlag, Place: p.place(last)}
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Config is what one node's (or one input's) configuration says: the
// control-plane command lines, the kubelet's settings, and the config
// documents the components read.
type Config struct {
	APIServer, ControllerManager, Scheduler, Etcd *Process
	// KubeProxy is kube-proxy's command line, when the input has it.
	KubeProxy *Process
	Kubelet   *KubeletConfig
	// Docs are the configuration documents of the input other than Pods
	// and the kubelet's: EncryptionConfiguration, audit Policy,
	// AdmissionConfiguration, AuthenticationConfiguration,
	// AuthorizationConfiguration.
	Docs []*inventory.Object
	// Manifests maps each control-plane component to the static Pod
	// manifest it was read from.
	Manifests map[string]string
	// Files are the modes and owners of the files the benchmark cares
	// about, by host path; nil when the input has none (only a node
	// bundle has).
	Files map[string]FileInfo
	// Notes are input problems: a file that is not a valid configuration,
	// a second API server ignored.
	Notes []finding.Note
}

// Process returns the command line of a control-plane component, or nil.
func (c *Config) Process(component string) *Process {
	switch component {
	case APIServer:
		return c.APIServer
	case ControllerManager:
		return c.ControllerManager
	case Scheduler:
		return c.Scheduler
	case Etcd:
		return c.Etcd
	case KubeProxy:
		return c.KubeProxy
	}
	return nil
}

func (c *Config) setProcess(p *Process) {
	slot := map[string]**Process{APIServer: &c.APIServer, ControllerManager: &c.ControllerManager, Scheduler: &c.Scheduler, Etcd: &c.Etcd, KubeProxy: &c.KubeProxy}[p.Component]
	if slot == nil {
		return
	}
	if *slot != nil {
		c.Notes = append(c.Notes, finding.Note{Level: finding.NoteInfo, File: p.Source,
			Message: fmt.Sprintf("a second %s command line is ignored; the first came from %s (check one node at a time)", p.Component, (*slot).Source)})
		return
	}
	*slot = p
}

// Doc returns the configuration document of this kind that a flag names:
// the one read from the path the flag gives (or a file of the same base
// name), else the only one of its kind in the input. It returns nil and
// why when there is none.
func (c *Config) Doc(kind, flagValue string) (*inventory.Object, string) {
	var all []*inventory.Object
	for _, o := range c.Docs {
		if o.Kind == kind {
			all = append(all, o)
		}
	}
	for _, o := range all {
		if flagValue != "" && (o.Source.File == flagValue || path.Base(o.Source.File) == path.Base(flagValue)) {
			return o, ""
		}
	}
	if len(all) == 1 {
		return all[0], ""
	}
	if len(all) > 1 {
		return nil, fmt.Sprintf("the input holds %d %s documents and none is read from %s", len(all), kind, flagValue)
	}
	return nil, fmt.Sprintf("%s (the %s) is not among the inputs", flagValue, kind)
}

// AddObjects adds what the objects of an inventory say: the command lines
// of control-plane static Pods, a KubeletConfiguration, and the
// configuration documents the API server reads. Other objects are ignored.
func (c *Config) AddObjects(objs []*inventory.Object) {
	for _, o := range objs {
		switch {
		case o.Kind == "Pod":
			for _, p := range PodProcesses(o) {
				if c.Manifests == nil {
					c.Manifests = map[string]string{}
				}
				if c.Manifests[p.Component] == "" {
					c.Manifests[p.Component] = o.Source.File
				}
				if running := c.Process(p.Component); running != nil && running.Object == (finding.ObjectRef{}) {
					// The running process (from a node bundle) is what
					// runs; its manifest only counts for its file mode.
					continue
				}
				c.setProcess(p)
			}
		case o.Kind == "DaemonSet":
			// kube-proxy usually runs as a DaemonSet; its template holds
			// the command line.
			if ds, ok := o.Typed.(*appsv1.DaemonSet); ok {
				for _, p := range specProcesses(o, &ds.Spec.Template.Spec, "spec.template.spec") {
					if p.Component == KubeProxy {
						c.setProcess(p)
					}
				}
			}
		case o.Kind == "KubeletConfiguration" && strings.HasPrefix(o.APIVersion, "kubelet.config.k8s.io/"):
			k := c.Kubelet
			if k == nil {
				k = &KubeletConfig{}
			}
			if line, err := k.setConfig(o); err != nil {
				c.Notes = append(c.Notes, finding.Note{Level: finding.NoteError, File: o.Source.File, Line: line, Message: err.Error()})
				continue
			}
			c.Kubelet = k
		case configKinds[o.Kind] != "" && strings.HasPrefix(o.APIVersion, configKinds[o.Kind]):
			if err := validateDoc(o); err != nil {
				c.Notes = append(c.Notes, finding.Note{Level: finding.NoteError, File: o.Source.File, Line: o.Source.Line, Message: err.Error()})
				continue
			}
			c.Docs = append(c.Docs, o)
		}
	}
}

// configKinds are the configuration documents read, with their API group.
var configKinds = map[string]string{
	"EncryptionConfiguration":     "apiserver.config.k8s.io/",
	"AdmissionConfiguration":      "apiserver.config.k8s.io/",
	"AuthenticationConfiguration": "apiserver.config.k8s.io/",
	"AuthorizationConfiguration":  "apiserver.config.k8s.io/",
	"Policy":                      "audit.k8s.io/",
	"KubeProxyConfiguration":      "kubeproxy.config.k8s.io/",
}

// PodProcesses returns the control-plane and kube-proxy command lines of
// a Pod: each container whose command (or, without one, whose name) is
// one of those components.
func PodProcesses(o *inventory.Object) []*Process {
	pod, ok := o.Typed.(*corev1.Pod)
	if !ok {
		return nil
	}
	return specProcesses(o, &pod.Spec, "spec")
}

// isPodComponent: the components whose command lines are read from Pods.
func isPodComponent(name string) bool { return isControlPlane(name) || name == KubeProxy }

// specProcesses reads the command lines of a Pod spec at specPath of o
// (a Pod, or a DaemonSet's template).
func specProcesses(o *inventory.Object, spec *corev1.PodSpec, specPath inventory.FieldPath) []*Process {
	var out []*Process
	for i := range spec.Containers {
		ctr := &spec.Containers[i]
		cpath := specPath.Key("containers").Index(i)
		argv := append(append([]string(nil), ctr.Command...), ctr.Args...)
		var places []finding.Place
		for j := range ctr.Command {
			places = append(places, o.Place(cpath.Key("command").Index(j)))
		}
		for j := range ctr.Args {
			places = append(places, o.Place(cpath.Key("args").Index(j)))
		}
		comp := ""
		if len(argv) > 0 && isPodComponent(path.Base(argv[0])) {
			comp = path.Base(argv[0])
			argv, places = argv[1:], places[1:]
		} else if isPodComponent(ctr.Name) {
			comp = ctr.Name
			if len(argv) > 0 && !strings.HasPrefix(argv[0], "-") {
				argv, places = argv[1:], places[1:]
			}
		}
		if comp == "" {
			continue
		}
		p := &Process{Component: comp, Cmd: ParseCommandLine(argv, isBoolFlag), Object: o.Ref(), Source: o.Source.File,
			places: places, at: o.Place(cpath.Key("command"))}
		if len(ctr.Command) == 0 {
			p.at = o.Place(cpath.Key("args"))
		}
		for j, e := range ctr.Env {
			if e.ValueFrom != nil {
				continue
			}
			if p.Env == nil {
				p.Env = map[string]EnvVar{}
			}
			p.Env[e.Name] = EnvVar{Value: e.Value, Place: o.Place(cpath.Key("env").Index(j).Key("value"))}
		}
		out = append(out, p)
	}
	return out
}

// ProcessFromArgs makes a command line read from a running process, whose
// arguments have no line: findings point at source (/proc/PID/cmdline)
// and the argument's index.
func ProcessFromArgs(component, source string, argv []string) *Process {
	p := &Process{Component: component, Source: source, at: finding.Place{File: source}}
	if len(argv) > 0 {
		argv = argv[1:]
	}
	for i := range argv {
		p.places = append(p.places, finding.Place{File: source, Path: fmt.Sprintf("args[%d]", i+1)})
	}
	p.Cmd = ParseCommandLine(argv, isBoolFlag)
	return p
}
