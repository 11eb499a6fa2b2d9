package workload

import (
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// Security-context checks follow k8s.io/pod-security-admission v0.37.2 at
// its latest policy version (v1.35+ for runAsNonRoot and runAsUser, v1.25+
// for allowPrivilegeEscalation).

func init() {
	register(
		&Check{
			ID:    "allow-privilege-escalation",
			Title: "Privilege escalation allowed",
			Description: "A process can gain more privileges than its parent (set-user-ID binaries, file capabilities) unless " +
				"securityContext.allowPrivilegeEscalation is explicitly false; as in the Pod Security Standards, an unset field " +
				"counts as allowed (some scanners only flag an explicit true). Windows pods (spec.os.name: windows) are exempt, as in PSA since v1.25.",
			Severity:    finding.Medium,
			Remediation: "Set securityContext.allowPrivilegeEscalation: false on every container, init and ephemeral containers included.",
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.6", "PSS:restricted/allowPrivilegeEscalation"},
			Run:         allowPrivilegeEscalation,
		},
		&Check{
			ID:    "run-as-non-root",
			Title: "Container may run as root",
			Description: "Every container must run with runAsNonRoot: true, set on the container or inherited from the pod; an explicit false " +
				"anywhere is a finding even when the pod sets true. Pods in a user namespace (hostUsers: false) are exempt, as in PSA since v1.35.",
			Severity:    finding.Medium,
			Remediation: "Set spec.securityContext.runAsNonRoot: true (or on each container) and do not set it to false anywhere; build images with a numeric non-root USER.",
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.7", "PSS:restricted/runAsNonRoot"},
			Run:         runAsNonRoot,
		},
		&Check{
			ID:    "run-as-root-user",
			Title: "Runs as user 0",
			Description: "The pod or a container sets runAsUser: 0 explicitly, which runs the process as root whatever the image says. " +
				"Pods in a user namespace (hostUsers: false) are exempt, as in PSA since v1.35.",
			Severity:    finding.Medium,
			Remediation: "Set runAsUser to a non-zero UID, or remove it and let the image's non-root USER apply.",
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.7", "PSS:restricted/runAsUser"},
			Run:         runAsRootUser,
		},
		&Check{
			ID:    "run-as-root-group",
			Title: "Runs with group 0",
			Description: "The pod or a container sets runAsGroup, fsGroup or a supplementalGroups entry to 0, giving the process the root " +
				"group and access to files owned by it. Pods in a user namespace (hostUsers: false) are exempt.",
			Severity:    finding.Low,
			Remediation: "Use a non-zero GID for runAsGroup, fsGroup and supplementalGroups.",
			Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.2.7"},
			Run:         runAsRootGroup,
		},
		&Check{
			ID:    "read-only-root-filesystem",
			Title: "Writable root filesystem",
			Description: "A container whose root filesystem is writable lets an attacker modify binaries and drop tools; " +
				"readOnlyRootFilesystem must be true. Windows pods are exempt (the field is not supported there).",
			Severity:    finding.Medium,
			Remediation: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process must write.",
			Controls:    []string{"NIST-800-190:4.4.4"},
			Run:         readOnlyRootFilesystem,
		},
	)
}

// windowsPod reports whether the pod declares spec.os.name: windows, which
// PSA (v1.25+) exempts from the Linux-only restricted checks.
func windowsPod(s *corev1.PodSpec) bool {
	return s.OS != nil && s.OS.Name == corev1.Windows
}

// userNamespacePod reports whether the pod runs in its own user namespace
// (hostUsers: false), which PSA (v1.35+) relaxes some checks for.
func userNamespacePod(s *corev1.PodSpec) bool {
	return s.HostUsers != nil && !*s.HostUsers
}

// podSecurityContextPath is the path of a field of spec.securityContext.
func podSecurityContextPath(p *inventory.Pod, field ...string) inventory.FieldPath {
	return p.SpecPath.Key("securityContext").Keys(field...)
}

// containerSecurityContextPath is the path of a field of a container's securityContext.
func containerSecurityContextPath(c inventory.Container, field ...string) inventory.FieldPath {
	return c.Path.Keys(append([]string{"securityContext"}, field...)...)
}

// allowPrivilegeEscalation follows allowPrivilegeEscalation_1_25.
func allowPrivilegeEscalation(t *Target) []Result {
	if t.Pod == nil || windowsPod(t.Pod.Spec) {
		return nil
	}
	return eachContainer(func(c inventory.Container) []Result {
		sc := c.SecurityContext
		switch {
		case sc == nil || sc.AllowPrivilegeEscalation == nil:
			return []Result{{Path: containerSecurityContextPath(c, "allowPrivilegeEscalation"), Message: "allowPrivilegeEscalation is not set to false"}}
		case *sc.AllowPrivilegeEscalation:
			return []Result{{Path: containerSecurityContextPath(c, "allowPrivilegeEscalation"), Message: "allowPrivilegeEscalation is true"}}
		}
		return nil
	})(t)
}

// runAsNonRoot follows runAsNonRoot1_35: the pod's false is reported at
// the pod; a container is reported when it sets false, or when it sets
// nothing and the pod does not set true either.
func runAsNonRoot(t *Target) []Result {
	p := t.Pod
	if p == nil || userNamespacePod(p.Spec) {
		return nil
	}
	var out []Result
	podValue := p.Spec.SecurityContext != nil && p.Spec.SecurityContext.RunAsNonRoot != nil
	podTrue := podValue && *p.Spec.SecurityContext.RunAsNonRoot
	if podValue && !podTrue {
		out = append(out, Result{Path: podSecurityContextPath(p, "runAsNonRoot"), Message: "pod sets runAsNonRoot: false"})
	}
	for _, c := range p.Containers() {
		sc := c.SecurityContext
		switch {
		case sc != nil && sc.RunAsNonRoot != nil:
			if !*sc.RunAsNonRoot {
				out = append(out, Result{Path: containerSecurityContextPath(c, "runAsNonRoot"), Container: c.Name, Message: "container sets runAsNonRoot: false"})
			}
		case !podValue:
			// When the pod sets false, the pod's result already covers the
			// containers that inherit it.
			out = append(out, Result{Path: containerSecurityContextPath(c, "runAsNonRoot"), Container: c.Name, Message: "neither the pod nor the container sets runAsNonRoot: true"})
		}
	}
	return out
}

// runAsRootUser follows runAsUser1_35.
func runAsRootUser(t *Target) []Result {
	p := t.Pod
	if p == nil || userNamespacePod(p.Spec) {
		return nil
	}
	var out []Result
	if sc := p.Spec.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		out = append(out, Result{Path: podSecurityContextPath(p, "runAsUser"), Message: "pod sets runAsUser: 0"})
	}
	for _, c := range p.Containers() {
		if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			out = append(out, Result{Path: containerSecurityContextPath(c, "runAsUser"), Container: c.Name, Message: "container sets runAsUser: 0"})
		}
	}
	return out
}

