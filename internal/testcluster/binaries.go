package testcluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Versions of the binaries built by scripts/testcluster-binaries.sh from the
// nested modules in build/. A test checks that they match build/*/go.mod.
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.6.16"
)

// Environment variables read by the harness.
const (
	// EnvBin names a directory holding the etcd and kube-apiserver binaries
	// (and kube-controller-manager when it is wanted).
	EnvBin = "RAMPART_TESTCLUSTER_BIN"
	// EnvCache overrides the root of the binary cache, as in the build script.
	EnvCache = "RAMPART_TESTCLUSTER_CACHE"
	// EnvKeep, when true, keeps a stopped cluster's directory (logs, certs).
	EnvKeep = "RAMPART_TESTCLUSTER_KEEP"
)

// ErrBinariesMissing reports that etcd or kube-apiserver was not found:
// scripts/testcluster-binaries.sh builds them.
var ErrBinariesMissing = errors.New("testcluster binaries missing")

// Binaries are the paths of the executables a cluster runs.
type Binaries struct {
	Etcd                  string
	KubeAPIServer         string
	KubeControllerManager string // empty when it was not built
}

// versionKey names the cache subdirectory; keep it in step with
// scripts/testcluster-binaries.sh.
func versionKey() string {
	return fmt.Sprintf("kubernetes-%s_etcd-%s_%s-%s", KubernetesVersion, EtcdVersion, runtime.GOOS, runtime.GOARCH)
}

// DefaultBinDir is where scripts/testcluster-binaries.sh puts the binaries
// when RAMPART_TESTCLUSTER_CACHE is not set.
func DefaultBinDir() (string, error) {
	root := os.Getenv(EnvCache)
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the binary cache: %w", err)
		}
		root = filepath.Join(home, ".cache", "rampart-testcluster")
	}
	return filepath.Join(root, versionKey()), nil
}

// FindBinaries looks in $RAMPART_TESTCLUSTER_BIN, else in DefaultBinDir.
// The error wraps ErrBinariesMissing when etcd or kube-apiserver is absent.
func FindBinaries() (Binaries, error) {
	dir, from := os.Getenv(EnvBin), "$"+EnvBin
	if dir == "" {
		var err error
		if dir, err = DefaultBinDir(); err != nil {
			return Binaries{}, err
		}
		from = "the default cache"
	}
	var b Binaries
	for _, f := range []struct {
		name     string
		path     *string
		required bool
	}{
		{"etcd", &b.Etcd, true},
		{"kube-apiserver", &b.KubeAPIServer, true},
		{"kube-controller-manager", &b.KubeControllerManager, false},
	} {
		p := filepath.Join(dir, f.name)
		if isExecutable(p) {
			*f.path = p
		} else if f.required {
			return Binaries{}, fmt.Errorf("%w: no executable %s in %s (%s): run scripts/testcluster-binaries.sh, which builds them and prints their directory",
				ErrBinariesMissing, f.name, dir, from)
		}
	}
	return b, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
