package workload

import (
	"path"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	register(
		&Check{
			ID:          "host-path-volume",
			Title:       "hostPath volume",
			Description: "A hostPath volume mounts a file or directory of the node into the pod, so the pod depends on the node and can read or change what it mounts.",
			Severity:    finding.High,
			Remediation: "Replace the hostPath volume with a configMap, secret, emptyDir, persistentVolumeClaim or CSI volume.",
			// A hostPath volume also fails restrictedVolumes; reporting it
			// here keeps restricted-volume-types from repeating it.
			Controls: []string{"NIST-800-190:4.5.5", "NIST-800-190:4.4.3", "CIS-K8S:5.2.12", "PSS:baseline/hostPathVolumes", "PSS:restricted/restrictedVolumes"},
			Run: eachHostPath(func(p *inventory.Pod, i int, v *corev1.Volume) []Result {
				return []Result{{Path: volumePath(p, i).Key("hostPath"), Message: "volume " + v.Name + " mounts host path " + v.HostPath.Path}}
			}),
		},
		&Check{
			ID:    "host-path-sensitive",
			Title: "Sensitive host path mounted",
			Description: "A hostPath volume mounts, contains or lies inside a sensitive node directory (/, /etc, /proc, /sys, /root, /home, /boot, /dev, " +
				"/usr, /var/log, /var/lib/kubelet, /var/lib/etcd, the container runtimes' state, ...), exposing credentials, kubelet and etcd state or the node's binaries.",
			Severity:    finding.Critical,
			Remediation: "Do not mount node system directories; if an agent truly needs node data, mount the narrowest path read-only and run it in a dedicated, isolated namespace.",
			Controls:    []string{"NIST-800-190:4.5.5", "NIST-800-190:4.4.3", "CIS-K8S:5.2.12"},
			Run: eachHostPath(func(p *inventory.Pod, i int, v *corev1.Volume) []Result {
				if dir, ok := overlapsAny(v.HostPath.Path, sensitiveHostPaths); ok {
					return []Result{{Path: volumePath(p, i).Keys("hostPath", "path"), Message: "volume " + v.Name + " mounts host path " + v.HostPath.Path + ", which overlaps " + dir}}
				}
				return nil
			}),
		},
		&Check{
			ID:    "host-path-runtime-socket",
			Title: "Container runtime socket mounted",
			Description: "A hostPath volume exposes the container runtime's API socket (docker.sock, containerd.sock, crio.sock, cri-dockerd.sock, " +
				"podman.sock, the Docker named pipe) or a directory holding it; whoever reaches it can start a privileged container and own the node.",
			Severity:    finding.Critical,
			Remediation: "Do not mount the container runtime socket; use the Kubernetes API, or a purpose-built agent with a narrow, audited interface.",
			Controls:    []string{"NIST-800-190:4.4.3", "NIST-800-190:4.5.5", "CIS-K8S:5.2.12"},
			Run: eachHostPath(func(p *inventory.Pod, i int, v *corev1.Volume) []Result {
				if what, ok := runtimeSocket(v.HostPath.Path); ok {
					return []Result{{Path: volumePath(p, i).Keys("hostPath", "path"), Message: "volume " + v.Name + " exposes the runtime socket " + what}}
				}
				return nil
			}),
		},
		&Check{
			ID:          "host-path-writable",
			Title:       "hostPath mounted writable",
			Description: "A container mounts a hostPath volume without readOnly: true, so it can change files on the node.",
			Severity:    finding.High,
			Remediation: "Set readOnly: true on every volumeMount of a hostPath volume, or remove the volume.",
			Controls:    []string{"NIST-800-190:4.5.5", "CIS-K8S:5.2.12"},
			Run:         hostPathWritable,
		},
	)
}

func volumePath(p *inventory.Pod, i int) inventory.FieldPath {
	return p.SpecPath.Key("volumes").Index(i)
}

// eachHostPath runs fn on every hostPath volume of the pod.
func eachHostPath(fn func(p *inventory.Pod, i int, v *corev1.Volume) []Result) func(t *Target) []Result {
	return func(t *Target) []Result {
		if t.Pod == nil {
			return nil
		}
		var out []Result
		for i := range t.Pod.Spec.Volumes {
			if v := &t.Pod.Spec.Volumes[i]; v.HostPath != nil {
				out = append(out, fn(t.Pod, i, v)...)
			}
		}
		return out
	}
}

// sensitiveHostPaths are node directories whose exposure gives away the
// node: a hostPath that is one of them, inside one, or an ancestor of one
// (such as /var, which holds /var/lib/kubelet) is sensitive.
var sensitiveHostPaths = []string{
	"/boot", "/dev", "/etc", "/home", "/proc", "/root", "/sys",
	"/bin", "/sbin", "/lib", "/lib64", "/usr",
	"/var/lib/kubelet", "/var/lib/etcd", "/var/lib/docker", "/var/lib/containerd", "/var/lib/containers",
	"/var/lib/cri-o", "/var/lib/rancher", "/var/log",
}

// runtimeSocketPaths are where container runtimes put their API sockets.
var runtimeSocketPaths = []string{
	"/var/run/docker.sock", "/run/docker.sock", "/var/run/docker", "/run/docker",
	"/var/run/containerd", "/run/containerd", "/run/k3s/containerd",
	"/var/run/crio", "/run/crio",
	"/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock",
	"/var/run/dockershim.sock", "/run/dockershim.sock",
	"/var/run/podman", "/run/podman",
}

var runtimeSocketNames = map[string]bool{
	"docker.sock": true, "containerd.sock": true, "crio.sock": true, "cri-dockerd.sock": true,
	"dockershim.sock": true, "podman.sock": true, "containerd-shim.sock": true,
}

// cleanHostPath normalises a Linux host path; other forms are returned as they are.
func cleanHostPath(p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return p
}

// overlapsAny reports the first directory in dirs that p is, is inside or contains.
func overlapsAny(p string, dirs []string) (string, bool) {
	p = cleanHostPath(p)
	if p == "/" {
		return "/", true
	}
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") || strings.HasPrefix(d, p+"/") {
			return d, true
		}
	}
	return "", false
}

// runtimeSocket reports whether a host path is, or holds, a container runtime socket.
func runtimeSocket(p string) (string, bool) {
	lower := strings.ToLower(p)
	if strings.Contains(lower, `\pipe\docker_engine`) || strings.Contains(lower, `\pipe\containerd-containerd`) {
		return p, true
	}
	if runtimeSocketNames[path.Base(cleanHostPath(p))] {
		return path.Base(cleanHostPath(p)), true
	}
	return overlapsAny(p, runtimeSocketPaths)
}

func hostPathWritable(t *Target) []Result {
	if t.Pod == nil {
		return nil
	}
	hostPaths := map[string]bool{}
	for _, v := range t.Pod.Spec.Volumes {
		if v.HostPath != nil {
			hostPaths[v.Name] = true
		}
	}
	if len(hostPaths) == 0 {
		return nil
	}
	return eachContainer(func(c inventory.Container) []Result {
		var out []Result
		for i, m := range c.VolumeMounts {
			if hostPaths[m.Name] && !m.ReadOnly {
				out = append(out, Result{Path: c.Path.Key("volumeMounts").Index(i).Key("readOnly"), Message: "hostPath volume " + m.Name + " is mounted writable at " + m.MountPath})
			}
		}
		return out
	})(t)
}