func runAsRootGroup(t *Target) []Result {
	p := t.Pod
	if p == nil || userNamespacePod(p.Spec) {
		return nil
	}
	var out []Result
	if sc := p.Spec.SecurityContext; sc != nil {
		if sc.RunAsGroup != nil && *sc.RunAsGroup == 0 {
			out = append(out, Result{Path: podSecurityContextPath(p, "runAsGroup"), Message: "pod sets runAsGroup: 0"})
		}
		if sc.FSGroup != nil && *sc.FSGroup == 0 {
			out = append(out, Result{Path: podSecurityContextPath(p, "fsGroup"), Message: "pod sets fsGroup: 0"})
		}
		for i, g := range sc.SupplementalGroups {
			if g == 0 {
				out = append(out, Result{Path: podSecurityContextPath(p, "supplementalGroups").Index(i), Message: "pod adds supplemental group 0"})
			}
		}
	}
	for _, c := range p.Containers() {
		if sc := c.SecurityContext; sc != nil && sc.RunAsGroup != nil && *sc.RunAsGroup == 0 {
			out = append(out, Result{Path: containerSecurityContextPath(c, "runAsGroup"), Container: c.Name, Message: "container sets runAsGroup: 0"})
		}
	}
	return out
}

func readOnlyRootFilesystem(t *Target) []Result {
	if t.Pod == nil || windowsPod(t.Pod.Spec) {
		return nil
	}
	return eachContainer(func(c inventory.Container) []Result {
		if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			return []Result{{Path: containerSecurityContextPath(c, "readOnlyRootFilesystem"), Message: "root filesystem is writable"}}
		}
		return nil
	})(t)
}
