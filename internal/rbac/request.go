package rbac

import (
	"strings"

	"github.com/rampart-dev/rampart/internal/inventory"
)

// Request is one API request, with the attributes the authorizer gets.
type Request struct {
	Verb, APIGroup, Resource, Subresource, Namespace, Name string
	// NonResourceURL makes this a non-resource request (such as /healthz)
	// when set; then only Verb matters besides it.
	NonResourceURL string
}

// IsResourceRequest reports whether r is a request for a resource rather
// than a non-resource URL.
func (r Request) IsResourceRequest() bool { return r.NonResourceURL == "" }

// String renders the request the way people say it: "get pods/log -n ns"
// or "get /healthz".
func (r Request) String() string {
	var b strings.Builder
	b.WriteString(r.Verb)
	b.WriteByte(' ')
	if !r.IsResourceRequest() {
		b.WriteString(r.NonResourceURL)
		return b.String()
	}
	b.WriteString(r.Resource)
	if r.APIGroup != "" {
		b.WriteString("." + r.APIGroup)
	}
	if r.Subresource != "" {
		b.WriteString("/" + r.Subresource)
	}
	if r.Name != "" {
		b.WriteString(" " + r.Name)
	}
	if r.Namespace != "" {
		b.WriteString(" -n " + r.Namespace)
	}
	return b.String()
}

// builtinResource is a resource the API server serves out of the box.
type builtinResource struct {
	group, resource string
	namespaced      bool
}

// builtinResources are Kubernetes' own resources (v1.37), for naming a
// resource without its group and knowing which are cluster-scoped without
// asking a server. Offline inputs have no discovery to ask.
var builtinResources = func() []builtinResource {
	var out []builtinResource
	add := func(group string, namespaced bool, resources ...string) {
		for _, r := range resources {
			out = append(out, builtinResource{group, r, namespaced})
		}
	}
	add("", true, "pods", "services", "endpoints", "configmaps", "secrets", "serviceaccounts",
		"persistentvolumeclaims", "replicationcontrollers", "resourcequotas", "limitranges",
		"events", "podtemplates", "bindings")
	add("", false, "nodes", "namespaces", "persistentvolumes", "componentstatuses")
	add("apps", true, "deployments", "statefulsets", "daemonsets", "replicasets", "controllerrevisions")
	add("batch", true, "jobs", "cronjobs")
	add("autoscaling", true, "horizontalpodautoscalers")
	add("policy", true, "poddisruptionbudgets")
	add("networking.k8s.io", true, "networkpolicies", "ingresses")
	add("networking.k8s.io", false, "ingressclasses", "ipaddresses", "servicecidrs")
	add("rbac.authorization.k8s.io", true, "roles", "rolebindings")
	add("rbac.authorization.k8s.io", false, "clusterroles", "clusterrolebindings")
	add("storage.k8s.io", true, "csistoragecapacities")
	add("storage.k8s.io", false, "storageclasses", "volumeattachments", "csidrivers", "csinodes", "volumeattributesclasses")
	add("admissionregistration.k8s.io", false, "validatingwebhookconfigurations", "mutatingwebhookconfigurations",
		"validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings")
	add("apiextensions.k8s.io", false, "customresourcedefinitions")
	add("apiregistration.k8s.io", false, "apiservices")
	add("certificates.k8s.io", false, "certificatesigningrequests", "clustertrustbundles")
	add("coordination.k8s.io", true, "leases")
	add("discovery.k8s.io", true, "endpointslices")
	add("events.k8s.io", true, "events")
	add("flowcontrol.apiserver.k8s.io", false, "flowschemas", "prioritylevelconfigurations")
	add("node.k8s.io", false, "runtimeclasses")
	add("scheduling.k8s.io", false, "priorityclasses")
	add("authentication.k8s.io", false, "tokenreviews", "selfsubjectreviews")
	add("authorization.k8s.io", false, "subjectaccessreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews")
	add("authorization.k8s.io", true, "localsubjectaccessreviews")
	add("resource.k8s.io", true, "resourceclaims", "resourceclaimtemplates")
	add("resource.k8s.io", false, "deviceclasses", "resourceslices")
	return out
}()

