package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/admission"
	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
	"github.com/rampart-dev/rampart/internal/testcluster"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clientscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// warnings collects the warnings the API server returns to a client.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "\n")
}

const webhookTestPolicy = `apiVersion: rampart.dev/v1alpha1
kind: Policy
webhook:
  admission:
    mode: audit
    checks: {privileged-container: block, image-latest-tag: warn}
  authorization:
    mode: %s
    rules:
    - name: test-team-secrets
      subjects: {groups: [test-team]}
      verbs: [get, list, watch]
      apiGroups: [""]
      resources: [secrets]
      namespaces: [test]
`

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func webhookDeployment(name, image string, privileged bool) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image, SecurityContext: &corev1.SecurityContext{Privileged: &privileged}}}},
			},
		},
	}
}

// TestWebhookEndToEnd runs rampart webhook serve against a real API server
// that calls it for admission (a ValidatingWebhookConfiguration) and for
// authorization (--authorization-mode=Webhook,RBAC), and checks what users
// see.
func TestWebhookEndToEnd(t *testing.T) {
	dir := t.TempDir()
	certs := admissiontest.NewCerts(t, dir)
	port := freeLoopbackPort(t)
	base := fmt.Sprintf("https://127.0.0.1:%d", port)
	authzKubeconfig, err := admission.AuthorizationKubeconfig(base, certs.CAPEM)
	if err != nil {
		t.Fatal(err)
	}
	authzFile := filepath.Join(dir, "authz-kubeconfig.yaml")
	if err := os.WriteFile(authzFile, authzKubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	authzConfig := filepath.Join(dir, "authorization-config.yaml")
	if err := os.WriteFile(authzConfig, admission.AuthorizationConfig(authzFile), 0o600); err != nil {
		t.Fatal(err)
	}
	c := testcluster.StartTest(t, testcluster.Options{ExtraArgs: []string{"--authorization-config=" + authzConfig}})
	ctx := t.Context()
	admin := c.Client()
	for _, ns := range []string{"shop", "test", "prod", "rampart-system"} {
		if err := c.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	// RBAC lets test-team read secrets in test and prod; the allowlist
	// only in test.
	mustCreate(t, func() error {
		_, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "secret-reader"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}}}, metav1.CreateOptions{})
		return err
	})
	for _, ns := range []string{"test", "prod"} {
		mustCreate(t, func() error {
			_, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "test-team-secrets"},
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "secret-reader"},
				Subjects: []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "test-team"}}}, metav1.CreateOptions{})
			return err
		})
		mustCreate(t, func() error {
			_, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"}, StringData: map[string]string{"password": "x"}}, metav1.CreateOptions{})
			return err
		})
	}

	policyFile := filepath.Join(dir, "rampart.yaml")
	if err := os.WriteFile(policyFile, fmt.Appendf(nil, webhookTestPolicy, "block"), 0o600); err != nil {
		t.Fatal(err)
	}
	decisionLog := filepath.Join(dir, "decisions.log")
	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	var out, errOut syncBuffer
	served := make(chan error, 1)
	go func() {
		cmd := newWebhookServeCmd(streams{out: &out, err: &errOut})
		cmd.SetArgs([]string{"--policy", policyFile, "--tls-cert", certs.CertFile, "--tls-key", certs.KeyFile,
			"--kubeconfig", c.Kubeconfig(t), "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--decision-log", decisionLog,
			"--policy-reload", "100ms", "--service-account", "rampart-system/rampart-webhook"})
		served <- cmd.ExecuteContext(serveCtx)
	}()
	waitReady(t, base, certs.CAPEM, served, &errOut)

	vwc := admission.WebhookConfiguration(admission.ManifestOptions{Namespace: "rampart-system", URL: base, CABundle: certs.CAPEM, TimeoutSeconds: 2, ExecTimeoutSeconds: 3})
	if _, err := admin.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("privileged Deployment is blocked with the check's message", func(t *testing.T) {
		// The API server picks the configuration up within a moment.
		var err error
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			_, err = admin.AppsV1().Deployments("shop").Create(ctx, webhookDeployment("root", "registry.example.com/app:1.0", true), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			if err != nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "privileged-container") || !strings.Contains(err.Error(), "container runs privileged") {
			t.Fatalf("creating a privileged Deployment: %v, want it denied by privileged-container", err)
		}
		t.Logf("kubectl would print: %v", err)
	})

	t.Run("compliant Deployment is admitted and a warn check warns", func(t *testing.T) {
		w := &warnings{}
		cfg := c.Config()
		cfg.WarningHandler = w
		client := kubernetes.NewForConfigOrDie(cfg)
		if _, err := client.AppsV1().Deployments("shop").Create(ctx, webhookDeployment("web", "registry.example.com/app:1.0", false), metav1.CreateOptions{}); err != nil {
			t.Fatalf("compliant Deployment: %v", err)
		}
		if got := w.all(); strings.Contains(got, "rampart") {
			t.Errorf("compliant Deployment got warnings %q", got)
		}
		if _, err := client.AppsV1().Deployments("shop").Create(ctx, webhookDeployment("latest", "nginx:latest", false), metav1.CreateOptions{}); err != nil {
			t.Fatalf("Deployment with a latest tag (warn mode): %v", err)
		}
		if got := w.all(); !strings.Contains(got, "rampart: image-latest-tag:") {
			t.Errorf("warnings %q, want the image-latest-tag warning", got)
		}
	})

	t.Run("exec into a privileged Pod is denied at admission", func(t *testing.T) {
		yes := true
		priv := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "priv", Annotations: map[string]string{
			"rampart.dev/ignore": "privileged-container", "rampart.dev/ignore-reason": "node agent"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example.com/agent:1.0", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}}}
		if _, err := admin.CoreV1().Pods("shop").Create(ctx, priv, metav1.CreateOptions{}); err != nil {
			t.Fatalf("privileged Pod exempted by annotation: %v", err)
		}
		plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example.com/app:1.0"}}}}
		if _, err := admin.CoreV1().Pods("shop").Create(ctx, plain, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		err := execInto(ctx, admin, "shop", "priv")
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "exec into pod shop/priv is not allowed: the pod is privileged") {
			t.Fatalf("exec into a privileged pod: %v, want denied by rampart", err)
		}
		t.Logf("kubectl exec would print: %v", err)
		// No kubelet runs, so an allowed exec fails later, at the node; what
		// matters is that rampart let it through.
		err = execInto(ctx, admin, "shop", "plain")
		if err == nil || strings.Contains(err.Error(), "rampart") {
			t.Fatalf("exec into a plain pod: %v, want it past admission", err)
		}
		t.Logf("exec into a plain pod passed admission and failed at the node: %v", err)
	})

	// The RoleBindings of test-team reach the RBAC authorizer a moment
	// after they are made; the allowlist then lets this request through.
	c.WaitAllowed(t, "tina", []string{"test-team"}, authorizationv1.ResourceAttributes{Namespace: "test", Verb: "get", Resource: "secrets", Name: "db"})
	tina := kubernetes.NewForConfigOrDie(c.As("tina", "test-team"))
	t.Run("authorization allowlist in block mode", func(t *testing.T) {
		if _, err := tina.CoreV1().Secrets("test").Get(ctx, "db", metav1.GetOptions{}); err != nil {
			t.Fatalf("allowlisted get secrets in test: %v", err)
		}
		_, err := tina.CoreV1().Secrets("prod").Get(ctx, "db", metav1.GetOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "no allowlist rule lets tina get secrets db in namespace prod") {
			t.Fatalf("get secrets in prod: %v, want denied by the allowlist although RBAC allows it", err)
		}
		t.Logf("kubectl would print: %v", err)
		if _, err := admin.CoreV1().Secrets("prod").Get(ctx, "db", metav1.GetOptions{}); err != nil {
			t.Fatalf("system:masters: %v", err)
		}
	})

	t.Run("alert mode allows and records", func(t *testing.T) {
		if err := os.WriteFile(policyFile, fmt.Appendf(nil, webhookTestPolicy, "alert"), 0o600); err != nil {
			t.Fatal(err)
		}
		var err error
		// The API server caches "no" answers for the unauthorizedTTL (10s).
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if _, err = tina.CoreV1().Secrets("prod").Get(ctx, "db", metav1.GetOptions{}); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("get secrets in prod in alert mode: %v", err)
		}
	})

	t.Run("metrics count decisions", func(t *testing.T) {
		body := httpsGet(t, base+admission.PathMetrics, certs.CAPEM)
		for _, want := range []string{`rampart_webhook_decisions_total{kind="workloads",result="denied"}`, `rampart_webhook_decisions_total{kind="exec",result="denied"}`,
			`rampart_webhook_decisions_total{kind="authorization",result="denied"}`, `rampart_webhook_request_duration_seconds_bucket{kind="workloads",le="0.002"}`} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})

	// Graceful shutdown flushes the decision log.
	stopServe()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15s")
	}
	t.Logf("serve log:\n%s", errOut.String())
	t.Run("decision log", func(t *testing.T) {
		if data, err := os.ReadFile(decisionLog); err == nil {
			t.Logf("decision log:\n%s", data)
		}
		lines := decisionLines(t, decisionLog)
		want := map[string]bool{"admission/denied/privileged-container": false, "admission/warned/image-latest-tag": false,
			"exec/denied/escalating-exec": false, "authorization/denied/no-allowlist-rule": false, "authorization/alert/no-allowlist-rule": false}
		for _, d := range lines {
			key := d.Kind + "/" + d.Result + "/" + d.Rule
			if _, ok := want[key]; ok {
				want[key] = true
			}
			if d.Kind == "authorization" && (d.User != "tina" || d.Verb != "get" || d.Resource != "secrets" || d.Namespace != "prod" || d.Name != "db") {
				t.Errorf("authorization line %+v, want tina get secrets prod/db", d)
			}
		}
		for k, seen := range want {
			if !seen {
				t.Errorf("decision log lacks %s", k)
			}
		}
	})

	t.Run("webhook down: workloads fail open in time, exec fails closed", func(t *testing.T) {
		// A listener that accepts and never answers: the worst case.
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var conns []net.Conn
		var mu sync.Mutex
		go func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, conn)
				mu.Unlock()
			}
		}()
		defer func() {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		}()
		start := time.Now()
		_, err = admin.AppsV1().Deployments("shop").Create(ctx, webhookDeployment("during-outage", "registry.example.com/app:1.0", true), metav1.CreateOptions{})
		took := time.Since(start)
		if err != nil {
			t.Fatalf("create while the webhook hangs: %v (fail open expected)", err)
		}
		if took > 10*time.Second {
			t.Errorf("create took %s; the webhook's timeout is 2s", took)
		}
		t.Logf("admitted unchecked after %s", took.Round(time.Millisecond))
		err = execInto(ctx, admin, "shop", "plain")
		if err == nil || !strings.Contains(err.Error(), `failed calling webhook "exec.rampart.dev"`) {
			t.Fatalf("exec while the webhook hangs: %v, want it refused (fail closed)", err)
		}
		t.Logf("exec refused: %v", err)
		// The authorizer gives no opinion when the webhook fails: RBAC decides.
		start = time.Now()
		if _, err := tina.CoreV1().Secrets("test").Get(ctx, "db", metav1.GetOptions{}); err != nil {
			t.Fatalf("get secrets while the webhook hangs: %v, want RBAC to decide", err)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("authorization took %s; the webhook's timeout is 3s", took)
		}
	})
}

