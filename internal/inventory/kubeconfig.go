package inventory

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Sentinel errors for cluster access. Each error RESTConfig and LoadCluster
// return for these cases wraps one of them, so that the CLI can print the
// error's one line and exit 2.
var (
	// ErrNoKubeconfig: no kubeconfig file was found (and the process is
	// not running in a pod).
	ErrNoKubeconfig = errors.New("no kubeconfig found")
	// ErrContextNotFound: the requested context, or the current context,
	// is not in the kubeconfig.
	ErrContextNotFound = errors.New("kubeconfig context not found")
	// ErrUnreachable: the API server could not be reached (connection
	// refused, DNS, timeout, TLS verification).
	ErrUnreachable = errors.New("cluster unreachable")
	// ErrUnauthorized: the API server rejected the credentials (expired
	// or invalid token or certificate, failing credential plugin).
	ErrUnauthorized = errors.New("unauthorized")
)

// sentinelError has its own message and wraps a sentinel error (and
// possibly the error that caused it).
type sentinelError struct {
	msg      string
	sentinel error
	cause    error
}

func (e *sentinelError) Error() string { return e.msg }
func (e *sentinelError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.sentinel}
	}
	return []error{e.sentinel, e.cause}
}

func newSentinel(sentinel, cause error, format string, args ...any) error {
	return &sentinelError{msg: fmt.Sprintf(format, args...), sentinel: sentinel, cause: cause}
}

// RESTConfig builds a client configuration the way kubectl does: the file
// kubeconfig when given (it must exist), else the files listed in the
// KUBECONFIG environment variable (colon-separated on Unix, merged with
// the first file winning), else ~/.kube/config. A non-empty context
// overrides the kubeconfig's current-context. When no kubeconfig exists
// at all and the process runs in a pod, the pod's service account is used.
func RESTConfig(kubeconfig, context string) (*rest.Config, error) {
	home, _ := os.UserHomeDir()
	return restConfig(kubeconfigSources{
		explicit:  kubeconfig,
		env:       os.Getenv(clientcmd.RecommendedConfigPathEnvVar),
		home:      home,
		inCluster: rest.InClusterConfig,
	}, context)
}

// kubeconfigSources are the places RESTConfig looks, so that tests can
// set them without touching the environment.
type kubeconfigSources struct {
	explicit  string
	env       string // the value of KUBECONFIG
	home      string
	inCluster func() (*rest.Config, error)
}

func restConfig(src kubeconfigSources, contextName string) (*rest.Config, error) {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: src.explicit}
	var candidates []string
	switch {
	case src.explicit != "":
		if _, err := os.Stat(src.explicit); err != nil {
			return nil, newSentinel(ErrNoKubeconfig, err, "no kubeconfig found: %s: %v", src.explicit, unwrapPathError(err))
		}
		candidates = []string{src.explicit}
	case src.env != "":
		for _, p := range filepath.SplitList(src.env) {
			if p != "" && !slices.Contains(candidates, p) {
				candidates = append(candidates, p)
			}
		}
		rules.Precedence = candidates
	case src.home != "":
		candidates = []string{filepath.Join(src.home, clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)}
		rules.Precedence = candidates
	}
	var files []string
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		if contextName == "" && src.inCluster != nil {
			if cfg, err := src.inCluster(); err == nil {
				return cfg, nil
			}
		}
		if src.env != "" {
			return nil, newSentinel(ErrNoKubeconfig, nil, "no kubeconfig found: none of the KUBECONFIG files exist (%s)", strings.Join(candidates, ", "))
		}
		return nil, newSentinel(ErrNoKubeconfig, nil, "no kubeconfig found: set --kubeconfig or KUBECONFIG")
	}
	where := strings.Join(files, ", ")
	raw, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig: %w", err)
	}
	if contextName == "" {
		contextName = raw.CurrentContext
		if contextName == "" {
			return nil, newSentinel(ErrContextNotFound, nil, "no current-context in %s: pass --context%s", where, available(raw))
		}
	}
	if _, ok := raw.Contexts[contextName]; !ok {
		return nil, newSentinel(ErrContextNotFound, nil, "context %q not found in %s%s", contextName, where, available(raw))
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, contextName, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %q (%s): %w", contextName, where, err)
	}
	return cfg, nil
}

// available lists the contexts of a kubeconfig for an error message.
func available(c *clientcmdapi.Config) string {
	names := make([]string, 0, len(c.Contexts))
	for n := range c.Contexts {
		names = append(names, n)
	}
	if len(names) == 0 {
		return " (it defines no contexts)"
	}
	slices.Sort(names)
	return " (contexts: " + strings.Join(names, ", ") + ")"
}

// clusterError turns an error from the API server, or from reaching it,
// into one that wraps ErrUnauthorized or ErrUnreachable where it is one of
// those; other errors are returned as they are. what says what was being
// done, e.g. "list pods".
func clusterError(ctx context.Context, server, what string, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("%s: %w", what, ctxErr)
	}
	if apierrors.IsUnauthorized(err) {
		return newSentinel(ErrUnauthorized, err, "%s: unauthorized: %s rejected the credentials (expired or invalid?): %v", what, server, err)
	}
	var ue *url.Error
	var ne net.Error
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &ci):
		return newSentinel(ErrUnreachable, err, "%s: cluster unreachable: cannot verify %s's certificate: %v", what, server, err)
	case strings.Contains(err.Error(), "getting credentials"):
		// A kubeconfig exec plugin (aws, gke-gcloud-auth-plugin …) failed.
		return newSentinel(ErrUnauthorized, err, "%s: unauthorized: no credentials for %s: %v", what, server, err)
	case errors.As(err, &ue), errors.As(err, &ne):
		return newSentinel(ErrUnreachable, err, "%s: cluster unreachable: %s: %v", what, server, innermost(err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// innermost returns the cause of a url.Error, whose message repeats the
// whole URL with its query.
func innermost(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
