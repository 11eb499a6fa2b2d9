package audit

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	register(
		&Check{
			ID:    "node-not-ready",
			Title: "Node not Ready",
			Description: "Fires on a node whose Ready condition is False or Unknown, or that reports no Ready condition: " +
				"its kubelet is not (or no longer) heard from, so the control plane cannot trust what runs there or that its pods are still managed.",
			Severity:    finding.High,
			Remediation: "Find why the kubelet is not Ready (kubectl describe node, the kubelet and container runtime logs); drain and replace the node if it cannot be recovered.",
			Controls:    []string{"NIST-800-190:4.3.5"},
			Section:     "4.3.5",
			Needs:       []string{"nodes"},
			Run:         runNodeNotReady,
		},
		&Check{
			ID:    "node-version-skew",
			Title: "Kubelet version outside the skew policy",
			Description: "Fires on a node whose kubelet is newer than the API server, or more than three minor versions older (the Kubernetes version skew policy since 1.28): " +
				"such a kubelet is unsupported, may misread or ignore API fields, and an old one lacks years of security fixes.",
			Severity:    finding.High,
			Remediation: "Upgrade (or replace) the node so that its kubelet is at most three minor versions older than the API server and never newer; upgrade the control plane first.",
			Controls:    []string{"NIST-800-190:4.3.5"},
			Section:     "4.3.5",
			Needs:       []string{"nodes", "/version"},
			Run:         runNodeVersionSkew,
		},
		&Check{
			ID:          "node-unschedulable",
			Title:       "Node cordoned",
			Description: "Reports a node marked unschedulable (cordoned), for the record: no new pods are placed on it, which is expected during maintenance but easy to forget afterwards.",
			Severity:    finding.Info,
			Remediation: "Uncordon the node (kubectl uncordon) when its maintenance is over, or drain and remove it.",
			Controls:    []string{"NIST-800-190:4.3.5"},
			Section:     "4.3.5",
			Needs:       []string{"nodes"},
			Run:         runNodeUnschedulable,
		},
	)
}

// readyCondition returns the node's Ready condition and its index, or -1.
func readyCondition(n *corev1.Node) (corev1.NodeCondition, int) {
	for i, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c, i
		}
	}
	return corev1.NodeCondition{}, -1
}

func runNodeNotReady(inv *inventory.Inventory, cfg *Config) []finding.Finding {
	var out []finding.Finding
	for _, n := range all[*corev1.Node](inv) {
		c, i := readyCondition(n.v)
		if i < 0 {
			out = append(out, report(n.obj, "status.conditions", finding.High, "node %q reports no Ready condition", n.obj.Name))
			continue
		}
		if c.Status == corev1.ConditionTrue {
			continue
		}
		msg := fmt.Sprintf("node %q is not Ready: Ready=%s", n.obj.Name, c.Status)
		if c.Reason != "" {
			msg += " (" + c.Reason + ")"
		}
		if !c.LastTransitionTime.IsZero() {
			msg += " for " + days(max(cfg.Now.Sub(c.LastTransitionTime.Time), 0))
		}
		if c.Message != "" {
			msg += ": " + c.Message
		}
		out = append(out, report(n.obj, inventory.FieldPath("status.conditions").Index(i), finding.High, "%s", msg))
	}
	return out
}

func runNodeVersionSkew(inv *inventory.Inventory, _ *Config) []finding.Finding {
	if inv.Cluster == nil {
		return nil
	}
	server, ok := parseVersion(inv.Cluster.Version)
	if !ok {
		return nil
	}
	var out []finding.Finding
	for _, n := range all[*corev1.Node](inv) {
		kv := n.v.Status.NodeInfo.KubeletVersion
		kubelet, ok := parseVersion(kv)
		if !ok {
			continue
		}
		if p := skewProblem(kubelet, server); p != "" {
			out = append(out, report(n.obj, "status.nodeInfo.kubeletVersion", finding.High,
				"node %q runs kubelet %s against API server %s: %s", n.obj.Name, kv, inv.Cluster.Version, p))
		}
	}
	return out
}