func mustCreate(t *testing.T, create func() error) {
	t.Helper()
	if err := create(); err != nil {
		t.Fatal(err)
	}
}

// execInto asks for an exec as kubectl exec does; the API server runs
// admission before it would reach a kubelet.
func execInto(ctx context.Context, client kubernetes.Interface, ns, pod string) error {
	return client.CoreV1().RESTClient().Post().Namespace(ns).Resource("pods").Name(pod).SubResource("exec").
		Param("command", "id").Param("stdout", "true").Do(ctx).Error()
}

func httpsClient(ca []byte) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func httpsGet(t *testing.T, url string, ca []byte) string {
	t.Helper()
	resp, err := httpsClient(ca).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.String()
}

func waitReady(t *testing.T, base string, ca []byte, served <-chan error, log *syncBuffer) {
	t.Helper()
	client := httpsClient(ca)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-served:
			t.Fatalf("serve ended: %v\n%s", err, log.String())
		default:
		}
		if resp, err := client.Get(base + admission.PathReadyz); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("webhook not ready within 30s\n%s", log.String())
}

func decisionLines(t *testing.T, file string) []admission.Decision {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []admission.Decision
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d admission.Decision
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("decision log line %q: %v", sc.Text(), err)
		}
		out = append(out, d)
	}
	return out
}

