package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/rampart-dev/rampart/internal/admission"
	"github.com/rampart-dev/rampart/internal/inventory"
	"github.com/rampart-dev/rampart/internal/policy"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
)

func init() { analyzerCommands = append(analyzerCommands, newWebhookCmd) }

func newWebhookCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Enforce the policy in a cluster: admission and authorization webhook",
		Long: `Run Rampart as the API server's validating admission webhook and authorization
webhook, so that the rampart.yaml that scan and audit report on is enforced
(NIST SP 800-190 4.3.1):

  - workload checks at create and update, per check and namespace in block,
    warn (kubectl prints a warning) or audit (decision log only) mode;
  - exec, attach, port-forward and ephemeral containers denied into pods
    that are privileged, share the host's PID, IPC or network namespace, or
    match protected labels (the removed DenyEscalatingExec, and more);
  - required labels, and trusted registries through the untrusted-registry check;
  - a deny-by-default allowlist of API requests by user, group and service
    account, in alert or block mode.

See docs/webhook.md for the policy section and the API server flags.`,
	}
	cmd.AddCommand(newWebhookServeCmd(s), newWebhookManifestsCmd(s))
	return cmd
}

type webhookServeOptions struct {
	policyFile     string
	tlsCert        string
	tlsKey         string
	kubeconfig     string
	context        string
	listen         string
	decisionLog    string
	logMaxMB       int
	logBackups     int
	budget         time.Duration
	grace          time.Duration
	serviceAccount string
	reloadEvery    time.Duration
	gcPercent      int
	gcPercentSet   bool
}

func newWebhookServeCmd(s streams) *cobra.Command {
	o := &webhookServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the admission and authorization webhook over HTTPS",
		Long: `Serve the webhook on one HTTPS port:

  /admit/workloads  AdmissionReview: workload checks and required labels (fail open)
  /admit/exec       AdmissionReview: exec, attach, port-forward, ephemeral containers (fail closed)
  /authorize        SubjectAccessReview: the authorization allowlist
  /healthz /readyz  liveness, and readiness once the pod watch has synced
  /metrics          Prometheus metrics: decisions by kind and result, latency

The target pod of an exec comes from a watch of all pods, never from an API
call per request, so the webhook needs get, list and watch on pods and
namespaces (rampart webhook manifests grants them). Every decision answers
within --budget, by failure policy if need be. The certificate files are
re-read when they change and the policy file every --policy-reload; a policy
that does not validate is refused and the old one kept. SIGTERM stops
accepting, finishes requests in flight and flushes the decision log.`,
		Example: `  # In a pod, with the policy and certificate mounted (see rampart webhook manifests)
  rampart webhook serve --policy /etc/rampart/rampart.yaml \
    --tls-cert /etc/rampart/tls/tls.crt --tls-key /etc/rampart/tls/tls.key

  # Outside the cluster, logging decisions to a file rotated at 50 MiB
  rampart webhook serve --policy rampart.yaml --tls-cert tls.crt --tls-key tls.key \
    --kubeconfig ~/.kube/config --listen 127.0.0.1:8443 --decision-log decisions.log --decision-log-max-mb 50`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			o.gcPercentSet = cmd.Flags().Changed("gc-percent")
			return runWebhookServe(ctx, s, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.policyFile, "policy", "", "policy file (default: rampart.yaml in the working directory, if present)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "PEM serving certificate (required; re-read when it changes)")
	f.StringVar(&o.tlsKey, "tls-key", "", "PEM private key of --tls-cert (required)")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig for watching pods (default: $KUBECONFIG, ~/.kube/config, then the pod's service account)")
	f.StringVar(&o.context, "context", "", "the kubeconfig context to use")
	f.StringVar(&o.listen, "listen", ":8443", "address to serve HTTPS on")
	f.StringVar(&o.decisionLog, "decision-log", "-", "file for the decision log (JSON lines), or - for standard output")
	f.IntVar(&o.logMaxMB, "decision-log-max-mb", 100, "rotate the decision log file when it would grow past this many MiB")
	f.IntVar(&o.logBackups, "decision-log-backups", 5, "rotated decision log files to keep")
	f.DurationVar(&o.budget, "budget", admission.DefaultBudget, "time budget of one decision; past it the request gets its failure policy")
	f.DurationVar(&o.grace, "shutdown-grace", 10*time.Second, "on SIGTERM, how long requests in flight may take to finish")
	f.StringVar(&o.serviceAccount, "service-account", "", "the webhook's own service account (namespace/name), exempt from authorization rules")
	f.DurationVar(&o.reloadEvery, "policy-reload", 10*time.Second, "how often to check the policy file for changes (0: never)")
	f.IntVar(&o.gcPercent, "gc-percent", defaultGCPercent, "heap growth, in percent of the live heap, that starts a garbage collection (as GOGC, which applies instead when set and this flag is not)")
	return cmd
}

// defaultGCPercent lets the heap grow to five times the live heap between
// collections. The webhook's live heap is its caches and is small, while
// every review allocates tens of KiB: at 1,000 reviews a second and Go's
// default of 100 it collected twice a second, at 19 µs of CPU per review
// (GODEBUG=gctrace=1, a 7 MB live heap); at 400, every 1.5 s and 6 µs, for
// a 38 MB heap. The manifests set GOMEMLIMIT under the container's memory
// limit, so that the pod cache of a large cluster does not grow the heap
// past it.
const defaultGCPercent = 400

func runWebhookServe(ctx context.Context, s streams, o *webhookServeOptions) error {
	if o.tlsCert == "" || o.tlsKey == "" {
		return usageError("--tls-cert and --tls-key are required")
	}
	if o.budget <= 0 {
		return usageError("--budget must be positive")
	}
	if o.gcPercent <= 0 {
		return usageError("--gc-percent must be positive")
	}
	defer setGCPercent(o.gcPercent, o.gcPercentSet)()
	logger := slog.New(slog.NewTextHandler(s.err, nil))
	pol, err := loadPolicy(o.policyFile)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	var self policy.Subjects
	if o.serviceAccount != "" {
		self.ServiceAccounts = []string{o.serviceAccount}
		if probs := checkServiceAccount(o.serviceAccount); probs != "" {
			return usageError("--service-account %s", probs)
		}
	}
	certs, err := admission.NewCertReloader(o.tlsCert, o.tlsKey, time.Second, func(err error) {
		logger.Warn("keeping the old serving certificate", "error", err)
	})
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	cfg, err := inventory.RESTConfig(o.kubeconfig, o.context)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("creating the cluster client: %w", err)}
	}
	log, err := openDecisionLog(s, o)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	defer func() {
		if err := log.Close(); err != nil {
			logger.Error("closing the decision log", "error", err)
		}
		if n := log.Dropped(); n > 0 {
			logger.Warn("decisions dropped because the decision log could not keep up", "dropped", n)
		}
	}()

	pods, err := admission.NewPodCache(client)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	namespaces := admission.NewNamespaceCache(client)
	watchCtx, stopWatches := context.WithCancel(ctx)
	defer stopWatches()
	go pods.Run(watchCtx)
	go namespaces.Run(watchCtx)

	srv := admission.NewServer(admission.Config{
		Policy: pol, Pods: pods, Namespaces: namespaces, Self: self, Log: log, Budget: o.budget, Logger: logger,
	})
	if o.reloadEvery > 0 && o.policyFile != "" {
		go reloadPolicy(watchCtx, o.policyFile, o.reloadEvery, srv, logger)
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("listening on %s: %w", o.listen, err)}
	}
	logger.Info("rampart webhook serving", "address", l.Addr().String())
	if err := srv.Serve(ctx, l, certs.TLSConfig(), o.grace); err != nil {
		return &exitError{code: ExitError, err: err}
	}
	logger.Info("rampart webhook stopped")
	return nil
}

