// Package testcluster runs a real etcd and kube-apiserver (and, on request,
// kube-controller-manager) on loopback for integration tests.
//
// The binaries are built from the nested modules in build/ by
// scripts/testcluster-binaries.sh, which scripts/test.sh runs first. A
// package's tests share one cluster through Main and Shared:
//
//	func TestMain(m *testing.M) { testcluster.Main(m, testcluster.Options{}) }
//
//	func TestSomething(t *testing.T) {
//		c := testcluster.Shared(t)
//		_, err := c.Client().CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{})
//		...
//	}
//
// When the cluster cannot start, those tests fail with the reason; only
// outside CI (CI=true) and without the binaries are they skipped.
//
// The cluster has RBAC authorization. Without Options.ControllerManager no
// controllers run: there are no default ServiceAccounts (CreateNamespace
// makes one), aggregated ClusterRoles (admin, edit, view) have no rules, and
// deleted namespaces stay Terminating, so tests should use namespace names of
// their own.
package testcluster

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Options shape a cluster. The zero value is a plain API server with RBAC.
type Options struct {
	// ExtraArgs are appended to the kube-apiserver command line, after the
	// harness's own flags, so a flag given here overrides its default
	// (e.g. admission or authorization webhook configuration). When they
	// contain --authorization-mode or --authorization-config, the harness
	// leaves its own --authorization-mode=RBAC out.
	ExtraArgs []string
	// ControllerManager also runs kube-controller-manager, which creates
	// default ServiceAccounts, fills aggregated ClusterRoles, deletes
	// namespaces and collects garbage. Its binary must have been built.
	ControllerManager bool
	// StartTimeout bounds each wait for a component to become ready;
	// 60 seconds when zero.
	StartTimeout time.Duration
}

// AdminUser is the name of the cluster administrator (group system:masters)
// that Config authenticates as.
const AdminUser = "rampart-admin"

// ServiceClusterIPRange is the Service IP range of every cluster.
const ServiceClusterIPRange = "10.96.0.0/16"

// ServiceAccountIssuer is the issuer of service account tokens.
const ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// Cluster is a running etcd and kube-apiserver. Its methods are safe for
// concurrent use; Stop ends it.
type Cluster struct {
	dir               string
	etcd              *process
	apiserver         *process
	controllerManager *process
	host              string
	ca                []byte
	adminToken        string
	client            kubernetes.Interface
	startup           time.Duration
	stopOnce          sync.Once
}

// errPortClash marks a start that failed because a port chosen as free was
// taken meanwhile; Start then tries again on other ports.
var errPortClash = errors.New("port taken by another process")

// Start runs etcd and kube-apiserver and returns once the API server is ready
// and the default namespace exists. ctx bounds the start only; the processes
// live until Stop (or until the test binary exits, on Linux). The error wraps
// ErrBinariesMissing when the binaries were not built.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	bins, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	if opts.ControllerManager && bins.KubeControllerManager == "" {
		return nil, fmt.Errorf("%w: Options.ControllerManager needs kube-controller-manager next to kube-apiserver (%s)",
			ErrBinariesMissing, filepath.Dir(bins.KubeAPIServer))
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 60 * time.Second
	}
	begin := time.Now()
	for attempt := 1; ; attempt++ {
		c, err := start(ctx, opts, bins)
		if err == nil {
			c.startup = time.Since(begin)
			return c, nil
		}
		if !errors.Is(err, errPortClash) || attempt == 3 {
			return nil, err
		}
	}
}

