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
			ID:    "privileged-port",
			Title: "Container listens on a privileged port",
			Description: "Fires for each containerPort below 1024; binding it traditionally needs root or NET_BIND_SERVICE, " +
				"a hint that the image expects more privilege than a web service needs.",
			Severity:    finding.Low,
			Remediation: "Make the process listen on a port of 1024 or above, and map the well-known port in the Service (port: 80, targetPort: 8080).",
			Controls:    []string{"NIST-800-190:4.4.3"},
			OptIn:       true,
			Run: eachContainer(func(c inventory.Container) []Result {
				var out []Result
				for i, p := range c.Ports {
					if p.ContainerPort > 0 && p.ContainerPort < 1024 {
						out = append(out, Result{
							Path:    c.Path.Key("ports").Index(i).Key("containerPort"),
							Message: fmt.Sprintf("container %q listens on privileged port %d/%s", c.Name, p.ContainerPort, protocolOf(p.Protocol)),
						})
					}
				}
				return out
			}),
		},
		&Check{
			ID:    "ssh-port",
			Title: "Container exposes SSH",
			Description: "Fires for each container port 22/TCP or port named ssh; an SSH server in a container is a second way in, " +
				"with its own credentials, that bypasses the audited kubectl exec path.",
			Severity:    finding.Low,
			Remediation: "Remove the SSH server from the image and use kubectl exec or kubectl debug, which the API server authorises and audits.",
			Controls:    []string{"NIST-800-190:4.4.2", "NIST-800-190:4.4.3"},
			Run: eachContainer(func(c inventory.Container) []Result {
				var out []Result
				for i, p := range c.Ports {
					tcp := protocolOf(p.Protocol) == corev1.ProtocolTCP
					switch {
					case p.ContainerPort == 22 && tcp:
						out = append(out, Result{Path: c.Path.Key("ports").Index(i).Key("containerPort"), Message: fmt.Sprintf("container %q exposes SSH port 22", c.Name)})
					case strings.EqualFold(p.Name, "ssh"):
						out = append(out, Result{Path: c.Path.Key("ports").Index(i).Key("name"), Message: fmt.Sprintf("container %q exposes a port named %q (%d)", c.Name, p.Name, p.ContainerPort)})
					}
				}
				return out
			}),
		},
	)
}
