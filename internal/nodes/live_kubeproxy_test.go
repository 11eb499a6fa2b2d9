package nodes

import (
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// kubeadmProxy is kubeadm's kube-proxy DaemonSet, with its command.
func kubeadmProxy(command string) string {
	return `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-proxy}}
  template:
    metadata: {labels: {k8s-app: kube-proxy}}
    spec:
      containers:
      - name: kube-proxy
        image: registry.k8s.io/kube-proxy:v1.37.2
        command: ` + command + `
        volumeMounts:
        - {name: kube-proxy, mountPath: /var/lib/kube-proxy}
      volumes:
      - name: kube-proxy
        configMap: {name: kube-proxy}
`
}

func proxyConfigMap(metrics string) string {
	return `apiVersion: v1
kind: ConfigMap
metadata: {name: kube-proxy, namespace: kube-system}
data:
  config.conf: |-
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    clientConnection:
      kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
    metricsBindAddress: ` + metrics + `
    mode: ""
`
}

func TestLiveKubeProxy(t *testing.T) {
	kubeadmCmd := "[/usr/local/bin/kube-proxy, --config=/var/lib/kube-proxy/config.conf, --hostname-override=$(NODE_NAME)]"
	tests := []struct {
		name     string
		docs     []string
		findings []string
		na       []string
		contains string
	}{
		{name: "kubeadm with metrics on all interfaces", docs: []string{kubeadmProxy(kubeadmCmd), proxyConfigMap("0.0.0.0:10249")},
			findings: []string{"kube-proxy-metrics-bind-address kube-proxy"},
			contains: "metricsBindAddress: 0.0.0.0:10249 (file): the metrics endpoint is reachable from the network, without authentication (from /var/lib/kube-proxy/config.conf as mounted from its ConfigMap)"},
		{name: "kubeadm default", docs: []string{kubeadmProxy(kubeadmCmd), proxyConfigMap(`""`)}},
		{name: "ConfigMap read without data", docs: []string{kubeadmProxy(kubeadmCmd), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-proxy, namespace: kube-system}\n"},
			na: []string{"kube-proxy-metrics-bind-address kube-proxy: ConfigMap kube-system/kube-proxy key config.conf (kube-proxy's --config /var/lib/kube-proxy/config.conf) was not read: rampart reads the data of kube-system/kube-proxy only, or was not allowed to get it"}},
		{name: "flags", docs: []string{kubeadmProxy("[kube-proxy, --metrics-bind-address=0.0.0.0:10249]")},
			findings: []string{"kube-proxy-metrics-bind-address kube-proxy"}, contains: "--metrics-bind-address=0.0.0.0:10249 (flag)"},
		{name: "no kube-proxy", na: []string{"kube-proxy-metrics-bind-address : no kube-proxy DaemonSet or static Pod in kube-system (the CNI may replace kube-proxy, or it runs outside the cluster): check it with rampart nodes check on the node"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var objs []*inventory.Object
			if len(tc.docs) > 0 {
				objs = parseDoc(t, "cluster.yaml", strings.Join(tc.docs, "---\n"))
			}
			inv := &inventory.Inventory{Objects: objs, Cluster: &inventory.ClusterInfo{Version: "v1.37.2"}}
			fs, na := kubeletAudit(inv, "kube-proxy-metrics-bind-address")
			if !slices.Equal(fs, tc.findings) {
				t.Errorf("findings:\n got  %q\n want %q", fs, tc.findings)
			}
			if !slices.Equal(na, tc.na) {
				t.Errorf("not assessed:\n got  %q\n want %q", na, tc.na)
			}
			if tc.contains != "" {
				res := audit.RunChecks(inv, nil, []*audit.Check{audit.Lookup(Checks(), "kube-proxy-metrics-bind-address")})
				if len(res.Findings) != 1 || !strings.Contains(res.Findings[0].Message, tc.contains) {
					t.Errorf("finding does not say %q: %+v", tc.contains, res.Findings)
				}
			}
		})
	}
}
