package inventory

import (
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Pod is the pod an object runs, or would run: a Pod's own spec or a
// controller's pod template.
type Pod struct {
	Meta *metav1.ObjectMeta
	Spec *corev1.PodSpec
	// MetaPath and SpecPath locate Meta and Spec inside the object.
	MetaPath FieldPath
	SpecPath FieldPath

	// containers is built once: every check walks the containers, and
	// building their paths per check cost more than the checks.
	once       sync.Once
	containers []Container
}

// PodOf returns the pod of a workload object, or nil for other objects.
func PodOf(o *Object) *Pod {
	switch t := o.Typed.(type) {
	case *corev1.Pod:
		return &Pod{Meta: &t.ObjectMeta, Spec: &t.Spec, MetaPath: "metadata", SpecPath: "spec"}
	case *corev1.PodTemplate:
		return template(&t.Template, "template.metadata", "template.spec")
	case *corev1.ReplicationController:
		if t.Spec.Template == nil {
			return nil
		}
		return template(t.Spec.Template, "spec.template.metadata", "spec.template.spec")
	case *appsv1.Deployment:
		return template(&t.Spec.Template, "spec.template.metadata", "spec.template.spec")
	case *appsv1.StatefulSet:
		return template(&t.Spec.Template, "spec.template.metadata", "spec.template.spec")
	case *appsv1.DaemonSet:
		return template(&t.Spec.Template, "spec.template.metadata", "spec.template.spec")
	case *appsv1.ReplicaSet:
		return template(&t.Spec.Template, "spec.template.metadata", "spec.template.spec")
	case *batchv1.Job:
		return template(&t.Spec.Template, "spec.template.metadata", "spec.template.spec")
	case *batchv1.CronJob:
		return template(&t.Spec.JobTemplate.Spec.Template, "spec.jobTemplate.spec.template.metadata", "spec.jobTemplate.spec.template.spec")
	}
	return nil
}

// template makes the Pod of a pod template; the paths are constants, as
// PodOf runs for every object in every analyzer.
func template(t *corev1.PodTemplateSpec, metaPath, specPath FieldPath) *Pod {
	return &Pod{Meta: &t.ObjectMeta, Spec: &t.Spec, MetaPath: metaPath, SpecPath: specPath}
}

// Container is one container of a pod with where it stands.
type Container struct {
	*corev1.Container
	// Field is "containers", "initContainers" or "ephemeralContainers".
	Field string
	Path  FieldPath
}

// Containers lists init, regular and ephemeral containers, in that order.
// Ephemeral containers are converted to Container, whose fields they share.
// The slice is shared by every caller and must not be modified.
func (p *Pod) Containers() []Container {
	p.once.Do(func() { p.containers = p.listContainers() })
	return p.containers
}

func (p *Pod) listContainers() []Container {
	out := make([]Container, 0, len(p.Spec.InitContainers)+len(p.Spec.Containers)+len(p.Spec.EphemeralContainers))
	for i := range p.Spec.InitContainers {
		out = append(out, Container{Container: &p.Spec.InitContainers[i], Field: "initContainers", Path: p.SpecPath.Key("initContainers").Index(i)})
	}
	for i := range p.Spec.Containers {
		out = append(out, Container{Container: &p.Spec.Containers[i], Field: "containers", Path: p.SpecPath.Key("containers").Index(i)})
	}
	for i := range p.Spec.EphemeralContainers {
		c := corev1.Container(p.Spec.EphemeralContainers[i].EphemeralContainerCommon)
		out = append(out, Container{Container: &c, Field: "ephemeralContainers", Path: p.SpecPath.Key("ephemeralContainers").Index(i)})
	}
	return out
}
