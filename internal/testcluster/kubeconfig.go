package testcluster

import (
	"fmt"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Kubeconfig writes a kubeconfig file for the administrator into a temporary
// directory of t and returns its path, for tests of commands that take
// --kubeconfig or KUBECONFIG.
func (c *Cluster) Kubeconfig(t testing.TB) string {
	t.Helper()
	return KubeconfigFor(t, c.Config())
}

// KubeconfigFor writes a kubeconfig file for cfg (for example c.As("alice"))
// into a temporary directory of t and returns its path.
func KubeconfigFor(t testing.TB, cfg *rest.Config) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := writeKubeconfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeKubeconfig writes a kubeconfig with one context, "testcluster", for
// the server, credentials and impersonation of cfg.
func writeKubeconfig(path string, cfg *rest.Config) error {
	const name = "testcluster"
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
		CertificateAuthority:     cfg.CAFile,
		InsecureSkipTLSVerify:    cfg.Insecure,
	}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{
		Token:                cfg.BearerToken,
		Impersonate:          cfg.Impersonate.UserName,
		ImpersonateUID:       cfg.Impersonate.UID,
		ImpersonateGroups:    cfg.Impersonate.Groups,
		ImpersonateUserExtra: cfg.Impersonate.Extra,
	}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	kc.CurrentContext = name
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}