func runNodeUnschedulable(inv *inventory.Inventory, _ *Config) []finding.Finding {
	var out []finding.Finding
	for _, n := range all[*corev1.Node](inv) {
		if n.v.Spec.Unschedulable {
			out = append(out, report(n.obj, "spec.unschedulable", finding.Info,
				"node %q is cordoned (spec.unschedulable: true): no new pods are scheduled to it", n.obj.Name))
		}
	}
	return out
}

// NodeInfo is one row of the node inventory.
type NodeInfo struct {
	Name string
	// Ready is the status of the Ready condition: True, False or Unknown
	// (also when the node reports none).
	Ready string
	// Conditions are the conditions other than Ready that are not in their
	// normal state (False), e.g. MemoryPressure=True.
	Conditions     []string
	KubeletVersion string
	// Skew is the kubelet's distance from the API server, e.g. "-2 minor",
	// or "" when either version is unknown.
	Skew             string
	ContainerRuntime string
	// OSArch is e.g. linux/amd64.
	OSArch string
	// Taints are key=value:Effect, or key:Effect without a value.
	Taints        []string
	Unschedulable bool
	// Age is zero when the node has no creation time.
	Age time.Duration
	// Roles come from node-role.kubernetes.io/<role> labels (and the
	// legacy kubernetes.io/role label), sorted.
	Roles []string
}

// Nodes returns the node inventory, sorted by name. Skews are measured
// against inv.Cluster.Version and ages at now.
func Nodes(inv *inventory.Inventory, now time.Time) []NodeInfo {
	server := ""
	if inv.Cluster != nil {
		server = inv.Cluster.Version
	}
	var out []NodeInfo
	for _, n := range all[*corev1.Node](inv) {
		v := n.v
		info := NodeInfo{
			Name:             n.obj.Name,
			Ready:            string(corev1.ConditionUnknown),
			KubeletVersion:   v.Status.NodeInfo.KubeletVersion,
			Skew:             skewString(v.Status.NodeInfo.KubeletVersion, server),
			ContainerRuntime: v.Status.NodeInfo.ContainerRuntimeVersion,
			OSArch:           osArch(v),
			Unschedulable:    v.Spec.Unschedulable,
			Roles:            nodeRoles(v.Labels),
		}
		if c, i := readyCondition(v); i >= 0 && c.Status != "" {
			info.Ready = string(c.Status)
		}
		for _, c := range v.Status.Conditions {
			if c.Type != corev1.NodeReady && c.Status != corev1.ConditionFalse {
				info.Conditions = append(info.Conditions, fmt.Sprintf("%s=%s", c.Type, c.Status))
			}
		}
		for _, t := range v.Spec.Taints {
			s := t.Key
			if t.Value != "" {
				s += "=" + t.Value
			}
			info.Taints = append(info.Taints, s+":"+string(t.Effect))
		}
		if d, ok := age(v, now); ok {
			info.Age = d
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// osArch returns os/arch from the node's status, else from its
// well-known labels.
func osArch(n *corev1.Node) string {
	os, arch := n.Status.NodeInfo.OperatingSystem, n.Status.NodeInfo.Architecture
	if os == "" {
		os = n.Labels[corev1.LabelOSStable]
	}
	if arch == "" {
		arch = n.Labels[corev1.LabelArchStable]
	}
	if os == "" && arch == "" {
		return ""
	}
	return os + "/" + arch
}

// nodeRoles reads the node-role.kubernetes.io/<role> labels and the legacy
// kubernetes.io/role label.
func nodeRoles(labels map[string]string) []string {
	var roles []string
	add := func(r string) {
		for _, x := range roles {
			if x == r {
				return
			}
		}
		roles = append(roles, r)
	}
	for k := range labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			add(r)
		}
	}
	if r := labels["kubernetes.io/role"]; r != "" {
		add(r)
	}
	sort.Strings(roles)
	return roles
}
