package nodes

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/inventory"
)

// fixture is a node configuration built for one check: documents (static
// Pod manifests, KubeletConfiguration, EncryptionConfiguration ...),
// kubelet flags and file modes.
type fixture struct {
	docs         []string
	kubeletFlags string
	files        map[string]FileInfo
}

func (f fixture) and(g fixture) fixture {
	out := fixture{docs: append(append([]string(nil), f.docs...), g.docs...), kubeletFlags: strings.TrimSpace(f.kubeletFlags + " " + g.kubeletFlags)}
	if f.files != nil || g.files != nil {
		out.files = map[string]FileInfo{}
		for k, v := range f.files {
			out.files[k] = v
		}
		for k, v := range g.files {
			out.files[k] = v
		}
	}
	return out
}

// config parses the fixture's documents as files named fixture-N.yaml,
// so that every value has a file and a line.
func (f fixture) config(t testing.TB) *Config {
	t.Helper()
	c := &Config{Files: f.files}
	for i, d := range f.docs {
		objs, notes := inventory.ParseBytes(fmt.Sprintf("fixture-%d.yaml", i), []byte(d), inventory.Limits{})
		for _, n := range notes {
			t.Fatalf("fixture %d: %s", i, n.Message)
		}
		c.AddObjects(objs)
	}
	if f.kubeletFlags != "" {
		argv := splitWords(f.kubeletFlags)
		c.kubelet().SetFlags(argv, nil, "flags", placeOf("flags"))
	}
	for _, n := range c.Notes {
		t.Fatalf("fixture: %s", n.Message)
	}
	return c
}

// pod is a static Pod manifest running component with args, one per line.
func pod(component string, args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s-node1\n  namespace: kube-system\n  labels: {component: %s}\nspec:\n  containers:\n  - name: %s\n    image: registry.k8s.io/%s:v1.37.2\n    command:\n    - %s\n", component, component, component, component, component)
	for _, a := range args {
		fmt.Fprintf(&b, "    - %q\n", a)
	}
	return b.String()
}

func api(args ...string) fixture   { return fixture{docs: []string{pod(APIServer, args...)}} }
func kcm(args ...string) fixture   { return fixture{docs: []string{pod(ControllerManager, args...)}} }
func sched(args ...string) fixture { return fixture{docs: []string{pod(Scheduler, args...)}} }
func etcd(args ...string) fixture  { return fixture{docs: []string{pod(Etcd, args...)}} }
func doc(s string) fixture         { return fixture{docs: []string{s}} }
func proxy(args ...string) fixture { return fixture{docs: []string{pod(KubeProxy, args...)}} }

// proxyConfig is a KubeProxyConfiguration with the given body.
func proxyConfig(body string) fixture {
	return doc("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n" + body)
}

// kubelet is a KubeletConfiguration with the given body (YAML lines at the
// top level), and optional flags.
func kubelet(body string, flags ...string) fixture {
	return fixture{
		docs:         []string{"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n" + body},
		kubeletFlags: strings.Join(flags, " "),
	}
}

func kubeletFlagsOnly(flags ...string) fixture {
	return fixture{kubeletFlags: strings.Join(flags, " ")}
}

func encryption(resources string) fixture {
	return api("--encryption-provider-config=/etc/kubernetes/enc.yaml").and(doc("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n" + resources))
}

func auditPolicy(rules string) fixture {
	return api("--audit-policy-file=/etc/kubernetes/audit.yaml").and(doc("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n" + rules))
}

func file(path string, mode uint32, owner string) fixture {
	u, g, _ := strings.Cut(owner, ":")
	return fixture{files: map[string]FileInfo{path: {Path: path, Exists: true, Mode: mode, Owner: u, Group: g}}}
}

// perms is a pair of fixtures for a file permission check: the file at
// the benchmark's mode, and the file one step looser.
func perms(path string, good, bad uint32, extra ...fixture) [2]fixture {
	p, f := file(path, good, "root:root"), file(path, bad, "root:root")
	for _, e := range extra {
		p, f = p.and(e), f.and(e)
	}
	return [2]fixture{p, f}
}

func owner(path string, extra ...fixture) [2]fixture {
	p, f := file(path, 0o600, "root:root"), file(path, 0o600, "root:docker")
	for _, e := range extra {
		p, f = p.and(e), f.and(e)
	}
	return [2]fixture{p, f}
}

func parseDoc(t testing.TB, name, doc string) []*inventory.Object {
	t.Helper()
	objs, notes := inventory.ParseBytes(name, []byte(doc), inventory.Limits{})
	if len(notes) > 0 {
		t.Fatalf("%s: %+v", name, notes)
	}
	return objs
}
