package nodes

import (
	"path"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// HostMountRoot is where the DaemonSet mounts the host's directories.
const HostMountRoot = "/host"

// hostPaths are the host directories the collector reads, all mounted
// read-only: the Kubernetes and kubelet configuration, the systemd units,
// etcd's data directory (for its mode only), the CNI configuration and
// state, kube-proxy's files when it runs on the host, and the user and
// group names.
var hostPaths = []string{
	"/etc/kubernetes", "/var/lib/kubelet", "/etc/systemd/system", "/usr/lib/systemd/system",
	"/lib/systemd/system", "/var/lib/etcd", "/etc/cni/net.d", "/var/lib/cni", "/var/lib/kube-proxy",
	"/etc/passwd", "/etc/group",
}

// optionalHostPaths are absent on some nodes (workers, distributions,
// clusters whose CNI or kube-proxy keeps no files on the host).
var optionalHostPaths = map[string]bool{
	"/var/lib/etcd": true, "/lib/systemd/system": true, "/usr/lib/systemd/system": true,
	"/etc/cni/net.d": true, "/var/lib/cni": true, "/var/lib/kube-proxy": true,
}

// DaemonSet returns the DaemonSet that runs rampart nodes collect on every
// node: hostPID (to read the components' command lines), read-only host
// mounts, and nothing else — no token, no capabilities, no privilege
// escalation, a read-only root file system. The bundle is written to the
// container's log; fetch it with kubectl logs.
func DaemonSet(namespace, image string) *appsv1.DaemonSet {
	labels := map[string]string{"app.kubernetes.io/name": "rampart-nodes-collect"}
	var mounts []corev1.VolumeMount
	var volumes []corev1.Volume
	for _, p := range hostPaths {
		name := strings.Trim(strings.ReplaceAll(p, "/", "-"), "-")
		t := corev1.HostPathDirectory
		if path.Base(p) == "passwd" || path.Base(p) == "group" {
			t = corev1.HostPathFile
		}
		if optionalHostPaths[p] {
			t = corev1.HostPathUnset
		}
		volumes = append(volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: p, Type: &t}}})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: path.Join(HostMountRoot, p), ReadOnly: true})
	}
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "rampart-nodes-collect", Namespace: namespace, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					HostPID:                      true,
					AutomountServiceAccountToken: ptr.To(false),
					Tolerations:                  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					Containers: []corev1.Container{{
						Name:    "collect",
						Image:   image,
						Command: []string{"rampart", "nodes", "collect", "--root", HostMountRoot, "--proc", "/proc", "--keep-running"},
						SecurityContext: &corev1.SecurityContext{
							// Root, to read the root-owned 0600 files the
							// benchmark asks for; no capability beyond that.
							RunAsUser:                ptr.To[int64](0),
							AllowPrivilegeEscalation: ptr.To(false),
							ReadOnlyRootFilesystem:   ptr.To(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
							SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
						},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: mustQuantity("10m"), corev1.ResourceMemory: mustQuantity("32Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceCPU: mustQuantity("200m"), corev1.ResourceMemory: mustQuantity("128Mi")},
						},
						VolumeMounts: mounts,
					}},
					Volumes: volumes,
				},
			},
		},
	}
}

// mustQuantity parses a constant quantity; only called with literals.
func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
