package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

// kubeconfigFile writes a kubeconfig with one cluster, user and context
// per name (server https://<name>.example:6443) and returns its path.
func kubeconfigFile(t *testing.T, dir, file, current string, names ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\n")
	if current != "" {
		b.WriteString("current-context: " + current + "\n")
	}
	b.WriteString("clusters:\n")
	for _, n := range names {
		b.WriteString("- name: " + n + "\n  cluster:\n    server: https://" + n + ".example:6443\n")
	}
	b.WriteString("users:\n")
	for _, n := range names {
		b.WriteString("- name: " + n + "\n  user:\n    token: token-" + n + "\n")
	}
	b.WriteString("contexts:\n")
	for _, n := range names {
		b.WriteString("- name: " + n + "\n  context:\n    cluster: " + n + "\n    user: " + n + "\n")
	}
	p := filepath.Join(dir, file)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func noInCluster() (*rest.Config, error) { return nil, rest.ErrNotInCluster }

func TestRESTConfig(t *testing.T) {
	dir := t.TempDir()
	ab := kubeconfigFile(t, dir, "ab.yaml", "a", "a", "b")
	bc := kubeconfigFile(t, dir, "bc.yaml", "c", "b2", "c")
	none := kubeconfigFile(t, dir, "none.yaml", "", "x")
	home := t.TempDir()
	kubeconfigFile(t, home, ".kube/config", "h", "h")
	missing := filepath.Join(dir, "missing.yaml")
	list := func(ps ...string) string { return strings.Join(ps, string(os.PathListSeparator)) }

	tests := []struct {
		name     string
		src      kubeconfigSources
		context  string
		wantHost string
		wantErr  error
		wantMsg  string
	}{
		{name: "explicit, current context", src: kubeconfigSources{explicit: ab}, wantHost: "https://a.example:6443"},
		{name: "explicit, --context", src: kubeconfigSources{explicit: ab}, context: "b", wantHost: "https://b.example:6443"},
		{name: "explicit wins over KUBECONFIG and home", src: kubeconfigSources{explicit: ab, env: bc, home: home}, wantHost: "https://a.example:6443"},
		{name: "explicit missing", src: kubeconfigSources{explicit: missing, env: bc}, wantErr: ErrNoKubeconfig, wantMsg: "no kubeconfig found: " + missing + ": no such file or directory"},
		{name: "KUBECONFIG list merged, first current-context wins", src: kubeconfigSources{env: list(missing, bc, ab), home: home}, wantHost: "https://c.example:6443"},
		{name: "KUBECONFIG context from a later file", src: kubeconfigSources{env: list(bc, ab)}, context: "a", wantHost: "https://a.example:6443"},
		{name: "KUBECONFIG all missing", src: kubeconfigSources{env: missing, home: home}, wantErr: ErrNoKubeconfig, wantMsg: "no kubeconfig found: none of the KUBECONFIG files exist (" + missing + ")"},
		{name: "home", src: kubeconfigSources{home: home}, wantHost: "https://h.example:6443"},
		{name: "nothing", src: kubeconfigSources{home: t.TempDir()}, wantErr: ErrNoKubeconfig, wantMsg: "no kubeconfig found: set --kubeconfig or KUBECONFIG"},
		{name: "context not found", src: kubeconfigSources{explicit: ab}, context: "nope", wantErr: ErrContextNotFound, wantMsg: `context "nope" not found in ` + ab + " (contexts: a, b)"},
		{name: "no current context", src: kubeconfigSources{explicit: none}, wantErr: ErrContextNotFound, wantMsg: "no current-context in " + none + ": pass --context (contexts: x)"},
		{name: "no current context, --context", src: kubeconfigSources{explicit: none}, context: "x", wantHost: "https://x.example:6443"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.src.inCluster == nil {
				tc.src.inCluster = noInCluster
			}
			cfg, err := restConfig(tc.src, tc.context)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if err.Error() != tc.wantMsg {
					t.Errorf("message\n got %s\nwant %s", err, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != tc.wantHost {
				t.Errorf("host = %s, want %s", cfg.Host, tc.wantHost)
			}
			if cfg.BearerToken == "" {
				t.Errorf("no credentials taken from the kubeconfig")
			}
		})
	}
}

func TestRESTConfigInCluster(t *testing.T) {
	inCluster := func() (*rest.Config, error) { return &rest.Config{Host: "https://10.0.0.1:443"}, nil }
	cfg, err := restConfig(kubeconfigSources{home: t.TempDir(), inCluster: inCluster}, "")
	if err != nil || cfg.Host != "https://10.0.0.1:443" {
		t.Fatalf("got %v, %v; want the in-cluster config", cfg, err)
	}
	// A kubeconfig, when there is one, wins; so does asking for a context.
	if _, err := restConfig(kubeconfigSources{home: t.TempDir(), inCluster: inCluster}, "ctx"); !errors.Is(err, ErrNoKubeconfig) {
		t.Errorf("with --context and no kubeconfig: err = %v, want ErrNoKubeconfig", err)
	}
}
