package testcluster_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/rampart-dev/rampart/internal/testcluster"
)

func TestMain(m *testing.M) { testcluster.Main(m, testcluster.Options{}) }

func TestVersionsMatchBuildModules(t *testing.T) {
	for _, tc := range []struct{ dir, module, want string }{
		{"kube-apiserver", "k8s.io/kubernetes", testcluster.KubernetesVersion},
		{"etcd", "go.etcd.io/etcd/server/v3", testcluster.EtcdVersion},
	} {
		data, err := os.ReadFile(filepath.Join("build", tc.dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), tc.module+" "+tc.want+"\n") {
			t.Errorf("build/%s/go.mod does not require %s %s: update the constant or the module", tc.dir, tc.module, tc.want)
		}
	}
}

func TestFindBinariesMissing(t *testing.T) {
	t.Setenv(testcluster.EnvBin, t.TempDir())
	_, err := testcluster.FindBinaries()
	if !errors.Is(err, testcluster.ErrBinariesMissing) {
		t.Fatalf("FindBinaries in an empty directory: got %v, want ErrBinariesMissing", err)
	}
	if !strings.Contains(err.Error(), "scripts/testcluster-binaries.sh") {
		t.Errorf("error %q does not say how to build the binaries", err)
	}
	_, err = testcluster.Start(t.Context(), testcluster.Options{})
	if !errors.Is(err, testcluster.ErrBinariesMissing) {
		t.Fatalf("Start without binaries: got %v, want ErrBinariesMissing", err)
	}
}

func TestStartup(t *testing.T) {
	c := testcluster.Shared(t)
	t.Logf("start-up time: %s", c.StartupTime().Round(time.Millisecond))
	info, err := c.Client().Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if info.GitVersion != testcluster.KubernetesVersion {
		t.Errorf("server version %s, want %s", info.GitVersion, testcluster.KubernetesVersion)
	}
	for _, ns := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem} {
		if _, err := c.Client().CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); err != nil {
			t.Errorf("namespace %s: %v", ns, err)
		}
	}
}

func TestAdminCreatesNamespaceAndConfigMap(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := t.Context()
	ns := createNamespace(t, c, "admin")
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns},
		Data:       map[string]string{"level": "high"},
	}
	if _, err := c.Client().CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Client().CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["level"] != "high" {
		t.Errorf("ConfigMap data %v", got.Data)
	}
}

func TestRBACForImpersonatedUser(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := t.Context()
	ns := createNamespace(t, c, "rbac")
	alice := clientFor(t, c.As("alice"))

	_, err := alice.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("alice lists secrets before any grant: got %v, want Forbidden", err)
	}
	if got := accessReview(t, c, "alice", ns); got {
		t.Errorf("SubjectAccessReview before the grant: allowed, want denied")
	}
	if got := accessReview(t, c, "bob", ns, "system:masters"); !got {
		t.Errorf("SubjectAccessReview for a system:masters member: denied, want allowed")
	}

	grantSecretsReader(t, c, ns, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"})
	eventually(t, "alice may list secrets after the RoleBinding", func() error {
		_, err := alice.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		return err
	})
	if got := accessReview(t, c, "alice", ns); !got {
		t.Errorf("SubjectAccessReview after the grant: denied, want allowed")
	}
	if got := accessReview(t, c, "alice", metav1.NamespaceDefault); got {
		t.Errorf("SubjectAccessReview in another namespace: allowed, want denied")
	}
	// The grant is for list only.
	_, err = alice.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("alice creates a secret: got %v, want Forbidden", err)
	}
}

func TestAsServiceAccount(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := t.Context()
	ns := createNamespace(t, c, "sa")
	robot := clientFor(t, c.AsServiceAccount(ns, "robot"))

	review, err := robot.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u := review.Status.UserInfo
	if want := "system:serviceaccount:" + ns + ":robot"; u.Username != want {
		t.Errorf("user %q, want %q", u.Username, want)
	}
	for _, g := range []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"} {
		if !slices.Contains(u.Groups, g) {
			t.Errorf("groups %v lack %s", u.Groups, g)
		}
	}
	if _, err := robot.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("service account lists secrets before any grant: got %v, want Forbidden", err)
	}
	grantSecretsReader(t, c, ns, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "robot"})
	eventually(t, "the service account may list secrets after the RoleBinding", func() error {
		_, err := robot.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		return err
	})
}