func start(ctx context.Context, opts Options, bins Binaries) (_ *Cluster, err error) {
	removeStaleDirs()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("creating the cluster directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return nil, fmt.Errorf("writing the cluster directory owner: %w", err)
	}
	c := &Cluster{dir: dir}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	c.host = "https://127.0.0.1:" + strconv.Itoa(ports[2])

	c.etcd, err = startProcess("etcd", bins.Etcd, []string{
		"--name=testcluster",
		"--data-dir=" + filepath.Join(dir, "etcd-data"),
		"--listen-client-urls=" + etcdURL,
		"--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=testcluster=" + peerURL,
		"--unsafe-no-fsync",
		"--log-level=warn",
	}, dir)
	if err != nil {
		return nil, err
	}
	if err := waitFor(ctx, c.etcd, opts.StartTimeout, "etcd", func(ctx context.Context) (bool, string) {
		return httpReady(ctx, http.DefaultClient, etcdURL+"/health", "", `"health":"true"`)
	}); err != nil {
		return nil, err
	}

	if err := writeServiceAccountKey(dir); err != nil {
		return nil, err
	}
	if c.adminToken, err = writeTokenFile(dir); err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "certs")
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--cert-dir=" + certDir,
		"--secure-port=" + strconv.Itoa(ports[2]),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--service-account-issuer=" + ServiceAccountIssuer,
		"--service-account-key-file=" + filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(dir, "sa.key"),
		"--token-auth-file=" + filepath.Join(dir, "tokens.csv"),
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		"--allow-privileged=true",         // tests create the privileged pods Rampart reports
		"--endpoint-reconciler-type=none", // a loopback address is not a valid endpoint
	}
	// RBAC unless the test chooses its authorizers: a second
	// --authorization-mode adds to the list rather than replacing it, and
	// the API server refuses --authorization-config beside the flag.
	if !setsAuthorization(opts.ExtraArgs) {
		args = append(args, "--authorization-mode=RBAC")
	}
	c.apiserver, err = startProcess("kube-apiserver", bins.KubeAPIServer, append(args, opts.ExtraArgs...), dir)
	if err != nil {
		return nil, err
	}
	if err := waitFor(ctx, c.apiserver, opts.StartTimeout, "kube-apiserver /readyz", c.readyz(certDir)); err != nil {
		return nil, err
	}
	if c.client, err = kubernetes.NewForConfig(c.Config()); err != nil {
		return nil, fmt.Errorf("creating the admin client: %w", err)
	}
	if err := waitFor(ctx, c.apiserver, opts.StartTimeout, "namespace default", func(ctx context.Context) (bool, string) {
		_, err := c.client.CoreV1().Namespaces().Get(ctx, metav1.NamespaceDefault, metav1.GetOptions{})
		return err == nil, fmt.Sprint(err)
	}); err != nil {
		return nil, err
	}

	if opts.ControllerManager {
		if err := c.startControllerManager(ctx, opts, bins, ports[3]); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// readyz polls the API server's /readyz once its self-signed certificate is
// in certDir, and keeps that certificate as the CA of Config.
func (c *Cluster) readyz(certDir string) func(context.Context) (bool, string) {
	var client *http.Client
	return func(ctx context.Context) (bool, string) {
		if client == nil {
			ca, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
			if err != nil {
				return false, "no serving certificate yet"
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return false, "unreadable serving certificate"
			}
			c.ca = ca
			client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		}
		return httpReady(ctx, client, c.host+"/readyz?verbose", c.adminToken, "")
	}
}

func (c *Cluster) startControllerManager(ctx context.Context, opts Options, bins Binaries, port int) error {
	kubeconfig := filepath.Join(c.dir, "controller-manager.kubeconfig")
	if err := writeKubeconfig(kubeconfig, c.Config()); err != nil {
		return err
	}
	var err error
	c.controllerManager, err = startProcess("kube-controller-manager", bins.KubeControllerManager, []string{
		"--kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(c.dir, "controller-manager-certs"),
		"--leader-elect=false",
		"--service-account-private-key-file=" + filepath.Join(c.dir, "sa.key"),
		"--root-ca-file=" + filepath.Join(c.dir, "certs", "apiserver.crt"),
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		"--use-service-account-credentials=false",
	}, c.dir)
	if err != nil {
		return err
	}
	// The ServiceAccount controller making "default" shows controllers run.
	return waitFor(ctx, c.controllerManager, opts.StartTimeout, "default ServiceAccount", func(ctx context.Context) (bool, string) {
		_, err := c.client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, fmt.Sprint(err)
	})
}

// waitFor polls check until it succeeds, p exits, ctx ends or timeout passes.
// Its errors carry the last lines of p's log.
func waitFor(ctx context.Context, p *process, timeout time.Duration, what string, check func(context.Context) (bool, string)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	detail := "not checked yet"
	for {
		if done, err := p.exited(); done {
			if p.addrInUse() {
				err = fmt.Errorf("%w: %w", errPortClash, err)
			}
			return p.withLog(fmt.Errorf("waiting for %s: %w", what, err))
		}
		checkCtx, cancelCheck := context.WithTimeout(ctx, 5*time.Second)
		ok, d := check(checkCtx)
		cancelCheck()
		if ok {
			return nil
		}
		detail = d
		select {
		case <-ctx.Done():
			return p.withLog(fmt.Errorf("%s not ready after %s: %s: %w", what, timeout, detail, ctx.Err()))
		case <-tick.C:
		}
	}
}

// httpReady GETs url and reports whether it answered 200 (containing want,
// if set); otherwise the detail says what it answered.
func httpReady(ctx context.Context, client *http.Client, url, token, want string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err.Error()
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK && strings.Contains(string(body), want) {
		return true, ""
	}
	// For /readyz?verbose, keep only the failing checks.
	var failing []string
	for line := range strings.SplitSeq(string(body), "\n") {
		if strings.HasPrefix(line, "[-]") {
			failing = append(failing, line)
		}
	}
	if len(failing) > 0 {
		return false, fmt.Sprintf("%s: %s", resp.Status, strings.Join(failing, "; "))
	}
	return false, fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// writeServiceAccountKey writes the key that signs (sa.key) and verifies
// (sa.pub) service account tokens.
func writeServiceAccountKey(dir string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generating the service account key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("encoding the service account key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return fmt.Errorf("writing the service account key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600); err != nil {
		return fmt.Errorf("writing the service account key: %w", err)
	}
	return nil
}

// writeTokenFile writes the static token file with a fresh admin token in
// group system:masters, and returns that token.
func writeTokenFile(dir string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating the admin token: %w", err)
	}
	token := hex.EncodeToString(b)
	line := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n", token, AdminUser, AdminUser)
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(line), 0o600); err != nil {
		return "", fmt.Errorf("writing the token file: %w", err)
	}
	return token, nil
}

