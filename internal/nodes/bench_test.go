package nodes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// benchBundle is a control-plane node's bundle of realistic shape: the
// four static Pod manifests and their running processes, a kubelet with
// its configuration, kube-proxy with its configuration, an
// EncryptionConfiguration, an audit policy, and the modes of the
// benchmark's files (a kubeadm PKI of 22 files plus 200 more files under
// the PKI directory, as clusters with many certificates have, and a CNI
// configuration with 110 IP allocations, one per Pod the node may run).
func benchBundle(b *testing.B) []byte {
	b.Helper()
	bundle := Bundle{APIVersion: BundleAPIVersion, Kind: BundleKind, Hostname: "cp-1", CollectedAt: time.Unix(0, 0).UTC()}
	apiArgs := []string{"kube-apiserver", "--advertise-address=10.0.0.10", "--authorization-mode=Node,RBAC", "--client-ca-file=/etc/kubernetes/pki/ca.crt",
		"--enable-admission-plugins=NodeRestriction", "--encryption-provider-config=/etc/kubernetes/enc.yaml", "--audit-policy-file=/etc/kubernetes/audit.yaml",
		"--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt", "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt", "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
		"--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt", "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
		"--service-account-key-file=/etc/kubernetes/pki/sa.pub", "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt", "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key"}
	kcmArgs := []string{"kube-controller-manager", "--bind-address=127.0.0.1", "--kubeconfig=/etc/kubernetes/controller-manager.conf", "--use-service-account-credentials=true", "--root-ca-file=/etc/kubernetes/pki/ca.crt", "--service-account-private-key-file=/etc/kubernetes/pki/sa.key"}
	schedArgs := []string{"kube-scheduler", "--bind-address=127.0.0.1", "--kubeconfig=/etc/kubernetes/scheduler.conf"}
	etcdArgs := []string{"etcd", "--cert-file=/etc/kubernetes/pki/etcd/server.crt", "--key-file=/etc/kubernetes/pki/etcd/server.key", "--client-cert-auth=true", "--data-dir=/var/lib/etcd", "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt"}
	kubeletArgs := []string{"/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml", "--kubeconfig=/etc/kubernetes/kubelet.conf", "--container-runtime-endpoint=unix:///run/containerd/containerd.sock"}
	proxyArgs := []string{"/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=cp-1"}
	for i, args := range [][]string{apiArgs, kcmArgs, schedArgs, etcdArgs, kubeletArgs, proxyArgs} {
		comp := args[0]
		switch i {
		case 4:
			comp = Kubelet
		case 5:
			comp = KubeProxy
		}
		bundle.Processes = append(bundle.Processes, BundleProcess{Component: comp, PID: 100 + i, Args: args})
	}
	add := func(path, mode, content string) {
		bundle.Files = append(bundle.Files, BundleFile{Path: path, Exists: true, Mode: mode, Owner: "root", Group: "root", Content: content})
	}
	for _, args := range [][]string{apiArgs, kcmArgs, schedArgs, etcdArgs} {
		add("/etc/kubernetes/manifests/"+args[0]+".yaml", "0600", pod(args[0], args[1:]...))
	}
	add("/var/lib/kubelet/config.yaml", "0600", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication: {anonymous: {enabled: false}, x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}}\nauthorization: {mode: Webhook}\nrotateCertificates: true\n")
	add("/etc/kubernetes/enc.yaml", "0600", "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - kms: {apiVersion: v2, name: vault, endpoint: unix:///kms.sock}\n  - identity: {}\n")
	add("/etc/kubernetes/audit.yaml", "0600", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources: [{group: '', resources: [secrets, configmaps]}]\n- level: RequestResponse\n  resources: [{group: '', resources: [pods]}]\n- level: Metadata\n")
	add("/var/lib/kube-proxy/config.conf", "0644", "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nmetricsBindAddress: 0.0.0.0:10249\nmode: iptables\n")
	add("/var/lib/kube-proxy/kubeconfig.conf", "0644", "")
	add("/etc/cni/net.d/10-flannel.conflist", "0644", "")
	for i := 0; i < 110; i++ {
		add(fmt.Sprintf("/var/lib/cni/networks/cbr0/10.244.0.%d", i+2), "0644", "")
	}
	for _, p := range []string{"/etc/kubernetes/admin.conf", "/etc/kubernetes/super-admin.conf", "/etc/kubernetes/scheduler.conf", "/etc/kubernetes/controller-manager.conf", "/etc/kubernetes/kubelet.conf", "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"} {
		add(p, "0600", "")
	}
	bundle.Files = append(bundle.Files, BundleFile{Path: "/var/lib/etcd", Exists: true, Dir: true, Mode: "0700", Owner: "root", Group: "root"})
	bundle.Files = append(bundle.Files, BundleFile{Path: "/etc/kubernetes/pki", Exists: true, Dir: true, Mode: "0755", Owner: "root", Group: "root"})
	for i := 0; i < 222; i++ {
		ext := ".crt"
		mode := "0644"
		if i%2 == 1 {
			ext, mode = ".key", "0600"
		}
		add(fmt.Sprintf("/etc/kubernetes/pki/file-%03d%s", i, ext), mode, "")
	}
	data, err := json.Marshal(bundle)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkCheckBundle measures rampart nodes check --bundle on one node:
// read and validate the bundle, build the configuration, run every check
// and write the JSON report. The target is under 50 ms.
func BenchmarkCheckBundle(b *testing.B) {
	data := benchBundle(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bundle, err := ReadBundle(bytes.NewReader(data), DefaultBundleLimits)
		if err != nil {
			b.Fatal(err)
		}
		c := bundle.Config()
		rep := NewReport(c, Evaluate(c, ConfigChecks()))
		if len(rep.Checks) != len(ConfigChecks()) || rep.HasErrors() {
			b.Fatalf("report: %d checks, notes %+v", len(rep.Checks), rep.Notes)
		}
		if err := rep.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLiveKubelet measures what audit --kubelet-config costs per node
// once the answers are in: decoding a kubeadm kubelet's /configz answer
// and running the live kubelet checks and kubelet-serving-cert-rotation on
// 100 nodes. The requests themselves are bounded by the network and the
// 5-second timeout, not by this.
func BenchmarkLiveKubelet(b *testing.B) {
	const nodes = 100
	body, err := os.ReadFile("testdata/configz-kubeadm.json")
	if err != nil {
		b.Fatal(err)
	}
	var checks []*audit.Check
	for _, c := range Checks() {
		if strings.HasPrefix(c.ID, "kubelet-") {
			checks = append(checks, c)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inv := &inventory.Inventory{Cluster: &inventory.ClusterInfo{Version: "v1.37.2"}}
		for n := 0; n < nodes; n++ {
			name := fmt.Sprintf("node-%03d", n)
			kc, err := inventory.ConfigzDocument(body)
			if err != nil {
				b.Fatal(err)
			}
			inv.Objects = append(inv.Objects,
				&inventory.Object{APIVersion: "v1", Kind: "Node", Name: name},
				configzObject(name, map[string]any{"kubeletconfig": kc}))
		}
		res := audit.RunChecks(inv, nil, checks)
		if len(res.Findings) < nodes || len(res.NotAssessed) != 0 {
			b.Fatalf("%d findings, not assessed %+v", len(res.Findings), res.NotAssessed)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nodes), "ns/node")
}