// setGCPercent sets the GC percent of a command's run, unless GOGC is set
// and the user did not ask for percent explicitly (set), and returns what
// restores the previous setting.
func setGCPercent(percent int, set bool) (restore func()) {
	if !set && os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(percent)
	return func() { debug.SetGCPercent(old) }
}

func checkServiceAccount(sa string) string {
	ns, name, ok := strings.Cut(sa, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Sprintf("is %q, want namespace/name", sa)
	}
	return ""
}

func openDecisionLog(s streams, o *webhookServeOptions) (*admission.DecisionLog, error) {
	if o.decisionLog == "-" || o.decisionLog == "" {
		return admission.NewStreamLog(s.out), nil
	}
	return admission.OpenDecisionLog(o.decisionLog, int64(o.logMaxMB)<<20, o.logBackups)
}

// reloadPolicy swaps in the policy file when it changes and validates.
func reloadPolicy(ctx context.Context, file string, every time.Duration, srv *admission.Server, logger *slog.Logger) {
	stat := func() (time.Time, int64) {
		st, err := os.Stat(file)
		if err != nil {
			return time.Time{}, -1
		}
		return st.ModTime(), st.Size()
	}
	lastMod, lastSize := stat()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		mod, size := stat()
		if size < 0 || (mod.Equal(lastMod) && size == lastSize) {
			continue
		}
		lastMod, lastSize = mod, size
		pol, err := loadPolicy(file)
		if err != nil {
			logger.Error("keeping the old policy", "error", err)
			continue
		}
		srv.SetPolicy(pol)
		logger.Info("policy reloaded", "file", file)
	}
}

type webhookManifestsOptions struct {
	admission.ManifestOptions
	caFile     string
	policyFile string
	outDir     string
}

