package workload

import (
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// The probe host check follows PSA hostProbesAndHostLifecycleV1Dot34, the
// first and latest version of that check.

func init() {
	register(&Check{
		ID:    "probe-host-field",
		Title: "Probe or lifecycle hook with a host",
		Description: "A probe (liveness, readiness, startup) or lifecycle hook (postStart, preStop) sets httpGet.host or tcpSocket.host; " +
			"the kubelet then connects to that host from the node, which lets a pod make the node reach other hosts on its behalf.",
		Severity:    finding.High,
		Remediation: "Remove host from the probe or hook so that the kubelet connects to the pod's own IP.",
		Controls:    []string{"NIST-800-190:4.3.3", "NIST-800-190:4.4.3", "PSS:baseline/hostProbesAndHostLifecycle"},
		Run: eachContainer(func(c inventory.Container) []Result {
			var out []Result
			probes := []struct {
				field string
				probe *corev1.Probe
			}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}}
			for _, p := range probes {
				if p.probe != nil {
					out = append(out, handlerHosts(c.Path.Key(p.field), p.field, p.probe.HTTPGet, p.probe.TCPSocket)...)
				}
			}
			if lc := c.Lifecycle; lc != nil {
				hooks := []struct {
					field   string
					handler *corev1.LifecycleHandler
				}{{"postStart", lc.PostStart}, {"preStop", lc.PreStop}}
				for _, h := range hooks {
					if h.handler != nil {
						out = append(out, handlerHosts(c.Path.Keys("lifecycle", h.field), h.field, h.handler.HTTPGet, h.handler.TCPSocket)...)
					}
				}
			}
			return out
		}),
	})
}

func handlerHosts(at inventory.FieldPath, what string, http *corev1.HTTPGetAction, tcp *corev1.TCPSocketAction) []Result {
	var out []Result
	if http != nil && http.Host != "" {
		out = append(out, Result{Path: at.Keys("httpGet", "host"), Message: what + " connects to host " + http.Host})
	}
	if tcp != nil && tcp.Host != "" {
		out = append(out, Result{Path: at.Keys("tcpSocket", "host"), Message: what + " connects to host " + tcp.Host})
	}
	return out
}
