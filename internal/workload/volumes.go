package workload

import (
	"reflect"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	corev1 "k8s.io/api/core/v1"
)

// The volume-type check follows PSA restrictedVolumes_1_0 (unchanged up to
// v1.37, with image volumes allowed). Two choices keep it exact for what
// reaches the API server:
//   - hostPath volumes are reported by host-path-volume, which carries the
//     restrictedVolumes control too, so they are not reported twice;
//   - a volume with no source is not reported: the API server defaults it to
//     emptyDir before admission, so PSA never sees it sourceless.

func init() {
	register(&Check{
		ID:    "restricted-volume-types",
		Title: "Volume type outside the restricted set",
		Description: "Under the restricted Pod Security Standard a pod may use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, " +
			"persistentVolumeClaim, projected and secret volumes; other types (nfs, iscsi, gitRepo, cephfs, rbd, in-tree cloud disks, ...) " +
			"let the pod reach storage outside the cluster's control (hostPath is reported by host-path-volume).",
		Severity:    finding.Medium,
		Remediation: "Use a persistentVolumeClaim (backed by a PersistentVolume or a CSI driver) instead of an inline volume of this type.",
		Controls:    []string{"NIST-800-190:4.4.3", "PSS:restricted/restrictedVolumes"},
		Run: func(t *Target) []Result {
			if t.Pod == nil {
				return nil
			}
			var out []Result
			for i := range t.Pod.Spec.Volumes {
				v := &t.Pod.Spec.Volumes[i]
				sources := volumeSources(&v.VolumeSource)
				if len(sources) == 0 || v.HostPath != nil {
					continue
				}
				allowed := false
				for _, s := range sources {
					allowed = allowed || restrictedVolumeTypes[s]
				}
				if !allowed {
					out = append(out, Result{Path: volumePath(t.Pod, i).Key(sources[0]), Message: "volume " + v.Name + " is of type " + sources[0]})
				}
			}
			return out
		},
	})
}

var restrictedVolumeTypes = map[string]bool{
	"configMap": true, "csi": true, "downwardAPI": true, "emptyDir": true, "ephemeral": true, "image": true,
	"persistentVolumeClaim": true, "projected": true, "secret": true,
}

// volumeSources returns the JSON names of the sources a volume sets (one
// in a valid volume). Reading them from the type means a volume type added
// to Kubernetes later is reported until it is reviewed, as PSA does.
func volumeSources(vs *corev1.VolumeSource) []string {
	var out []string
	rv := reflect.ValueOf(vs).Elem()
	for i := range rv.NumField() {
		if f := rv.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	return out
}
