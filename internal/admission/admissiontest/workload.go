package admissiontest

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// BenchPolicy runs the whole workload catalog, the opt-in checks too, in
// warn mode with one check blocking, as a cluster that enforces would.
const BenchPolicy = `apiVersion: rampart.dev/v1alpha1
kind: Policy
trustedRegistries: [registry.example.com/]
checks:
  enable: [image-not-pinned, privileged-port]
webhook:
  admission:
    mode: warn
    checks: {privileged-container: block}
`

// TypicalDeployment is a Deployment of two containers (an app and a
// sidecar) with probes and resources, as the API server sends it: with
// managed fields and status. Its sidecar's image is not pinned by digest,
// which BenchPolicy warns about, so an answer carries a warning and the
// decision log gets a line, as most answers in a real cluster do.
func TypicalDeployment(name string) *appsv1.Deployment {
	yes, no := true, false
	uid := int64(10001)
	replicas := int32(2)
	container := func(name string) corev1.Container {
		return corev1.Container{
			Name:            name,
			Image:           "registry.example.com/shop/" + name + "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			ImagePullPolicy: corev1.PullIfNotPresent,
			Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			Env:             []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes, Privileged: &no,
				Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
			Resources: corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{"cpu": resource.MustParse("500m"), "memory": resource.MustParse("256Mi")},
				Requests: corev1.ResourceList{"cpu": resource.MustParse("100m"), "memory": resource.MustParse("128Mi")},
			},
			LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080)}}},
		}
	}
	sidecar := container("sidecar")
	sidecar.Image = "registry.example.com/shop/sidecar:1.4.2"
	created := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	return &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "shop", Labels: map[string]string{"app": name, "team": "web"},
			Annotations:       map[string]string{"deployment.kubernetes.io/revision": "7"},
			UID:               "5b0c7a4e-8f5e-4c1e-9d0a-0c8e2f6f1a2b",
			ResourceVersion:   "1234567",
			Generation:        7,
			CreationTimestamp: created,
			ManagedFields: []metav1.ManagedFieldsEntry{
				{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "apps/v1", Time: &created,
					FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(managedSpec)},
				{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "apps/v1", Time: &created,
					FieldsType: "FieldsV1", Subresource: "status", FieldsV1: metav1.NewFieldsV1(managedStatus)},
			},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: &no,
					ServiceAccountName:           name,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{container("app"), sidecar},
				},
			},
		},
		Status: appsv1.DeploymentStatus{
			ObservedGeneration: 7, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2,
			Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, LastUpdateTime: created, LastTransitionTime: created,
					Reason: "MinimumReplicasAvailable", Message: "Deployment has minimum availability."},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, LastUpdateTime: created, LastTransitionTime: created,
					Reason: "NewReplicaSetAvailable", Message: `ReplicaSet "` + name + `-7d4b9c8f6" has successfully progressed.`},
			},
		},
	}
}

// The managed fields of a Deployment applied with kubectl and of its
// status, as the API server records them.
const (
	managedSpec = `{"f:metadata":{"f:labels":{".":{},"f:app":{},"f:team":{}}},"f:spec":{"f:replicas":{},"f:selector":{},` +
		`"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:automountServiceAccountToken":{},` +
		`"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{"k:{\"name\":\"LOG_LEVEL\"}":{".":{},"f:name":{},"f:value":{}}},` +
		`"f:image":{},"f:imagePullPolicy":{},"f:livenessProbe":{"f:httpGet":{"f:path":{},"f:port":{}}},"f:name":{},` +
		`"f:ports":{"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:name":{},"f:protocol":{}}},` +
		`"f:readinessProbe":{"f:httpGet":{"f:path":{},"f:port":{}}},"f:resources":{"f:limits":{"f:cpu":{},"f:memory":{}},` +
		`"f:requests":{"f:cpu":{},"f:memory":{}}},"f:securityContext":{"f:allowPrivilegeEscalation":{},"f:capabilities":{"f:drop":{}},` +
		`"f:privileged":{},"f:readOnlyRootFilesystem":{}}},"k:{\"name\":\"sidecar\"}":{".":{},"f:env":{"k:{\"name\":\"LOG_LEVEL\"}":{".":{},` +
		`"f:name":{},"f:value":{}}},"f:image":{},"f:imagePullPolicy":{},"f:livenessProbe":{"f:httpGet":{"f:path":{},"f:port":{}}},` +
		`"f:name":{},"f:ports":{"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:name":{},` +
		`"f:protocol":{}}},"f:readinessProbe":{"f:httpGet":{"f:path":{},"f:port":{}}},"f:resources":{"f:limits":{"f:cpu":{},"f:memory":{}},` +
		`"f:requests":{"f:cpu":{},"f:memory":{}}},"f:securityContext":{"f:allowPrivilegeEscalation":{},"f:capabilities":{"f:drop":{}},` +
		`"f:privileged":{},"f:readOnlyRootFilesystem":{}}}},"f:securityContext":{"f:runAsGroup":{},"f:runAsNonRoot":{},"f:runAsUser":{},` +
		`"f:seccompProfile":{"f:type":{}}},"f:serviceAccountName":{}}}}}`
	managedStatus = `{"f:metadata":{"f:annotations":{".":{},"f:deployment.kubernetes.io/revision":{}}},"f:status":{"f:availableReplicas":{},` +
		`"f:conditions":{".":{},"k:{\"type\":\"Available\"}":{".":{},"f:lastTransitionTime":{},"f:lastUpdateTime":{},"f:message":{},` +
		`"f:reason":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Progressing\"}":{".":{},"f:lastTransitionTime":{},"f:lastUpdateTime":{},` +
		`"f:message":{},"f:reason":{},"f:status":{},"f:type":{}}},"f:observedGeneration":{},"f:readyReplicas":{},"f:replicas":{},` +
		`"f:updatedReplicas":{}}}`
)