// Config returns a new client configuration for the administrator (group
// system:masters), verifying the API server's self-signed certificate.
func (c *Cluster) Config() *rest.Config {
	return &rest.Config{
		Host:            c.host,
		BearerToken:     c.adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: slices.Clone(c.ca)},
		UserAgent:       "rampart-testcluster",
		QPS:             200,
		Burst:           400,
	}
}

// Client returns the administrator's clientset.
func (c *Cluster) Client() kubernetes.Interface { return c.client }

// As returns a client configuration acting as user in groups, through
// impersonation by the administrator. The API server adds
// system:authenticated; RBAC decides the rest, as for a real user.
func (c *Cluster) As(user string, groups ...string) *rest.Config {
	cfg := c.Config()
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: slices.Clone(groups)}
	return cfg
}

// AsServiceAccount returns a client configuration acting as the service
// account namespace/name (with its groups system:serviceaccounts and
// system:serviceaccounts:<namespace>), through impersonation. The
// ServiceAccount object need not exist.
func (c *Cluster) AsServiceAccount(namespace, name string) *rest.Config {
	return c.As("system:serviceaccount:" + namespace + ":" + name)
}

// CreateNamespace creates a namespace with its "default" ServiceAccount, as
// kube-controller-manager would, so that pods can be created in it.
func (c *Cluster) CreateNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: name}}
	if _, err := c.client.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the default ServiceAccount of %s: %w", name, err)
	}
	return nil
}

// StartupTime is how long Start took.
func (c *Cluster) StartupTime() time.Duration { return c.startup }

// Stop kills the processes and removes the cluster directory (kept, and
// printed, when RAMPART_TESTCLUSTER_KEEP is true). It is safe to call twice.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		c.controllerManager.stop(5 * time.Second)
		c.apiserver.stop(10 * time.Second)
		c.etcd.stop(10 * time.Second)
		if keep, _ := strconv.ParseBool(os.Getenv(EnvKeep)); keep {
			_ = os.Remove(filepath.Join(c.dir, ownerFile)) // not stale: kept on purpose
			fmt.Fprintf(os.Stderr, "testcluster: kept %s\n", c.dir)
			return
		}
		_ = os.RemoveAll(c.dir)
	})
}

const (
	dirPrefix = "rampart-testcluster-"
	ownerFile = "owner.pid" // the id of the test process that started the cluster
)

// removeStaleDirs removes the directories of clusters whose test process
// died without calling Stop (its children died with it, on Linux).
func removeStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(string(data)); err == nil && !processAlive(pid) {
			_ = os.RemoveAll(dir)
		}
	}
}

// logTails returns the last lines of every process log, for a failure report.
func (c *Cluster) logTails() string {
	var b strings.Builder
	for _, p := range []*process{c.etcd, c.apiserver, c.controllerManager} {
		if p != nil {
			fmt.Fprintf(&b, "--- last lines of %s ---\n%s\n", p.logPath, p.tail(logTailLines))
		}
	}
	return b.String()
}

// setsAuthorization reports whether args choose the authorizers.
func setsAuthorization(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "--authorization-mode") || strings.HasPrefix(a, "--authorization-config") {
			return true
		}
	}
	return false
}
