package admission

import (
	"bytes"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"
)

// ManifestOptions shape the objects that run the webhook in a cluster.
type ManifestOptions struct {
	Namespace string
	Name      string
	Image     string
	Replicas  int32
	// CABundle is the PEM CA that signed the serving certificate.
	CABundle []byte
	// URL, when set, is the webhook's base URL (e.g. https://127.0.0.1:8443)
	// instead of its Service, for webhooks run outside the cluster.
	URL string
	// TimeoutSeconds bounds the fail-open workload webhook (default 3);
	// ExecTimeoutSeconds the fail-closed exec webhook (default 10).
	TimeoutSeconds     int32
	ExecTimeoutSeconds int32
	// Policy is the rampart.yaml put in the ConfigMap the pods read.
	Policy []byte
}

func (o *ManifestOptions) defaults() {
	if o.Namespace == "" {
		o.Namespace = "rampart"
	}
	if o.Name == "" {
		o.Name = "rampart-webhook"
	}
	if o.Replicas == 0 {
		o.Replicas = 2
	}
	if o.TimeoutSeconds == 0 {
		o.TimeoutSeconds = 3
	}
	if o.ExecTimeoutSeconds == 0 {
		o.ExecTimeoutSeconds = 10
	}
}

// WorkloadResources are the resources the workload webhook judges.
var WorkloadResources = []admissionregistrationv1.RuleWithOperations{
	rule([]admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}, "", "v1", "pods", "replicationcontrollers", "services"),
	rule([]admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}, "apps", "v1", "deployments", "replicasets", "statefulsets", "daemonsets"),
	rule([]admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}, "batch", "v1", "jobs", "cronjobs"),
}

// ExecResources are the requests exec control judges.
var ExecResources = []admissionregistrationv1.RuleWithOperations{
	rule([]admissionregistrationv1.OperationType{admissionregistrationv1.Connect}, "", "v1", "pods/exec", "pods/attach", "pods/portforward"),
	rule([]admissionregistrationv1.OperationType{admissionregistrationv1.Update}, "", "v1", "pods/ephemeralcontainers"),
}

func rule(ops []admissionregistrationv1.OperationType, group, version string, resources ...string) admissionregistrationv1.RuleWithOperations {
	scope := admissionregistrationv1.NamespacedScope
	return admissionregistrationv1.RuleWithOperations{
		Operations: ops,
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{group}, APIVersions: []string{version}, Resources: resources, Scope: &scope},
	}
}

// WebhookConfiguration returns the ValidatingWebhookConfiguration: workload
// checks fail open with a short timeout (an outage must not stop
// deployments), exec control fails closed (a miss is an escape), and the
// webhook's own namespace is left out so that it can always be repaired.
func WebhookConfiguration(o ManifestOptions) *admissionregistrationv1.ValidatingWebhookConfiguration {
	o.defaults()
	ignore, fail := admissionregistrationv1.Ignore, admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	equivalent := admissionregistrationv1.Equivalent
	notOwn := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpNotIn, Values: []string{o.Namespace},
	}}}
	client := func(path string) admissionregistrationv1.WebhookClientConfig {
		c := admissionregistrationv1.WebhookClientConfig{CABundle: o.CABundle}
		if o.URL != "" {
			u := o.URL + path
			c.URL = &u
		} else {
			port := int32(443)
			c.Service = &admissionregistrationv1.ServiceReference{Namespace: o.Namespace, Name: o.Name, Path: &path, Port: &port}
		}
		return c
	}
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Labels: appLabels(o)},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			{
				Name:                    "workloads.rampart.dev",
				ClientConfig:            client(PathWorkloads),
				Rules:                   WorkloadResources,
				FailurePolicy:           &ignore,
				MatchPolicy:             &equivalent,
				NamespaceSelector:       notOwn,
				SideEffects:             &none,
				TimeoutSeconds:          &o.TimeoutSeconds,
				AdmissionReviewVersions: []string{"v1"},
			},
			{
				Name:                    "exec.rampart.dev",
				ClientConfig:            client(PathExec),
				Rules:                   ExecResources,
				FailurePolicy:           &fail,
				MatchPolicy:             &equivalent,
				NamespaceSelector:       notOwn,
				SideEffects:             &none,
				TimeoutSeconds:          &o.ExecTimeoutSeconds,
				AdmissionReviewVersions: []string{"v1"},
			},
		},
	}
}