// TestServiceAccountToken checks the service account key flags: a token from
// the TokenRequest API authenticates.
func TestServiceAccountToken(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := t.Context()
	ns := createNamespace(t, c, "token")
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"}}
	if _, err := c.Client().CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := c.Client().CoreV1().ServiceAccounts(ns).CreateToken(ctx, "builder", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.Config()
	cfg.BearerToken = tr.Status.Token
	review, err := clientFor(t, cfg).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "system:serviceaccount:" + ns + ":builder"; review.Status.UserInfo.Username != want {
		t.Errorf("token authenticates as %q, want %q", review.Status.UserInfo.Username, want)
	}
}

func TestNodesAndPrivilegedPods(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := t.Context()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "worker-", Labels: map[string]string{"pool": "sensitive"}},
		Spec:       corev1.NodeSpec{Taints: []corev1.Taint{{Key: "pool", Value: "sensitive", Effect: corev1.TaintEffectNoSchedule}}},
	}
	node, err := c.Client().CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Client().CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The TaintNodesByCondition admission plugin adds a not-ready taint.
	if got.Labels["pool"] != "sensitive" || !slices.ContainsFunc(got.Spec.Taints, func(t corev1.Taint) bool { return t.Key == "pool" }) {
		t.Errorf("node read back as labels %v, taints %v", got.Labels, got.Spec.Taints)
	}

	// CreateNamespace adds the default ServiceAccount that the ServiceAccount
	// admission plugin needs, and the API server allows privileged pods.
	ns := uniqueName("pods")
	if err := c.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	privileged := true
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "root"},
		Spec: corev1.PodSpec{
			NodeName: node.Name,
			Containers: []corev1.Container{{
				Name: "shell", Image: "busybox",
				SecurityContext: &corev1.SecurityContext{Privileged: &privileged},
			}},
		},
	}
	if _, err := c.Client().CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a privileged pod: %v", err)
	}
}

func TestKubeconfig(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name       string
		path       string
		wantDenied bool
	}{
		{"admin", c.Kubeconfig(t), false},
		{"alice", testcluster.KubeconfigFor(t, c.As("alice")), true},
	} {
		cfg, err := clientcmd.BuildConfigFromFlags("", tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, err = clientFor(t, cfg).CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{})
		if tc.wantDenied && !apierrors.IsForbidden(err) || !tc.wantDenied && err != nil {
			t.Errorf("%s lists secrets through the kubeconfig: %v (denial wanted: %t)", tc.name, err, tc.wantDenied)
		}
	}
}

func TestControllerManager(t *testing.T) {
	bins, err := testcluster.FindBinaries()
	if err == nil && bins.KubeControllerManager == "" {
		t.Skip("kube-controller-manager was not built")
	}
	c := testcluster.StartTest(t, testcluster.Options{ControllerManager: true})
	ctx := t.Context()
	ns := createNamespace(t, c, "kcm")
	eventually(t, "a default ServiceAccount in a new namespace", func() error {
		_, err := c.Client().CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	eventually(t, "rules aggregated into ClusterRole view", func() error {
		view, err := c.Client().RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
		if err == nil && len(view.Rules) == 0 {
			err = errors.New("no rules yet")
		}
		return err
	})
}

// createNamespace creates a namespace with a unique name starting with prefix.
func createNamespace(t *testing.T, c *testcluster.Cluster, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	got, err := c.Client().CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return got.Name
}

// uniqueName is prefix with a suffix that differs between runs (-count=N
// reruns tests against the same shared cluster).
func uniqueName(prefix string) string {
	return prefix + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
}

// grantSecretsReader lets subject list secrets in ns.
func grantSecretsReader(t *testing.T, c *testcluster.Cluster, ns string, subject rbacv1.Subject) {
	t.Helper()
	ctx := t.Context()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "secrets-reader", Namespace: ns},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}}},
	}
	if _, err := c.Client().RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "secrets-reader", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secrets-reader"},
		Subjects:   []rbacv1.Subject{subject},
	}
	if _, err := c.Client().RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// accessReview asks the API server whether user (in groups) may list
// secrets in ns.
func accessReview(t *testing.T, c *testcluster.Cluster, user, ns string, groups ...string) bool {
	t.Helper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   user,
		Groups: groups,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: ns, Verb: "list", Resource: "secrets",
		},
	}}
	got, err := c.Client().AuthorizationV1().SubjectAccessReviews().Create(t.Context(), sar, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return got.Status.Allowed
}

func clientFor(t *testing.T, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// eventually retries f for a few seconds: RBAC changes reach the
// authorizer through an informer, a moment after the write.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		err := f()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: still %v", what, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
