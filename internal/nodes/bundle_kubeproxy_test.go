package nodes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes a file with an exact mode, making its directories.
func writeFile(t testing.TB, full, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(full, mode); err != nil {
		t.Fatal(err)
	}
}

func writeCmdline(t *testing.T, proc string, pid int, args ...string) {
	t.Helper()
	writeFile(t, filepath.Join(proc, fmt.Sprint(pid), "cmdline"), strings.Join(args, "\x00")+"\x00", 0o644)
}

// bundleResults collects a bundle of the node, writes and reads it back,
// and evaluates every check: "check-id file" → result.
func bundleResults(t *testing.T, root, proc string) map[string]Result {
	t.Helper()
	b, err := Collect(CollectOptions{Root: root, Proc: proc, Hostname: "node-1"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(b); err != nil {
		t.Fatal(err)
	}
	read, err := ReadBundle(&buf, DefaultBundleLimits)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Result{}
	for _, o := range Evaluate(read.Config(), ConfigChecks()) {
		for _, r := range o.Results {
			got[o.Check.ID+" "+r.Place.File] = r
		}
	}
	return got
}

func expectResult(t *testing.T, got map[string]Result, key string, st Status, value string) {
	t.Helper()
	r, ok := got[key]
	if !ok {
		var keys []string
		for k := range got {
			if strings.HasPrefix(k, strings.Fields(key)[0]) {
				keys = append(keys, k)
			}
		}
		t.Errorf("no result %q (have %q)", key, keys)
		return
	}
	if r.Status != st || !strings.Contains(r.Value, value) {
		t.Errorf("%s: %s %q (%s), want %s %q", key, r.Status, r.Value, r.Message, st, value)
	}
}

// kube-proxy in a container: its --config and the kubeconfig that config
// names are read in the container's root (/proc/PID/root), the CNI files
// on the host; the benchmark's defaults in kubeadm's layout fail.
func TestCollectKubeProxyInContainerAndCNI(t *testing.T) {
	root, proc := fakeNode(t)
	writeFile(t, filepath.Join(root, "etc/cni/net.d/10-flannel.conflist"), `{"name":"cbr0","cniVersion":"1.0.0","plugins":[{"type":"flannel"}]}`, 0o644)
	writeFile(t, filepath.Join(root, "var/lib/cni/networks/cbr0/10.244.0.5"), "abc\neth0\n", 0o600)
	writeCmdline(t, proc, 400, "/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=node-1")
	ctr := filepath.Join(proc, "400", "root")
	writeFile(t, filepath.Join(ctr, "var/lib/kube-proxy/config.conf"), "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nmetricsBindAddress: 0.0.0.0:10249\nmode: iptables\n", 0o644)
	writeFile(t, filepath.Join(ctr, "var/lib/kube-proxy/kubeconfig.conf"), "apiVersion: v1\nkind: Config\n", 0o644)

	got := bundleResults(t, root, proc)
	expectResult(t, got, "cni-files-permissions /etc/cni/net.d/10-flannel.conflist", Fail, "mode: 0644")
	expectResult(t, got, "cni-files-permissions /var/lib/cni/networks/cbr0/10.244.0.5", Pass, "mode: 0600")
	expectResult(t, got, "cni-files-ownership /etc/cni/net.d/10-flannel.conflist", Pass, "root:root")
	expectResult(t, got, "kube-proxy-kubeconfig-permissions /var/lib/kube-proxy/kubeconfig.conf", Fail, "mode: 0644")
	expectResult(t, got, "kube-proxy-kubeconfig-ownership /var/lib/kube-proxy/kubeconfig.conf", Pass, "root:root")
	expectResult(t, got, "kube-proxy-metrics-bind-address /var/lib/kube-proxy/config.conf", Fail, "metricsBindAddress: 0.0.0.0:10249 (file)")
	if _, ok := got["cni-files-permissions /var/lib/cni/networks/cbr0"]; ok {
		t.Error("a CNI directory was judged as a file")
	}
}

// kube-proxy on the host with flags only, after the remediations.
func TestCollectKubeProxyOnHost(t *testing.T) {
	root, proc := fakeNode(t)
	writeFile(t, filepath.Join(root, "etc/cni/net.d/10-calico.conflist"), `{"name":"k8s-pod-network"}`, 0o600)
	writeFile(t, filepath.Join(root, "etc/kubernetes/proxy.conf"), "apiVersion: v1\nkind: Config\n", 0o600)
	writeCmdline(t, proc, 400, "kube-proxy", "--kubeconfig=/etc/kubernetes/proxy.conf", "--metrics-bind-address=127.0.0.1:10249")

	got := bundleResults(t, root, proc)
	expectResult(t, got, "cni-files-permissions /etc/cni/net.d/10-calico.conflist", Pass, "mode: 0600")
	expectResult(t, got, "kube-proxy-kubeconfig-permissions /etc/kubernetes/proxy.conf", Pass, "mode: 0600")
	expectResult(t, got, "kube-proxy-metrics-bind-address /proc/400/cmdline", Pass, "--metrics-bind-address=127.0.0.1:10249 (flag)")
}

// Without kube-proxy or CNI files, their checks are not assessed.
func TestCollectWithoutKubeProxy(t *testing.T) {
	root, proc := fakeNode(t)
	got := bundleResults(t, root, proc)
	for _, id := range []string{"kube-proxy-metrics-bind-address", "kube-proxy-kubeconfig-permissions", "cni-files-permissions"} {
		r, ok := got[id+" "]
		if !ok || r.Status != NotAssessed || r.Message == "" {
			t.Errorf("%s: %+v", id, r)
		}
	}
}

func TestKubeProxyMetricsAddress(t *testing.T) {
	conf := "--config=/var/lib/kube-proxy/config.conf"
	tests := []struct {
		name string
		in   fixture
		want Status
	}{
		{"flag default", proxy(), Pass},
		{"flag on all interfaces", proxy("--metrics-bind-address=0.0.0.0:10249"), Fail},
		{"flag IPv6 loopback", proxy("--metrics-bind-address=[::1]:10249"), Pass},
		{"flag bare address", proxy("--metrics-bind-address=127.0.0.1"), Pass},
		{"flag port only", proxy("--metrics-bind-address=:10249"), Fail},
		{"localhost", proxy("--metrics-bind-address=localhost:10249"), Pass},
		{"config default", proxy(conf).and(proxyConfig("mode: iptables\n")), Pass},
		{"config overrides the flag", proxy(conf, "--metrics-bind-address=127.0.0.1:10249").and(proxyConfig("metricsBindAddress: 10.0.0.4:10249\n")), Fail},
		{"config not in the input", proxy(conf), NotAssessed},
		{"no kube-proxy", kubelet(""), NotAssessed},
	}
	ch := lookupConfigCheck(t, "kube-proxy-metrics-bind-address")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Outcome{Check: ch, Results: ch.Eval(tc.in.config(t))}
			if st := o.Status(); st != tc.want {
				t.Errorf("%s, want %s: %+v", st, tc.want, o.Results)
			}
		})
	}
}

func lookupConfigCheck(t *testing.T, id string) *Check {
	t.Helper()
	for _, c := range ConfigChecks() {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s", id)
	return nil
}