func appLabels(o ManifestOptions) map[string]string {
	return map[string]string{"app.kubernetes.io/name": o.Name, "app.kubernetes.io/part-of": "rampart"}
}

// Objects returns everything that runs the webhook: namespace, service
// account, RBAC to watch pods and namespaces, the policy ConfigMap, the
// Service, a two-replica Deployment with a disruption budget, and the
// ValidatingWebhookConfiguration.
func Objects(o ManifestOptions) []runtime.Object {
	o.defaults()
	l := appLabels(o)
	meta := metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: l}
	yes, no := true, false
	uid := int64(65532)
	one := intstr.FromInt32(1)
	return []runtime.Object{
		&corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: o.Namespace, Labels: map[string]string{
			"pod-security.kubernetes.io/enforce": "restricted",
		}}},
		&corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta},
		&rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"}, ObjectMeta: metav1.ObjectMeta{Name: o.Name, Labels: l},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods", "namespaces"}, Verbs: []string{"get", "list", "watch"}}}},
		&rbacv1.ClusterRoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"}, ObjectMeta: metav1.ObjectMeta{Name: o.Name, Labels: l},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: o.Name},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: o.Name, Namespace: o.Namespace}}},
		&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: o.Name + "-policy", Namespace: o.Namespace, Labels: l},
			Data: map[string]string{"rampart.yaml": string(o.Policy)}},
		&corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: meta,
			Spec: corev1.ServiceSpec{Selector: l, Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromString("https")}}}},
		&appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: meta,
			Spec: appsv1.DeploymentSpec{
				Replicas: &o.Replicas,
				Selector: &metav1.LabelSelector{MatchLabels: l},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: l},
					Spec: corev1.PodSpec{
						ServiceAccountName: o.Name,
						SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid,
							SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
						// Two replicas on two nodes: one node's loss keeps exec control answering.
						Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
							Weight: 100, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: corev1.LabelHostname, LabelSelector: &metav1.LabelSelector{MatchLabels: l}},
						}}}},
						Containers: []corev1.Container{{
							Name:  "webhook",
							Image: o.Image,
							Args: []string{"webhook", "serve", "--policy=/etc/rampart/rampart.yaml",
								"--tls-cert=/etc/rampart/tls/tls.crt", "--tls-key=/etc/rampart/tls/tls.key",
								"--listen=:8443", "--service-account=" + o.Namespace + "/" + o.Name},
							// webhook serve lets the heap grow to five times the
							// live heap (--gc-percent); a soft limit under the
							// container's keeps a large pod cache from that growth
							// past it.
							Env:            []corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "448MiB"}},
							Ports:          []corev1.ContainerPort{{Name: "https", ContainerPort: 8443}},
							ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: PathReadyz, Port: intstr.FromString("https"), Scheme: corev1.URISchemeHTTPS}}},
							LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: PathHealthz, Port: intstr.FromString("https"), Scheme: corev1.URISchemeHTTPS}}},
							SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes, Privileged: &no,
								Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
							Resources: corev1.ResourceRequirements{
								Requests: corev1.ResourceList{corev1.ResourceCPU: mustQuantity("100m"), corev1.ResourceMemory: mustQuantity("128Mi")},
								Limits:   corev1.ResourceList{corev1.ResourceCPU: mustQuantity("1"), corev1.ResourceMemory: mustQuantity("512Mi")},
							},
							VolumeMounts: []corev1.VolumeMount{{Name: "policy", MountPath: "/etc/rampart", ReadOnly: true}, {Name: "tls", MountPath: "/etc/rampart/tls", ReadOnly: true}},
						}},
						Volumes: []corev1.Volume{
							{Name: "policy", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: o.Name + "-policy"}}}},
							{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: o.Name + "-tls"}}},
						},
					},
				},
			}},
		&policyv1.PodDisruptionBudget{TypeMeta: metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"}, ObjectMeta: meta,
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &metav1.LabelSelector{MatchLabels: l}}},
		WebhookConfiguration(o),
	}
}

