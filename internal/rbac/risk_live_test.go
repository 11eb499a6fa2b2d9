package rbac

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRiskChecksOnLiveCluster runs every RBAC check on a real API server
// with kube-controller-manager: Kubernetes' own roles, bindings and
// service accounts must not fire (a check that reports the bootstrap
// policy buries the grants people make), and a risky grant and an
// escalation path made on top of them must.
func TestRiskChecksOnLiveCluster(t *testing.T) {
	c := testcluster.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs := c.Client()
	const ns = "rlive-ci"
	if err := c.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	meta := func(namespace, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: namespace, Name: name}
	}
	created := []error{}
	create := func(err error) {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			created = append(created, err)
		}
	}
	_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta(ns, "builder")}, metav1.CreateOptions{})
	create(err)
	_, err = cs.CoreV1().ServiceAccounts("kube-system").Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta("kube-system", "rlive-admin-bot")}, metav1.CreateOptions{})
	create(err)
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: meta("", "rlive-admin-bot"),
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: "rlive-admin-bot"}}}, metav1.CreateOptions{})
	create(err)
	_, err = cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: meta("", "rlive-pod-creator"),
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create"}}}}, metav1.CreateOptions{})
	create(err)
	_, err = cs.RbacV1().RoleBindings("kube-system").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: meta("kube-system", "rlive-ci-builds"),
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "rlive-pod-creator"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "builder"}}}, metav1.CreateOptions{})
	create(err)
	if len(created) > 0 {
		t.Fatalf("set up: %v", created)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = cs.RbacV1().RoleBindings("kube-system").Delete(ctx, "rlive-ci-builds", metav1.DeleteOptions{})
		_ = cs.RbacV1().ClusterRoles().Delete(ctx, "rlive-pod-creator", metav1.DeleteOptions{})
		_ = cs.RbacV1().ClusterRoleBindings().Delete(ctx, "rlive-admin-bot", metav1.DeleteOptions{})
		_ = cs.CoreV1().ServiceAccounts("kube-system").Delete(ctx, "rlive-admin-bot", metav1.DeleteOptions{})
		_ = cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	})

	inv, err := inventory.LoadCluster(ctx, c.Config(), inventory.ClusterOptions{})
	if err != nil {
		t.Fatalf("read cluster: %v", err)
	}
	res := audit.RunChecks(inv, nil, Checks())
	if len(res.NotAssessed) > 0 {
		t.Fatalf("not assessed: %+v", res.NotAssessed)
	}
	var ours, theirs []string
	for _, f := range res.Findings {
		line := fmt.Sprintf("%s %s %s", f.Check, f.Severity, f.Object)
		switch {
		case strings.Contains(f.Object.Name, "rlive-"):
			ours = append(ours, line)
		case strings.HasPrefix(f.Object.Name, "system:") || f.Object.Namespace == "kube-system" || f.Object.Name == "cluster-admin" ||
			slices.Contains([]string{"admin", "edit", "view"}, f.Object.Name):
			theirs = append(theirs, line+": "+f.Message)
		}
	}
	if len(theirs) > 0 {
		t.Errorf("findings on Kubernetes' own objects:\n%s", strings.Join(theirs, "\n"))
	}
	want := []string{
		"cluster-admin-binding high ClusterRoleBinding/rlive-admin-bot",
		"rbac-create-pods high kube-system/RoleBinding/rlive-ci-builds",
		"rbac-escalation-path critical kube-system/RoleBinding/rlive-ci-builds",
	}
	slices.Sort(ours)
	if strings.Join(ours, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings on the test's objects:\n got  %q\n want %q", ours, want)
	}
}
