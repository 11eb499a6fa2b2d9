package testcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// shared is the cluster of one test binary, set up by Main.
var shared struct {
	enabled bool
	opts    Options
	once    sync.Once
	cluster *Cluster
	err     error
}

// Main runs the tests of a package whose tests share one cluster; call it
// from TestMain:
//
//	func TestMain(m *testing.M) { testcluster.Main(m, testcluster.Options{}) }
//
// The cluster starts on the first call to Shared, so a run that selects no
// cluster test starts nothing, and stops when the tests end. When tests
// failed, the last lines of the component logs are printed. TestMain
// returning lets the test binary exit with the result of the tests.
func Main(m *testing.M, opts Options) {
	shared.enabled = true
	shared.opts = opts
	code := m.Run()
	if c := shared.cluster; c != nil {
		if code != 0 {
			fmt.Fprint(os.Stderr, c.logTails())
		}
		c.Stop()
	}
}

// Shared returns the package's cluster, starting it on first use. If it
// cannot start, the test fails with the reason; only outside CI, and when
// the binaries were not built, is it skipped instead.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if !shared.enabled {
		t.Fatal("testcluster.Shared needs the package's TestMain to call testcluster.Main")
	}
	shared.once.Do(func() {
		shared.cluster, shared.err = Start(context.Background(), shared.opts)
		if shared.err == nil {
			t.Logf("testcluster: started kubernetes %s with etcd %s in %s", KubernetesVersion, EtcdVersion, shared.cluster.StartupTime().Round(time.Millisecond))
		}
	})
	if shared.err != nil {
		unavailable(t, shared.err)
	}
	return shared.cluster
}

// StartTest starts a cluster of t's own (for example with flags that other
// tests must not see) and stops it when t ends, printing the component logs
// if t failed. It fails or skips as Shared does.
func StartTest(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c, err := Start(t.Context(), opts)
	if err != nil {
		unavailable(t, err)
	}
	t.Logf("testcluster: started in %s", c.StartupTime().Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(c.logTails())
		}
		c.Stop()
	})
	return c
}

// unavailable skips t when the binaries are missing outside CI, and fails it
// otherwise: in CI a test that needs a cluster never passes without one.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrBinariesMissing) && !InCI() {
		t.Skipf("skipping, no test cluster: %v", err)
	}
	t.Fatalf("test cluster cannot start: %v", err)
}

// InCI reports whether the environment variable CI is true, as CI services set it.
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}
