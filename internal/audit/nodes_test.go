package audit

import (
	"reflect"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/inventory"
)

func TestNodeNotReady(t *testing.T) {
	runCases(t, "node-not-ready", []auditCase{
		{name: "ready, not ready, unknown, silent", manifest: `
apiVersion: v1
kind: Node
metadata: {name: a-ready}
status:
  conditions:
  - {type: MemoryPressure, status: "False"}
  - {type: Ready, status: "True"}
---
apiVersion: v1
kind: Node
metadata: {name: b-broken}
status:
  conditions:
  - {type: MemoryPressure, status: "False"}
  - type: Ready
    status: "False"
    reason: KubeletNotReady
    message: "container runtime network not ready: cni plugin not initialized"
    lastTransitionTime: "2026-05-29T00:00:00Z"
---
apiVersion: v1
kind: Node
metadata: {name: c-lost}
status:
  conditions:
  - {type: Ready, status: Unknown, reason: NodeStatusUnknown, message: Kubelet stopped posting node status.}
---
apiVersion: v1
kind: Node
metadata: {name: d-silent}
`, want: []string{
			"Node/b-broken status.conditions[1] high",
			"Node/c-lost status.conditions[0] high",
			"Node/d-silent status.conditions high",
		}, contains: []string{
			`node "b-broken" is not Ready: Ready=False (KubeletNotReady) for 3 days: container runtime network not ready: cni plugin not initialized`,
			`node "c-lost" is not Ready: Ready=Unknown (NodeStatusUnknown): Kubelet stopped posting node status.`,
			`node "d-silent" reports no Ready condition`,
		}},
		{name: "all ready", manifest: `
apiVersion: v1
kind: Node
metadata: {name: n}
status:
  conditions: [{type: Ready, status: "True"}]
`},
	})
}

func nodeWithKubelet(name, version string) string {
	return `
---
apiVersion: v1
kind: Node
metadata: {name: ` + name + `}
status:
  conditions: [{type: Ready, status: "True"}]
  nodeInfo: {kubeletVersion: "` + version + `"}
`
}

func TestNodeVersionSkew(t *testing.T) {
	runCases(t, "node-version-skew", []auditCase{
		{name: "against v1.37.2", manifest: nodeWithKubelet("same", "v1.37.2") +
			nodeWithKubelet("k3s-three-behind", "v1.34.1+k3s1") +
			nodeWithKubelet("eks-patch", "v1.37.0-eks-a737599") +
			nodeWithKubelet("four-behind", "v1.33.9") +
			nodeWithKubelet("newer", "v1.38.0") +
			nodeWithKubelet("garbage", "latest") +
			nodeWithKubelet("empty", ""),
			want: []string{
				"Node/four-behind status.nodeInfo.kubeletVersion high",
				"Node/newer status.nodeInfo.kubeletVersion high",
			}, contains: []string{
				`node "four-behind" runs kubelet v1.33.9 against API server v1.37.2: 4 minor versions older; the skew policy allows a kubelet at most 3 minor versions older than kube-apiserver`,
				`node "newer" runs kubelet v1.38.0 against API server v1.37.2: 1 minor version newer; the skew policy never allows a kubelet newer than kube-apiserver`,
			}},
		{name: "against a distribution's server version", cluster: &inventory.ClusterInfo{Version: "v1.30.4-gke.1348000", CollectedAt: testNow},
			manifest: nodeWithKubelet("gke", "v1.27.16-gke.1287000") + nodeWithKubelet("old", "v1.26.1"),
			want:     []string{"Node/old status.nodeInfo.kubeletVersion high"}},
		{name: "major version differs", manifest: nodeWithKubelet("future", "v2.0.0"),
			want: []string{"Node/future status.nodeInfo.kubeletVersion high"}, contains: []string{"a newer major version"}},
	})
}

