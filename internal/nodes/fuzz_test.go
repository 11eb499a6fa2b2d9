package nodes

import (
	"os"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// FuzzConfigDocuments feeds arbitrary documents to the configuration
// model and every check: wrongly shaped manifests, kubelet and encryption
// configurations must give notes or verdicts, never a panic.
func FuzzConfigDocuments(f *testing.F) {
	f.Add(pod(APIServer, "--encryption-provider-config=/e.yaml", "--audit-policy-file=/a.yaml", "--authorization-config=/z.yaml", "--authentication-config=/n.yaml") +
		"---\napiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers: [{identity: {}}]\n" +
		"---\napiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers: [{type: Node}]\n" +
		"---\napiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous: {enabled: true, conditions: [{path: /x}]}\n")
	f.Add("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication: {anonymous: {enabled: 3}}\nfeatureGates: {A: true}\n")
	f.Add("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: [1, {resources: 2}, {resources: [secrets], providers: [3, {}]}]\n")
	f.Add(pod(Etcd) + "    env: [{name: ETCD_AUTO_TLS, value: maybe}]\n")
	f.Fuzz(func(t *testing.T, doc string) {
		objs, _ := inventory.ParseBytes("fuzz.yaml", []byte(doc), inventory.Limits{MaxFileBytes: 1 << 20, MaxNodes: 10_000, MaxDepth: 50})
		c := &Config{}
		c.AddObjects(objs)
		c.AddFlagsFile("flags.env", []byte(doc))
		for _, o := range Evaluate(c, ConfigChecks()) {
			for _, r := range o.Results {
				if strings.HasPrefix(r.Message, "internal error") {
					t.Fatalf("%s: %s", o.Check.ID, r.Message)
				}
			}
		}
	})
}

// FuzzLiveKubelet feeds arbitrary /configz answers to the live kubelet
// checks and kubelet-serving-cert-rotation: every node gets findings or
// not-assessed entries, never a panic or an internal error.
func FuzzLiveKubelet(f *testing.F) {
	seed, err := os.ReadFile("testdata/configz-kubeadm.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"kubeletconfig":{"authentication":{"anonymous":{"enabled":"yes"}},"readOnlyPort":"x","featureGates":[1]}}`))
	f.Add([]byte(`{"kubeletconfig":{"authorization":3,"tlsCipherSuites":{"a":1},"podPidsLimit":1e30,"streamingConnectionIdleTimeout":5}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		kc, err := inventory.ConfigzDocument(body)
		if err != nil {
			return
		}
		inv := &inventory.Inventory{Objects: []*inventory.Object{
			{APIVersion: "v1", Kind: "Node", Name: "n", Raw: map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": "n"}}},
			configzObject("n", map[string]any{"kubeletconfig": kc}),
		}, Cluster: &inventory.ClusterInfo{Version: "v1.37.2"}}
		res := audit.RunChecks(inv, nil, Checks())
		for _, n := range res.NotAssessed {
			if strings.HasPrefix(n.Reason, "internal error") {
				t.Fatalf("%s: %s", n.CheckID, n.Reason)
			}
		}
	})
}

// FuzzKubeProxy feeds arbitrary kube-proxy configurations and command
// lines to kube-proxy's checks.
func FuzzKubeProxy(f *testing.F) {
	f.Add("metricsBindAddress: 0.0.0.0:10249\nclientConnection: {kubeconfig: /k.conf}\n", "--config=/c.conf")
	f.Add("metricsBindAddress: [1, 2]\nclientConnection: 3\n", "--config=/c.conf --metrics-bind-address=[::1]:1")
	f.Add("", "--metrics-bind-address=:::: --kubeconfig")
	f.Fuzz(func(t *testing.T, body, flags string) {
		doc := "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n" + body
		objs, _ := inventory.ParseBytes("c.conf", []byte(doc), inventory.Limits{MaxFileBytes: 1 << 20, MaxNodes: 10_000, MaxDepth: 50})
		c := &Config{Files: map[string]FileInfo{}}
		c.AddObjects(objs)
		c.setProcess(ProcessFromArgs(KubeProxy, "/proc/1/cmdline", append([]string{"kube-proxy"}, splitWords(flags)...)))
		for _, o := range Evaluate(c, ConfigChecks()) {
			for _, r := range o.Results {
				if strings.HasPrefix(r.Message, "internal error") {
					t.Fatalf("%s: %s", o.Check.ID, r.Message)
				}
			}
		}
	})
}
