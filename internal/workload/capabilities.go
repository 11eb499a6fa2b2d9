package workload

import (
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// The two PSS capability checks compare capability names exactly as PSA
// does (capabilitiesBaseline_1_0, capabilitiesRestricted_1_25): "chown" is
// not "CHOWN" and dropping "all" is not dropping "ALL", although container
// runtimes accept both spellings. The other capability checks normalise
// names (case, CAP_ prefix) the way runtimes do, so that they see what runs.

func init() {
	register(
		&Check{
			ID:    "capabilities-baseline",
			Title: "Capability outside the baseline set",
			Description: "A container adds a Linux capability outside the Pod Security Standards baseline set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, " +
				"FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT); names are compared exactly, as PSA does.",
			Severity:    finding.High,
			Remediation: "Remove the capability from securityContext.capabilities.add, spelled in upper case without CAP_ if it is in the baseline set.",
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.9", "PSS:baseline/capabilities_baseline"},
			Run: eachContainer(func(c inventory.Container) []Result {
				var out []Result
				for i, capability := range addedCapabilities(c) {
					if !baselineCapabilities[string(capability)] {
						out = append(out, Result{Path: capabilityPath(c, "add", i), Message: "adds capability " + string(capability) + ", outside the baseline set"})
					}
				}
				return out
			}),
		},
		&Check{
			ID:    "capabilities-drop-all",
			Title: "Capabilities not restricted",
			Description: "Under the restricted Pod Security Standard every container must drop ALL capabilities (upper case) and may add back only " +
				"NET_BIND_SERVICE. Windows pods (spec.os.name: windows) are exempt, as in PSA since v1.25.",
			Severity:    finding.Medium,
			Remediation: `Set securityContext.capabilities.drop: ["ALL"] and add back at most NET_BIND_SERVICE.`,
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.9", "CIS-K8S:5.2.10", "PSS:restricted/capabilities_restricted"},
			Run:         capabilitiesDropAll,
		},
		&Check{
			ID:          "cap-sys-admin",
			Title:       "SYS_ADMIN capability added",
			Description: "A container adds SYS_ADMIN (or ALL), which allows mounting filesystems, using many namespaces and devices and is close to privileged: a common escape route.",
			Severity:    finding.Critical,
			Remediation: "Remove SYS_ADMIN and ALL from securityContext.capabilities.add; grant the specific, narrower capability the process needs.",
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.9"},
			Run: eachContainer(func(c inventory.Container) []Result {
				var out []Result
				for i, capability := range addedCapabilities(c) {
					if n := normalCapability(capability); n == "SYS_ADMIN" || n == "ALL" {
						out = append(out, Result{Path: capabilityPath(c, "add", i), Message: "adds capability " + string(capability)})
					}
				}
				return out
			}),
		},
		&Check{
			ID:    "cap-net-raw",
			Title: "NET_RAW capability not dropped",
			Description: "A container keeps NET_RAW, which runtimes grant by default and which allows raw sockets for ARP and DNS spoofing on the pod network: " +
				"the check fires when neither NET_RAW nor ALL is in capabilities.drop, or when NET_RAW or ALL is added back. Windows pods are exempt.",
			Severity:    finding.Medium,
			Remediation: `Add NET_RAW (or better, ALL) to securityContext.capabilities.drop and do not add it back.`,
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.8"},
			Run:         capNetRaw,
		},
		&Check{
			ID:    "dangerous-capabilities",
			Title: "Dangerous capability added",
			Description: "A container adds a capability that breaks isolation or reaches the kernel or other processes (SYS_PTRACE, SYS_MODULE, NET_ADMIN, " +
				"SYS_RAWIO, DAC_READ_SEARCH, BPF, PERFMON, SYS_BOOT, SYS_TIME, MAC_ADMIN, MAC_OVERRIDE, SYSLOG, ...); SYS_ADMIN and ALL are reported by cap-sys-admin.",
			Severity:    finding.High,
			Remediation: "Remove the capability from securityContext.capabilities.add, or isolate the workload that truly needs it on dedicated nodes.",
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.9"},
			Run: eachContainer(func(c inventory.Container) []Result {
				var out []Result
				for i, capability := range addedCapabilities(c) {
					if dangerousCapabilities[normalCapability(capability)] {
						out = append(out, Result{Path: capabilityPath(c, "add", i), Message: "adds capability " + string(capability)})
					}
				}
				return out
			}),
		},
	)
}

// baselineCapabilities is capabilities_allowed_1_0 of PSA.
var baselineCapabilities = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true, "KILL": true, "MKNOD": true,
	"NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true, "SETUID": true, "SYS_CHROOT": true,
}