// shortNames are kubectl's short names of built-in resources.
var shortNames = map[string]string{
	"po": "pods", "svc": "services", "ep": "endpoints", "cm": "configmaps", "sa": "serviceaccounts",
	"pvc": "persistentvolumeclaims", "rc": "replicationcontrollers", "quota": "resourcequotas",
	"limits": "limitranges", "ev": "events", "no": "nodes", "ns": "namespaces", "pv": "persistentvolumes",
	"cs": "componentstatuses", "deploy": "deployments", "sts": "statefulsets", "ds": "daemonsets",
	"rs": "replicasets", "cj": "cronjobs", "hpa": "horizontalpodautoscalers", "pdb": "poddisruptionbudgets",
	"netpol": "networkpolicies", "ing": "ingresses", "sc": "storageclasses", "crd": "customresourcedefinitions",
	"crds": "customresourcedefinitions", "csr": "certificatesigningrequests", "pc": "priorityclasses",
}

// ResolveResource reads a resource as kubectl does: "deployments",
// "deploy", "deployments.apps" or "deployments.v1.apps". It returns the
// resource and its API group; known is false when the resource is not a
// built-in one (then group is what followed the first dot, or "").
func ResolveResource(s string) (group, resource string, known bool) {
	s = strings.ToLower(s)
	resource, group, dotted := strings.Cut(s, ".")
	if full, ok := shortNames[resource]; ok {
		resource = full
	}
	if dotted {
		// "deployments.v1.apps": drop the version.
		if v, g, ok := strings.Cut(group, "."); ok && len(v) > 1 && v[0] == 'v' && v[1] >= '0' && v[1] <= '9' {
			group = g
		}
		if group == "core" {
			group = ""
		}
		for _, b := range builtinResources {
			if b.resource == resource && b.group == group {
				return group, resource, true
			}
		}
		return group, resource, false
	}
	for _, b := range builtinResources {
		if b.resource == resource {
			return b.group, resource, true
		}
	}
	return "", resource, false
}

// learnScope records the scope of a CustomResourceDefinition's resource.
func (ix *Index) learnScope(o *inventory.Object) {
	if o.Kind != "CustomResourceDefinition" || o.Raw == nil {
		return
	}
	spec, _ := o.Raw["spec"].(map[string]any)
	names, _ := spec["names"].(map[string]any)
	group, _ := spec["group"].(string)
	plural, _ := names["plural"].(string)
	scope, _ := spec["scope"].(string)
	if plural != "" {
		ix.clusterScoped[groupResource{group, plural}] = scope == "Cluster"
	}
}

// CRDGroup returns the API group of a CustomResourceDefinition of the
// inventory whose plural is resource, when exactly one has it.
func (ix *Index) CRDGroup(resource string) (string, bool) {
	group, n := "", 0
	for gr := range ix.clusterScoped {
		if gr.resource == resource {
			group = gr.group
			n++
		}
	}
	return group, n == 1
}

// ClusterScoped reports whether a resource is cluster-scoped: a built-in
// one or a CustomResourceDefinition of the inventory with scope Cluster.
// The authorizer itself does not know scopes (it only sees the request's
// namespace, which the API server leaves empty for cluster-scoped
// resources); callers use this to build the request the API server would.
func (ix *Index) ClusterScoped(group, resource string) bool {
	if v, ok := ix.clusterScoped[groupResource{group, resource}]; ok {
		return v
	}
	for _, b := range builtinResources {
		if b.resource == resource && b.group == group {
			return !b.namespaced
		}
	}
	return false
}

// Normalize returns req as the API server would present it to the
// authorizer: no namespace for a cluster-scoped resource or a
// non-resource URL.
func (ix *Index) Normalize(req Request) Request {
	if !req.IsResourceRequest() || ix.ClusterScoped(req.APIGroup, req.Resource) {
		req.Namespace = ""
	}
	return req
}

// BuiltinResources returns the (group, resource) pairs of Kubernetes' own
// resources, for listing what a subject may do.
func BuiltinResources() [][2]string {
	out := make([][2]string, len(builtinResources))
	for i, b := range builtinResources {
		out[i] = [2]string{b.group, b.resource}
	}
	return out
}
