package workload

import (
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	corev1 "k8s.io/api/core/v1"
)

// The AppArmor check follows PSA appArmorProfile_1_0 (unchanged up to
// v1.37): both the appArmorProfile fields and the deprecated
// container.apparmor.security.beta.kubernetes.io/* annotations count.

func init() {
	register(&Check{
		ID:    "apparmor",
		Title: "AppArmor profile overridden",
		Description: "The pod or a container sets an AppArmor profile type other than RuntimeDefault or Localhost (such as Unconfined), " +
			"or a container.apparmor.security.beta.kubernetes.io/* annotation to a value other than runtime/default or localhost/<profile>, " +
			"disabling or weakening the default confinement.",
		Severity:    finding.High,
		Remediation: "Remove the override, or set appArmorProfile.type to RuntimeDefault, or Localhost with a reviewed profile.",
		Controls:    []string{"NIST-800-190:4.4.3", "CIS-K8S:5.7.3", "PSS:baseline/appArmorProfile"},
		Run:         appArmor,
	})
}

func allowedAppArmorType(t corev1.AppArmorProfileType) bool {
	return t == corev1.AppArmorProfileTypeRuntimeDefault || t == corev1.AppArmorProfileTypeLocalhost
}

func allowedAppArmorAnnotation(v string) bool {
	return v == "" || v == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault || strings.HasPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
}

func appArmor(t *Target) []Result {
	p := t.Pod
	if p == nil {
		return nil
	}
	var out []Result
	if sc := p.Spec.SecurityContext; sc != nil && sc.AppArmorProfile != nil && !allowedAppArmorType(sc.AppArmorProfile.Type) {
		out = append(out, Result{Path: podSecurityContextPath(p, "appArmorProfile", "type"), Message: "pod sets AppArmor profile type " + strconv.Quote(string(sc.AppArmorProfile.Type))})
	}
	for _, c := range p.Containers() {
		if sc := c.SecurityContext; sc != nil && sc.AppArmorProfile != nil && !allowedAppArmorType(sc.AppArmorProfile.Type) {
			out = append(out, Result{Path: containerSecurityContextPath(c, "appArmorProfile", "type"), Container: c.Name, Message: "container sets AppArmor profile type " + strconv.Quote(string(sc.AppArmorProfile.Type))})
		}
	}
	keys := make([]string, 0, len(p.Meta.Annotations))
	for k := range p.Meta.Annotations {
		if strings.HasPrefix(k, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := p.Meta.Annotations[k]; !allowedAppArmorAnnotation(v) {
			out = append(out, Result{
				Path:      p.MetaPath.Keys("annotations", k),
				Container: strings.TrimPrefix(k, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix),
				Message:   "annotation sets AppArmor profile " + strconv.Quote(v),
			})
		}
	}
	return out
}
