package workload

import (
	"github.com/rampart-dev/rampart/internal/finding"
)

// The sysctl check follows PSA sysctlsV1Dot37, the latest safe set.

func init() {
	register(&Check{
		ID:    "sysctls-unsafe",
		Title: "Unsafe sysctl",
		Description: "The pod sets a sysctl outside the namespaced, isolated safe set of the Pod Security Standards (v1.37: kernel.shm_rmid_forced, " +
			"net.ipv4.ip_local_port_range, net.ipv4.ip_local_reserved_ports, net.ipv4.ip_unprivileged_port_start, net.ipv4.ping_group_range, " +
			"net.ipv4.tcp_syncookies, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_fin_timeout, " +
			"net.ipv4.tcp_rmem, net.ipv4.tcp_wmem, net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat); others can affect the whole node.",
		Severity:    finding.High,
		Remediation: "Remove the sysctl from spec.securityContext.sysctls, or set it on the node for dedicated nodes only.",
		Controls:    []string{"NIST-800-190:4.4.3", "PSS:baseline/sysctls"},
		Run: func(t *Target) []Result {
			if t.Pod == nil || t.Pod.Spec.SecurityContext == nil {
				return nil
			}
			var out []Result
			for i, s := range t.Pod.Spec.SecurityContext.Sysctls {
				if !safeSysctls[s.Name] {
					out = append(out, Result{Path: podSecurityContextPath(t.Pod, "sysctls").Index(i).Key("name"), Message: "pod sets unsafe sysctl " + s.Name})
				}
			}
			return out
		},
	})
}

// safeSysctls is sysctlsAllowedV1Dot37 of PSA.
var safeSysctls = map[string]bool{
	"kernel.shm_rmid_forced":              true,
	"net.ipv4.ip_local_port_range":        true,
	"net.ipv4.tcp_syncookies":             true,
	"net.ipv4.ping_group_range":           true,
	"net.ipv4.ip_unprivileged_port_start": true,
	"net.ipv4.ip_local_reserved_ports":    true, // v1.27
	"net.ipv4.tcp_keepalive_time":         true, // v1.29
	"net.ipv4.tcp_fin_timeout":            true,
	"net.ipv4.tcp_keepalive_intvl":        true,
	"net.ipv4.tcp_keepalive_probes":       true,
	"net.ipv4.tcp_rmem":                   true, // v1.32
	"net.ipv4.tcp_wmem":                   true,
	"net.ipv4.tcp_slow_start_after_idle":  true, // v1.37
	"net.ipv4.tcp_notsent_lowat":          true,
}