var _ rest.WarningHandler = (*warnings)(nil)

func TestWebhookManifests(t *testing.T) {
	dir := t.TempDir()
	certs := admissiontest.NewCerts(t, dir)
	caFile := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caFile, certs.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	policyFile := filepath.Join(dir, "rampart.yaml")
	if err := os.WriteFile(policyFile, fmt.Appendf(nil, webhookTestPolicy, "alert"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "", "webhook", "manifests", "--ca-bundle", caFile, "--policy", policyFile, "--namespace", "rampart-manifests")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	c := testcluster.Shared(t)
	ctx := t.Context()
	var kinds []string
	for _, doc := range strings.Split(out, "\n---\n") {
		obj, _, err := clientscheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("document does not decode: %v\n%s", err, doc)
		}
		kinds = append(kinds, obj.GetObjectKind().GroupVersionKind().Kind)
		// The API server must accept every object (server-side dry run,
		// except the namespace the others need).
		dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
		cl := c.Client()
		switch o := obj.(type) {
		case *corev1.Namespace:
			_, err = cl.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
		case *corev1.ServiceAccount:
			_, err = cl.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, dry)
		case *rbacv1.ClusterRole:
			_, err = cl.RbacV1().ClusterRoles().Create(ctx, o, dry)
		case *rbacv1.ClusterRoleBinding:
			_, err = cl.RbacV1().ClusterRoleBindings().Create(ctx, o, dry)
		case *corev1.ConfigMap:
			if !strings.Contains(o.Data["rampart.yaml"], "test-team-secrets") {
				t.Errorf("the ConfigMap lacks the policy: %v", o.Data)
			}
			_, err = cl.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, dry)
		case *corev1.Service:
			_, err = cl.CoreV1().Services(o.Namespace).Create(ctx, o, dry)
		case *appsv1.Deployment:
			if *o.Spec.Replicas != 2 {
				t.Errorf("replicas %d, want 2", *o.Spec.Replicas)
			}
			_, err = cl.AppsV1().Deployments(o.Namespace).Create(ctx, o, dry)
		case *policyv1.PodDisruptionBudget:
			_, err = cl.PolicyV1().PodDisruptionBudgets(o.Namespace).Create(ctx, o, dry)
		case *admissionregistrationv1.ValidatingWebhookConfiguration:
			checkWebhookConfiguration(t, o, certs.CAPEM)
			_, err = cl.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, o, dry)
		default:
			t.Errorf("unexpected %T", o)
		}
		if err != nil {
			t.Errorf("the API server refuses the %T: %v", obj, err)
		}
	}
	want := "Namespace ServiceAccount ClusterRole ClusterRoleBinding ConfigMap Service Deployment PodDisruptionBudget ValidatingWebhookConfiguration"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("kinds %s, want %s", got, want)
	}

	outDir := filepath.Join(dir, "out")
	if code, _, stderr := run(t, "", "webhook", "manifests", "--ca-bundle", caFile, "--out", outDir); code != ExitOK {
		t.Fatalf("--out: exit %d: %s", code, stderr)
	}
	kc, err := os.ReadFile(filepath.Join(outDir, "authorization-kubeconfig.yaml"))
	if err != nil || !strings.Contains(string(kc), "server: https://rampart-webhook.rampart.svc:443/authorize") {
		t.Errorf("authorization kubeconfig: %v\n%s", err, kc)
	}
	for _, f := range []string{"webhook.yaml", "authorization-config.yaml"} {
		if _, err := os.Stat(filepath.Join(outDir, f)); err != nil {
			t.Error(err)
		}
	}
}