func TestNodeUnschedulable(t *testing.T) {
	runCases(t, "node-unschedulable", []auditCase{
		{name: "cordoned", manifest: `
apiVersion: v1
kind: Node
metadata: {name: n1}
spec: {unschedulable: true}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
spec: {unschedulable: false}
---
apiVersion: v1
kind: Node
metadata: {name: n3}
`, want: []string{"Node/n1 spec.unschedulable info"}, contains: []string{`node "n1" is cordoned`}},
	})
}

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want version
		ok   bool
	}{
		{"v1.37.2", version{1, 37, 2}, true},
		{"1.37.2", version{1, 37, 2}, true},
		{"v1.34.1+k3s1", version{1, 34, 1}, true},
		{"v1.30.4-eks-a737599", version{1, 30, 4}, true},
		{"v1.29", version{1, 29, 0}, true},
		{"v1", version{}, false},
		{"", version{}, false},
		{"v1.x.2", version{}, false},
		{"v1.2.3junk", version{}, false},
		{"v1.99999999999999999999.0", version{}, false},
	} {
		got, ok := parseVersion(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseVersion(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct{ kubelet, server, want string }{
		{"v1.35.0", "v1.37.2", "-2 minor"},
		{"v1.37.9", "v1.37.2", "0 minor"},
		{"v1.38.0", "v1.37.2", "+1 minor"},
		{"v2.1.0", "v1.37.2", "+1 major"},
		{"v1.37.0", "", ""},
		{"", "v1.37.2", ""},
	} {
		if got := skewString(tc.kubelet, tc.server); got != tc.want {
			t.Errorf("skewString(%q, %q) = %q, want %q", tc.kubelet, tc.server, got, tc.want)
		}
	}
}

func TestNodes(t *testing.T) {
	inv := testInventory(t, `
apiVersion: v1
kind: Node
metadata:
  name: worker-2
  creationTimestamp: "2026-05-01T00:00:00Z"
  labels: {kubernetes.io/os: linux, kubernetes.io/arch: arm64, node-role.kubernetes.io/worker: "", node-role.kubernetes.io/gpu: "true"}
spec:
  unschedulable: true
  taints:
  - {key: node.kubernetes.io/unschedulable, effect: NoSchedule}
  - {key: dedicated, value: gpu, effect: NoExecute}
status:
  conditions:
  - {type: MemoryPressure, status: "True"}
  - {type: DiskPressure, status: "False"}
  - {type: PIDPressure, status: Unknown}
  - {type: Ready, status: "False"}
  nodeInfo: {kubeletVersion: v1.35.3, containerRuntimeVersion: "containerd://2.1.0"}
---
apiVersion: v1
kind: Node
metadata:
  name: control-1
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels: {node-role.kubernetes.io/control-plane: "", kubernetes.io/role: master}
status:
  conditions:
  - {type: Ready, status: "True"}
  - {type: NetworkUnavailable, status: "False"}
  nodeInfo: {kubeletVersion: v1.37.2, containerRuntimeVersion: "cri-o://1.37.0", operatingSystem: linux, architecture: amd64}
---
apiVersion: v1
kind: Node
metadata: {name: bare}
`, nil)
	got := Nodes(inv, testNow)
	want := []NodeInfo{
		{Name: "bare", Ready: "Unknown"},
		{
			Name: "control-1", Ready: "True", KubeletVersion: "v1.37.2", Skew: "0 minor",
			ContainerRuntime: "cri-o://1.37.0", OSArch: "linux/amd64",
			Age: 151 * 24 * time.Hour, Roles: []string{"control-plane", "master"},
		},
		{
			Name: "worker-2", Ready: "False", Conditions: []string{"MemoryPressure=True", "PIDPressure=Unknown"},
			KubeletVersion: "v1.35.3", Skew: "-2 minor", ContainerRuntime: "containerd://2.1.0", OSArch: "linux/arm64",
			Taints:        []string{"node.kubernetes.io/unschedulable:NoSchedule", "dedicated=gpu:NoExecute"},
			Unschedulable: true, Age: 31 * 24 * time.Hour, Roles: []string{"gpu", "worker"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Nodes:\n got  %+v\n want %+v", got, want)
	}
	inv.Cluster = nil
	if n := Nodes(inv, testNow); n[1].Skew != "" {
		t.Errorf("skew without a server version = %q, want empty", n[1].Skew)
	}
	if n := Nodes(&inventory.Inventory{}, testNow); len(n) != 0 {
		t.Errorf("Nodes of an empty inventory = %v", n)
	}
}
