package workload

import (
	"strconv"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// The SELinux check follows PSA seLinuxOptions1_31 (unchanged up to v1.37),
// which added container_engine_t to the allowed types.

func init() {
	register(&Check{
		ID:    "selinux-options",
		Title: "SELinux options overridden",
		Description: "The pod or a container sets an SELinux type other than container_t, container_init_t, container_kvm_t or container_engine_t, " +
			"or sets an SELinux user or role, which can remove the confinement of the container (for example spc_t or unconfined_t).",
		Severity:    finding.High,
		Remediation: "Remove seLinuxOptions.type, user and role, or use one of the allowed container types; setting only level is allowed.",
		Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.7.3", "PSS:baseline/seLinuxOptions"},
		Run:         seLinuxOptions,
	})
}

var allowedSELinuxTypes = map[string]bool{"": true, "container_t": true, "container_init_t": true, "container_kvm_t": true, "container_engine_t": true}

func seLinuxResults(opts *corev1.SELinuxOptions, at inventory.FieldPath, who string) []Result {
	if opts == nil {
		return nil
	}
	var out []Result
	if !allowedSELinuxTypes[opts.Type] {
		out = append(out, Result{Path: at.Key("type"), Message: who + " sets SELinux type " + strconv.Quote(opts.Type)})
	}
	if opts.User != "" {
		out = append(out, Result{Path: at.Key("user"), Message: who + " sets SELinux user " + strconv.Quote(opts.User)})
	}
	if opts.Role != "" {
		out = append(out, Result{Path: at.Key("role"), Message: who + " sets SELinux role " + strconv.Quote(opts.Role)})
	}
	return out
}

func seLinuxOptions(t *Target) []Result {
	p := t.Pod
	if p == nil {
		return nil
	}
	var out []Result
	if sc := p.Spec.SecurityContext; sc != nil {
		out = seLinuxResults(sc.SELinuxOptions, podSecurityContextPath(p, "seLinuxOptions"), "pod")
	}
	return append(out, eachContainer(func(c inventory.Container) []Result {
		if c.SecurityContext == nil {
			return nil
		}
		return seLinuxResults(c.SecurityContext.SELinuxOptions, containerSecurityContextPath(c, "seLinuxOptions"), "container")
	})(t)...)
}