func newWebhookManifestsCmd(s streams) *cobra.Command {
	o := &webhookManifestsOptions{}
	cmd := &cobra.Command{
		Use:   "manifests",
		Short: "Print the manifests that run the webhook in a cluster",
		Long: `Print the objects that run rampart webhook serve in a cluster: a namespace,
service account, RBAC to watch pods and namespaces, the policy ConfigMap,
a Service, a Deployment with two replicas and a PodDisruptionBudget, and the
ValidatingWebhookConfiguration. Workload checks fail open with a short
timeout, so that an outage of the webhook never stops deployments; exec
control fails closed, so that an outage never lets an exec through; the
webhook's own namespace is left out of both, so that it can always be
repaired.

The serving certificate is read from the Secret <name>-tls (tls.crt,
tls.key) in the namespace; give the CA that signed it with --ca-bundle.

With --out DIR the objects go to DIR/webhook.yaml, and the API server's side
of the authorization webhook to DIR/authorization-kubeconfig.yaml and
DIR/authorization-config.yaml (a structured AuthorizationConfiguration for
--authorization-config that asks Rampart, then RBAC).`,
		Example: `  # Objects for kubectl apply, with the CA of the serving certificate
  rampart webhook manifests --ca-bundle ca.crt --policy rampart.yaml | kubectl apply -f -

  # Also the API server's authorization webhook files
  rampart webhook manifests --ca-bundle ca.crt --policy rampart.yaml --out deploy/webhook`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWebhookManifests(s, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Namespace, "namespace", "rampart", "namespace of the webhook")
	f.StringVar(&o.Name, "name", "rampart-webhook", "name of the webhook's objects")
	f.StringVar(&o.Image, "image", "ghcr.io/rampart-dev/rampart:"+Version, "container image of rampart")
	f.Int32Var(&o.Replicas, "replicas", 2, "replicas of the webhook Deployment")
	f.StringVar(&o.caFile, "ca-bundle", "", "PEM file of the CA that signed the serving certificate")
	f.StringVar(&o.URL, "url", "", "reach the webhook at this base URL (https://host:port) instead of its Service")
	f.Int32Var(&o.TimeoutSeconds, "timeout", 3, "seconds the API server waits for workload checks before admitting (fail open)")
	f.Int32Var(&o.ExecTimeoutSeconds, "exec-timeout", 10, "seconds the API server waits for exec control before denying (fail closed)")
	f.StringVar(&o.policyFile, "policy", "", "policy file to put in the ConfigMap (default: rampart.yaml in the working directory, if present)")
	f.StringVar(&o.outDir, "out", "", "write webhook.yaml and the authorization webhook files into this directory")
	return cmd
}

func runWebhookManifests(s streams, o *webhookManifestsOptions) error {
	if o.TimeoutSeconds < 1 || o.TimeoutSeconds > 30 || o.ExecTimeoutSeconds < 1 || o.ExecTimeoutSeconds > 30 {
		return usageError("--timeout and --exec-timeout must be between 1 and 30 seconds (the API server's limits)")
	}
	if o.Replicas < 1 {
		return usageError("--replicas must be at least 1")
	}
	if o.URL != "" && !strings.HasPrefix(o.URL, "https://") {
		return usageError("--url must start with https://")
	}
	if o.caFile != "" {
		ca, err := os.ReadFile(o.caFile)
		if err != nil {
			return &exitError{code: ExitError, err: fmt.Errorf("reading the CA bundle: %w", err)}
		}
		o.CABundle = ca
	}
	// The policy must validate before it is shipped to a cluster.
	if _, err := loadPolicy(o.policyFile); err != nil {
		return &exitError{code: ExitError, err: err}
	}
	if o.policyFile != "" {
		data, err := os.ReadFile(o.policyFile)
		if err != nil {
			return &exitError{code: ExitError, err: fmt.Errorf("reading the policy: %w", err)}
		}
		o.Policy = data
	} else {
		o.Policy = []byte("apiVersion: " + policy.APIVersion + "\nkind: " + policy.Kind + "\n")
	}
	objects, err := admission.RenderYAML(admission.Objects(o.ManifestOptions))
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	if o.outDir == "" {
		_, err := s.out.Write(objects)
		return err
	}
	base := o.URL
	if base == "" {
		base = fmt.Sprintf("https://%s.%s.svc:443", o.Name, o.Namespace)
	}
	kubeconfig, err := admission.AuthorizationKubeconfig(base, o.CABundle)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("creating %s: %w", o.outDir, err)}
	}
	kubeconfigPath := filepath.Join(o.outDir, "authorization-kubeconfig.yaml")
	files := []struct {
		name string
		data []byte
	}{
		{filepath.Join(o.outDir, "webhook.yaml"), objects},
		{kubeconfigPath, kubeconfig},
		{filepath.Join(o.outDir, "authorization-config.yaml"), admission.AuthorizationConfig("/etc/kubernetes/rampart/authorization-kubeconfig.yaml")},
	}
	var errs []error
	for _, f := range files {
		if err := os.WriteFile(f.name, f.data, 0o644); err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", f.name, err))
			continue
		}
		fmt.Fprintf(s.err, "wrote %s\n", f.name)
	}
	if err := errors.Join(errs...); err != nil {
		return &exitError{code: ExitError, err: err}
	}
	fmt.Fprintf(s.err, "API server: copy %s to /etc/kubernetes/rampart/ and start kube-apiserver with --authorization-config=/etc/kubernetes/rampart/authorization-config.yaml\n", filepath.Base(kubeconfigPath))
	return nil
}