var dangerousCapabilities = map[string]bool{
	"SYS_PTRACE": true, "SYS_MODULE": true, "NET_ADMIN": true, "SYS_RAWIO": true, "DAC_READ_SEARCH": true, "BPF": true,
	"PERFMON": true, "SYS_BOOT": true, "SYS_TIME": true, "MAC_ADMIN": true, "MAC_OVERRIDE": true, "SYSLOG": true,
	"LINUX_IMMUTABLE": true, "SYS_RESOURCE": true, "CHECKPOINT_RESTORE": true, "AUDIT_CONTROL": true, "AUDIT_READ": true,
}

func addedCapabilities(c inventory.Container) []corev1.Capability {
	if c.SecurityContext == nil || c.SecurityContext.Capabilities == nil {
		return nil
	}
	return c.SecurityContext.Capabilities.Add
}

func droppedCapabilities(c inventory.Container) []corev1.Capability {
	if c.SecurityContext == nil || c.SecurityContext.Capabilities == nil {
		return nil
	}
	return c.SecurityContext.Capabilities.Drop
}

// normalCapability spells a capability the way container runtimes read it:
// upper case, without the CAP_ prefix.
func normalCapability(c corev1.Capability) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(string(c))), "CAP_")
}

func capabilityPath(c inventory.Container, list string, i int) inventory.FieldPath {
	p := containerSecurityContextPath(c, "capabilities", list)
	if i >= 0 {
		p = p.Index(i)
	}
	return p
}

// capabilitiesDropAll follows capabilitiesRestricted_1_25.
func capabilitiesDropAll(t *Target) []Result {
	if t.Pod == nil || windowsPod(t.Pod.Spec) {
		return nil
	}
	return eachContainer(func(c inventory.Container) []Result {
		var out []Result
		drop := droppedCapabilities(c)
		if !slices.Contains(drop, "ALL") {
			msg := "capabilities.drop does not include ALL"
			if slices.ContainsFunc(drop, func(d corev1.Capability) bool { return normalCapability(d) == "ALL" }) {
				msg = `capabilities.drop spells ALL in another case, which PSA does not accept`
			}
			out = append(out, Result{Path: capabilityPath(c, "drop", -1), Message: msg})
		}
		for i, capability := range addedCapabilities(c) {
			if capability != "NET_BIND_SERVICE" {
				out = append(out, Result{Path: capabilityPath(c, "add", i), Message: "adds capability " + string(capability) + "; only NET_BIND_SERVICE may be added"})
			}
		}
		return out
	})(t)
}

func capNetRaw(t *Target) []Result {
	if t.Pod == nil || windowsPod(t.Pod.Spec) {
		return nil
	}
	return eachContainer(func(c inventory.Container) []Result {
		for i, capability := range addedCapabilities(c) {
			if n := normalCapability(capability); n == "NET_RAW" || n == "ALL" {
				return []Result{{Path: capabilityPath(c, "add", i), Message: "adds capability " + string(capability) + ", which includes NET_RAW"}}
			}
		}
		if !slices.ContainsFunc(droppedCapabilities(c), func(d corev1.Capability) bool {
			n := normalCapability(d)
			return n == "NET_RAW" || n == "ALL"
		}) {
			return []Result{{Path: capabilityPath(c, "drop", -1), Message: "NET_RAW is not dropped"}}
		}
		return nil
	})(t)
}
