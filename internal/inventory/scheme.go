package inventory

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// scheme knows the kinds Rampart decodes into typed objects; other kinds
// stay unstructured and are still available to analyzers through Raw
// (and Object.Unstructured).
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme,
		rbacv1.AddToScheme, networkingv1.AddToScheme, policyv1.AddToScheme,
		admissionregistrationv1.AddToScheme, certificatesv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err) // programming error: the k8s.io/api schemes always register
		}
	}
	return s
}()

// newTyped returns an empty typed object for apiVersion/kind, or nil.
func newTyped(apiVersion, kind string) runtime.Object {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil
	}
	obj, err := scheme.New(gv.WithKind(kind))
	if err != nil {
		return nil
	}
	return obj
}