// AuthorizationKubeconfig is the file the API server's webhook authorizer
// reads (--authorization-webhook-config-file, or the kubeConfigFile of a
// structured AuthorizationConfiguration): the webhook's /authorize URL and
// the CA that signed its certificate.
func AuthorizationKubeconfig(baseURL string, ca []byte) ([]byte, error) {
	cfg := clientcmdv1.Config{
		Kind: "Config", APIVersion: "v1",
		Clusters:       []clientcmdv1.NamedCluster{{Name: "rampart", Cluster: clientcmdv1.Cluster{Server: baseURL + PathAuthorize, CertificateAuthorityData: ca}}},
		AuthInfos:      []clientcmdv1.NamedAuthInfo{{Name: "kube-apiserver"}},
		Contexts:       []clientcmdv1.NamedContext{{Name: "rampart", Context: clientcmdv1.Context{Cluster: "rampart", AuthInfo: "kube-apiserver"}}},
		CurrentContext: "rampart",
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding the authorization kubeconfig: %w", err)
	}
	return out, nil
}

// AuthorizationConfig is a structured AuthorizationConfiguration (the
// API server's --authorization-config) that asks Rampart first and RBAC
// next. Rampart's answers are never cached as allowed (it never allows),
// the webhook has a short timeout and, when it fails, gives no opinion,
// so RBAC decides. The match condition keeps Kubernetes' own components
// and system:masters away from the webhook (they are exempt anyway).
func AuthorizationConfig(kubeconfigPath string) []byte {
	return fmt.Appendf(nil, `apiVersion: apiserver.config.k8s.io/v1
kind: AuthorizationConfiguration
authorizers:
- type: Node
  name: node
- type: Webhook
  name: rampart
  webhook:
    timeout: 3s
    subjectAccessReviewVersion: v1
    matchConditionSubjectAccessReviewVersion: v1
    failurePolicy: NoOpinion
    authorizedTTL: 1s
    unauthorizedTTL: 10s
    cacheAuthorizedRequests: false
    cacheUnauthorizedRequests: true
    connectionInfo:
      type: KubeConfigFile
      kubeConfigFile: %s
    matchConditions:
    - expression: "!('system:masters' in request.groups) && !('system:nodes' in request.groups) && !request.user.startsWith('system:kube-')"
- type: RBAC
  name: rbac
`, kubeconfigPath)
}

// RenderYAML writes objects as one YAML stream, without the status and
// creationTimestamp that only the API server fills in.
func RenderYAML(objs []runtime.Object) ([]byte, error) {
	var buf bytes.Buffer
	for i, o := range objs {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return nil, fmt.Errorf("encoding %T: %w", o, err)
		}
		delete(m, "status")
		if spec, ok := m["spec"].(map[string]any); ok && len(spec) == 0 {
			delete(m, "spec")
		}
		if md, ok := m["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		if spec, ok := m["spec"].(map[string]any); ok {
			if tmpl, ok := spec["template"].(map[string]any); ok {
				if md, ok := tmpl["metadata"].(map[string]any); ok {
					delete(md, "creationTimestamp")
				}
			}
		}
		data, err := yaml.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encoding %T: %w", o, err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(data)
	}
	return buf.Bytes(), nil
}

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
