package testcluster

import (
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WaitAllowed waits, up to 10 seconds, until a SubjectAccessReview says
// that user in exactly groups (none are added) may do attrs, and fails t
// otherwise. The RBAC authorizer learns of new roles and bindings through
// informers, a moment after they are written: call it after a grant and
// before acting as its subject, or asking what the grant allows.
func (c *Cluster) WaitAllowed(t testing.TB, user string, groups []string, attrs authorizationv1.ResourceAttributes) {
	t.Helper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: user, Groups: groups, ResourceAttributes: &attrs}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := c.client.AuthorizationV1().SubjectAccessReviews().Create(t.Context(), sar, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("SubjectAccessReview for %s %v %+v: %v", user, groups, attrs, err)
		}
		if got.Status.Allowed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %v still may not %+v after 10s: %s", user, groups, attrs, got.Status.Reason)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
