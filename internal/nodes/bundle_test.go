package nodes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeNode lays out a control-plane node under a temporary root, with a
// fake /proc, and returns both.
func fakeNode(t testing.TB) (root, proc string) {
	t.Helper()
	dir := t.TempDir()
	root, proc = filepath.Join(dir, "root"), filepath.Join(dir, "proc")
	write := func(p, content string, mode os.FileMode) {
		t.Helper()
		writeFile(t, filepath.Join(root, p), content, mode)
	}
	// The files belong to whoever runs the test: name that user root.
	write("etc/passwd", fmt.Sprintf("root:x:%d:%d::/root:/bin/sh\n", os.Getuid(), os.Getgid()), 0o644)
	write("etc/group", fmt.Sprintf("root:x:%d:\n", os.Getgid()), 0o644)
	write("etc/kubernetes/manifests/kube-apiserver.yaml", pod(APIServer, "--profiling=true"), 0o644)
	write("etc/kubernetes/manifests/etcd.yaml", pod(Etcd, "--data-dir=/var/lib/etcd", "--client-cert-auth=true"), 0o600)
	write("etc/kubernetes/admin.conf", "apiVersion: v1\nkind: Config\n", 0o600)
	write("etc/kubernetes/pki/ca.crt", "cert", 0o644)
	write("etc/kubernetes/pki/ca.key", "key", 0o644)
	write("etc/kubernetes/real-kubelet.conf", "apiVersion: v1\nkind: Config\n", 0o600)
	write("etc/kubernetes/enc.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: k1\n        secret: c2VjcmV0LWtleS1ieXRlcw==\n", 0o600)
	write("var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 10255\n", 0o600)
	if err := os.MkdirAll(filepath.Join(root, "var/lib/etcd"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/kubernetes/real-kubelet.conf", filepath.Join(root, "etc/kubernetes/kubelet.conf")); err != nil {
		t.Fatal(err)
	}
	cmdline := func(pid int, args ...string) {
		t.Helper()
		d := filepath.Join(proc, fmt.Sprint(pid))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "cmdline"), []byte(strings.Join(args, "\x00")+"\x00"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmdline(100, "kube-apiserver", "--encryption-provider-config=/etc/kubernetes/enc.yaml", "--profiling=false")
	cmdline(200, "/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml", "--kubeconfig=/etc/kubernetes/kubelet.conf")
	cmdline(300, "/bin/bash")
	if err := os.MkdirAll(filepath.Join(proc, "self"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root, proc
}

func TestCollectAndCheckBundle(t *testing.T) {
	root, proc := fakeNode(t)
	b, err := Collect(CollectOptions{Root: root, Proc: proc, Hostname: "node-1", Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Processes) != 2 || b.Processes[0].Component != APIServer || b.Processes[1].Component != Kubelet {
		t.Fatalf("processes %+v", b.Processes)
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "c2VjcmV0LWtleS1ieXRlcw") {
		t.Fatal("the bundle carries an encryption key")
	}
	read, err := ReadBundle(&buf, DefaultBundleLimits)
	if err != nil {
		t.Fatal(err)
	}
	c := read.Config()
	got := map[string]Result{}
	for _, o := range Evaluate(c, ConfigChecks()) {
		for _, r := range o.Results {
			got[o.Check.ID+" "+r.Place.File] = r
		}
	}
	expect := func(key string, st Status, value string) {
		t.Helper()
		r, ok := got[key]
		if !ok {
			t.Errorf("no result %q", key)
			return
		}
		if r.Status != st || !strings.Contains(r.Value, value) {
			t.Errorf("%s: %s %q (%s), want %s %q", key, r.Status, r.Value, r.Message, st, value)
		}
	}
	expect("apiserver-manifest-permissions /etc/kubernetes/manifests/kube-apiserver.yaml", Fail, "mode: 0644")
	expect("apiserver-manifest-ownership /etc/kubernetes/manifests/kube-apiserver.yaml", Pass, "root:root")
	expect("etcd-manifest-permissions /etc/kubernetes/manifests/etcd.yaml", Pass, "0600")
	expect("pki-key-permissions /etc/kubernetes/pki/ca.key", Fail, "0644")
	expect("pki-certificate-permissions /etc/kubernetes/pki/ca.crt", Pass, "0644")
	expect("admin-kubeconfig-permissions /etc/kubernetes/admin.conf", Pass, "0600")
	// A symbolic link is followed inside the root, to the real file's mode.
	expect("kubelet-kubeconfig-permissions /etc/kubernetes/kubelet.conf", Pass, "0600")
	expect("kubelet-config-file-permissions /var/lib/kubelet/config.yaml", Pass, "0600")
	// The running process wins over its manifest.
	expect("apiserver-profiling /proc/100/cmdline", Pass, "--profiling=false (flag)")
	// The redacted EncryptionConfiguration is still judged.
	expect("encryption-key-in-file /etc/kubernetes/enc.yaml", Fail, "aescbc")
	expect("kubelet-read-only-port /var/lib/kubelet/config.yaml", Fail, "readOnlyPort: 10255 (file)")
	// etcd is not running, but its manifest says it runs here.
	expect("etcd-data-dir-permissions /var/lib/etcd", Pass, "0700")
	if r := got["apiserver-profiling /proc/100/cmdline"]; r.Place.Path != "args[2]" {
		t.Errorf("process place: %+v", r.Place)
	}
}

func TestRedactSecrets(t *testing.T) {
	in := "kind: EncryptionConfiguration\nresources:\n- providers:\n  - aescbc:\n      keys:\n      - name: a\n        secret: QUJD\n      - {name: b, secret: 'REVG'}\n"
	out, ok := redactSecrets(in)
	if !ok || strings.Contains(out, "QUJD") || strings.Contains(out, "REVG") || strings.Count(out, "\n") != strings.Count(in, "\n") {
		t.Errorf("redacted %v:\n%s", ok, out)
	}
	js := `{"kind":"EncryptionConfiguration","resources":[{"providers":[{"secretbox":{"keys":[{"name":"k","secret":"QUJD"}]}}]}]}`
	if out, ok := redactSecrets(js); !ok || strings.Contains(out, "QUJD") {
		t.Errorf("JSON redacted %v: %s", ok, out)
	}
}

func TestReadBundleRejects(t *testing.T) {
	valid := `{"apiVersion":"rampart.dev/v1alpha1","kind":"NodeBundle","collectedAt":"2026-01-01T00:00:00Z","processes":[],"files":[]}`
	if _, err := ReadBundle(strings.NewReader(valid), BundleLimits{}); err != nil {
		t.Fatalf("valid bundle: %v", err)
	}
	cases := map[string]string{
		"other version":   strings.Replace(valid, "v1alpha1", "v9", 1),
		"unknown field":   strings.Replace(valid, `"files":[]`, `"files":[],"extra":1`, 1),
		"trailing data":   valid + "{}",
		"relative path":   strings.Replace(valid, `"files":[]`, `"files":[{"path":"etc/x","exists":false,"uid":0,"gid":0}]`, 1),
		"unclean path":    strings.Replace(valid, `"files":[]`, `"files":[{"path":"/etc/../x","exists":false,"uid":0,"gid":0}]`, 1),
		"bad mode":        strings.Replace(valid, `"files":[]`, `"files":[{"path":"/x","exists":true,"mode":"999","uid":0,"gid":0}]`, 1),
		"unknown process": strings.Replace(valid, `"processes":[]`, `"processes":[{"component":"bash","pid":1,"args":["bash"]}]`, 1),
		"no arguments":    strings.Replace(valid, `"processes":[]`, `"processes":[{"component":"kubelet","pid":1,"args":[]}]`, 1),
		"not JSON":        "apiVersion: v1",
	}
	for name, in := range cases {
		if _, err := ReadBundle(strings.NewReader(in), BundleLimits{}); !errors.Is(err, ErrBundle) {
			t.Errorf("%s: err = %v, want ErrBundle", name, err)
		}
	}
	lim := DefaultBundleLimits
	lim.MaxBytes = 50
	if _, err := ReadBundle(strings.NewReader(valid), lim); !errors.Is(err, ErrBundle) {
		t.Errorf("oversized bundle: %v", err)
	}
}

func FuzzReadBundle(f *testing.F) {
	f.Add(`{"apiVersion":"rampart.dev/v1alpha1","kind":"NodeBundle","collectedAt":"2026-01-01T00:00:00Z","processes":[{"component":"kube-apiserver","pid":1,"args":["kube-apiserver","--profiling"]}],"files":[{"path":"/etc/kubernetes/manifests/etcd.yaml","exists":true,"mode":"0600","uid":0,"gid":0,"content":"apiVersion: v1\nkind: Pod\nmetadata: {name: e}\nspec:\n  containers:\n  - name: etcd\n    command: [etcd, --auto-tls]\n"}]}`)
	f.Add(`{"apiVersion":"rampart.dev/v1alpha1","kind":"NodeBundle","collectedAt":"2026-01-01T00:00:00Z","processes":[{"component":"kubelet","pid":2,"args":["kubelet","--config","/c.yaml"]}],"files":[{"path":"/c.yaml","exists":true,"mode":"0644","uid":0,"gid":0,"content":"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 1\n"},{"path":"/k.env","exists":true,"mode":"0644","uid":0,"gid":0,"content":"KUBELET_X=\"--a=b\""}]}`)
	lim := BundleLimits{MaxBytes: 1 << 20, MaxProcesses: 50, MaxFiles: 100, MaxArgs: 100}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ReadBundle(strings.NewReader(s), lim)
		if err != nil {
			if !errors.Is(err, ErrBundle) {
				t.Fatalf("error not marked ErrBundle: %v", err)
			}
			return
		}
		c := b.Config()
		for _, o := range Evaluate(c, ConfigChecks()) {
			for _, r := range o.Results {
				if strings.HasPrefix(r.Message, "internal error") {
					t.Fatalf("%s: %s", o.Check.ID, r.Message)
				}
			}
		}
	})
}
