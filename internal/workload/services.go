package workload

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	register(
		&Check{
			ID:          "service-nodeport",
			Title:       "NodePort Service",
			Description: "Fires for each Service of type NodePort; it opens its ports on every node's addresses, around any ingress controller or load balancer in front of the cluster.",
			Severity:    finding.Medium,
			Remediation: "Use a ClusterIP Service behind an Ingress or Gateway, or a LoadBalancer restricted with loadBalancerSourceRanges.",
			Controls:    []string{"NIST-800-190:4.3.3", "NIST-800-190:4.4.2"},
			Run: eachService(func(s *corev1.Service) []Result {
				if s.Spec.Type != corev1.ServiceTypeNodePort {
					return nil
				}
				ports := make([]string, 0, len(s.Spec.Ports))
				for _, p := range s.Spec.Ports {
					desc := fmt.Sprintf("%d/%s", p.Port, protocolOf(p.Protocol))
					if p.NodePort != 0 {
						desc += fmt.Sprintf(" (nodePort %d)", p.NodePort)
					}
					ports = append(ports, desc)
				}
				return []Result{{Path: "spec.type", Message: fmt.Sprintf("Service %q is of type NodePort and opens %s on every node", s.Name, orNone(ports, "its ports"))}}
			}),
		},
		&Check{
			ID:    "service-loadbalancer",
			Title: "LoadBalancer Service open to any source",
			Description: "Fires for each Service of type LoadBalancer without loadBalancerSourceRanges (or the older source-ranges annotation), or with 0.0.0.0/0 or ::/0 among them; " +
				"Services marked internal by a known cloud provider annotation are skipped.",
			Severity:    finding.Medium,
			Remediation: "Set spec.loadBalancerSourceRanges to the client networks that need the Service, or make the load balancer internal.",
			Controls:    []string{"NIST-800-190:4.3.3", "NIST-800-190:4.4.2"},
			Run:         eachService(openLoadBalancer),
		},
		&Check{
			ID:    "service-external-ips",
			Title: "Service with externalIPs",
			Description: "Fires for each address in a Service's spec.externalIPs; kube-proxy on every node captures traffic to it, " +
				"so whoever may set externalIPs can intercept any address (CVE-2020-8554).",
			Severity:    finding.High,
			Remediation: "Remove spec.externalIPs and use a LoadBalancer or Ingress; deny externalIPs cluster-wide with the DenyServiceExternalIPs admission plugin or a policy.",
			Controls:    []string{"NIST-800-190:4.3.3", "NIST-800-190:4.4.2"},
			Run: eachService(func(s *corev1.Service) []Result {
				var out []Result
				for i, ip := range s.Spec.ExternalIPs {
					out = append(out, Result{
						Path:    inventory.FieldPath("spec.externalIPs").Index(i),
						Message: fmt.Sprintf("Service %q captures traffic to external IP %s on every node (CVE-2020-8554)", s.Name, ip),
					})
				}
				return out
			}),
		},
	)
}

// eachService adapts a function on a Service into a check that runs only
// on Services.
func eachService(fn func(s *corev1.Service) []Result) func(t *Target) []Result {
	return func(t *Target) []Result {
		if s, ok := t.Object.Typed.(*corev1.Service); ok {
			return fn(s)
		}
		return nil
	}
}

func protocolOf(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

func orNone(items []string, none string) string {
	if len(items) == 0 {
		return none
	}
	return strings.Join(items, ", ")
}

// sourceRangesAnnotation is the annotation that preceded
// spec.loadBalancerSourceRanges; cloud providers still honour it.
const sourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"

// internalLBAnnotations are cloud provider annotations that make a load
// balancer internal, with the values that do; an empty value list means any
// value but "false".
var internalLBAnnotations = map[string][]string{
	"service.beta.kubernetes.io/aws-load-balancer-internal":              nil,
	"service.beta.kubernetes.io/aws-load-balancer-scheme":                {"internal"},
	"service.beta.kubernetes.io/azure-load-balancer-internal":            {"true"},
	"networking.gke.io/load-balancer-type":                               {"internal"},
	"cloud.google.com/load-balancer-type":                                {"internal"},
	"service.beta.kubernetes.io/openstack-internal-load-balancer":        {"true"},
	"service.beta.kubernetes.io/oci-load-balancer-internal":              {"true"},
	"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type":     {"private"},
	"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": {"intranet"},
}

// internalLoadBalancer reports whether annotations make the load balancer
// internal.
func internalLoadBalancer(ann map[string]string) bool {
	for k, v := range ann {
		vals, ok := internalLBAnnotations[k]
		if !ok {
			continue
		}
		v = strings.ToLower(strings.TrimSpace(v))
		if vals == nil && v != "" && v != "false" {
			return true
		}
		for _, want := range vals {
			if v == want {
				return true
			}
		}
	}
	return false
}

func openToAll(cidr string) bool {
	switch strings.TrimSpace(cidr) {
	case "0.0.0.0/0", "::/0":
		return true
	}
	return false
}

func openLoadBalancer(s *corev1.Service) []Result {
	if s.Spec.Type != corev1.ServiceTypeLoadBalancer || internalLoadBalancer(s.Annotations) {
		return nil
	}
	// spec.loadBalancerSourceRanges wins over the annotation when set.
	if len(s.Spec.LoadBalancerSourceRanges) > 0 {
		var out []Result
		for i, r := range s.Spec.LoadBalancerSourceRanges {
			if openToAll(r) {
				out = append(out, Result{Path: inventory.FieldPath("spec.loadBalancerSourceRanges").Index(i), Message: fmt.Sprintf("LoadBalancer Service %q accepts traffic from %s", s.Name, strings.TrimSpace(r))})
			}
		}
		return out
	}
	if ann := strings.TrimSpace(s.Annotations[sourceRangesAnnotation]); ann != "" {
		var open []string
		for _, r := range strings.Split(ann, ",") {
			if openToAll(r) {
				open = append(open, strings.TrimSpace(r))
			}
		}
		if len(open) == 0 {
			return nil
		}
		return []Result{{Path: inventory.FieldPath("metadata.annotations").Key(sourceRangesAnnotation), Message: fmt.Sprintf("LoadBalancer Service %q accepts traffic from %s", s.Name, strings.Join(open, ", "))}}
	}
	return []Result{{Path: "spec.loadBalancerSourceRanges", Message: fmt.Sprintf("LoadBalancer Service %q has no loadBalancerSourceRanges, so it accepts traffic from any address", s.Name)}}
}