func checkWebhookConfiguration(t *testing.T, vwc *admissionregistrationv1.ValidatingWebhookConfiguration, ca []byte) {
	t.Helper()
	if len(vwc.Webhooks) != 2 {
		t.Fatalf("%d webhooks, want 2", len(vwc.Webhooks))
	}
	for _, w := range vwc.Webhooks {
		if !bytes.Equal(w.ClientConfig.CABundle, ca) {
			t.Errorf("%s: caBundle is not the CA", w.Name)
		}
		ns := w.NamespaceSelector.MatchExpressions
		if len(ns) != 1 || ns[0].Operator != metav1.LabelSelectorOpNotIn || ns[0].Values[0] != "rampart-manifests" {
			t.Errorf("%s: the webhook's own namespace is not excluded: %+v", w.Name, ns)
		}
		switch w.Name {
		case "workloads.rampart.dev":
			if *w.FailurePolicy != admissionregistrationv1.Ignore || *w.TimeoutSeconds > 5 {
				t.Errorf("workloads: failure policy %s, timeout %d; want Ignore and a short timeout", *w.FailurePolicy, *w.TimeoutSeconds)
			}
		case "exec.rampart.dev":
			if *w.FailurePolicy != admissionregistrationv1.Fail {
				t.Errorf("exec: failure policy %s, want Fail", *w.FailurePolicy)
			}
		}
	}
}

func TestWebhookUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: rampart.dev/v1alpha1\nkind: Policy\nwebhook: {exec: {mode: sometimes}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"webhook", "serve"}, "--tls-cert and --tls-key are required"},
		{[]string{"webhook", "serve", "--tls-cert", "a", "--tls-key", "b", "--budget", "0s"}, "--budget must be positive"},
		{[]string{"webhook", "serve", "--tls-cert", "a", "--tls-key", "b", "--gc-percent", "0"}, "--gc-percent must be positive"},
		{[]string{"webhook", "serve", "--tls-cert", "a", "--tls-key", "b", "--policy", bad}, `webhook.exec.mode is "sometimes"`},
		{[]string{"webhook", "serve", "--tls-cert", filepath.Join(dir, "none.crt"), "--tls-key", "b"}, "reading the serving certificate"},
		{[]string{"webhook", "serve", "--tls-cert", "a", "--tls-key", "b", "--service-account", "x"}, `--service-account is "x", want namespace/name`},
		{[]string{"webhook", "manifests", "--timeout", "0"}, "between 1 and 30 seconds"},
		{[]string{"webhook", "manifests", "--url", "http://x"}, "--url must start with https://"},
		{[]string{"webhook", "manifests", "--policy", bad}, "webhook.exec.mode"},
		{[]string{"webhook", "serve", "extra"}, "unknown command"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, "", tt.args...)
		if code != ExitError || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// webhook serve's --gc-percent and scan's own percent apply unless GOGC is
// set (and, for the webhook, the flag is not), and the old setting comes
// back when the command ends.
func TestSetGCPercent(t *testing.T) {
	current := func() int {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	before := current()
	tests := []struct {
		name    string
		gogc    string
		percent int
		set     bool // given as a flag
		want    int
	}{
		{"default", "", defaultGCPercent, false, defaultGCPercent},
		{"GOGC set", "150", defaultGCPercent, false, before},
		{"GOGC and the flag set", "150", 250, true, 250},
		// scan sets its own percent, never as a flag.
		{"scan", "", scanGCPercent, false, scanGCPercent},
		{"scan, GOGC set", "150", scanGCPercent, false, before},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOGC", tt.gogc)
			restore := setGCPercent(tt.percent, tt.set)
			got := current()
			restore()
			if got != tt.want {
				t.Errorf("GC percent %d while running, want %d", got, tt.want)
			}
			if now := current(); now != before {
				t.Errorf("GC percent %d after running, want %d back", now, before)
			}
		})
	}
}
