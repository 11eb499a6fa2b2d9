//go:build linux

package loadgen_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/admission"
	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
	"github.com/rampart-dev/rampart/internal/admission/loadgen"
	"github.com/rampart-dev/rampart/internal/measure"
	"github.com/rampart-dev/rampart/internal/testcluster"
	"golang.org/x/sys/unix"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The webhook watches pods and namespaces, so it is served against a real
// API server, started only by the benchmark that needs it. Run with
// floorEnv set, the test binary is instead the floor benchmark's server.
func TestMain(m *testing.M) {
	if addr := os.Getenv(floorEnv); addr != "" {
		if err := serveFloor(addr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	testcluster.Main(m, testcluster.Options{})
}

var (
	rate      = flag.Int("rate", 1000, "requests per second the webhook benchmark sends")
	conns     = flag.Int("conns", 0, "connections, each carrying one request at a time (default 25, the idle connections client-go's transport keeps)")
	warmup    = flag.Duration("warmup", 3*time.Second, "load sent before measuring")
	serverEnv = flag.String("server-env", "", "semicolon-separated NAME=VALUE added to the server's environment, e.g. GODEBUG=gctrace=1")
	rampart   = flag.String("rampart", "", "rampart binary to serve with (default: built from this module)")
	serverLog = flag.String("server-log", "", "file for the server's standard error (default: discarded unless the benchmark fails)")
	floorCPU  = flag.Duration("floor-cpu", 0, "CPU time the floor benchmark's server spends on each request, standing for a decision")
)

// BenchmarkWebhookServe measures what the API server sees: the real
// rampart webhook serve runs as a child process, with the full workload
// catalog and a decision log file, and each iteration sends a second of
// update reviews of a typical Deployment at -rate over TLS, open loop, on
// keep-alive HTTP/1.1 connections as the API server does.
// Reported: latency percentiles from each request's due time and, as
// sent-*, from its sending (as the API server times a webhook; a request
// that waited for a free connection counts from when it was handed out,
// and how many did is reported as queued), CPU time of the server per
// request (from /proc, independent of other load on the machine) and of
// the generator, and the generator's own lateness.
//
//	go test -run '^$' -bench WebhookServe -benchtime 20x ./internal/admission/loadgen
func BenchmarkWebhookServe(b *testing.B) {
	cluster := testcluster.Shared(b)
	dir := b.TempDir()
	bin := buildRampart(b, dir)
	certs := admissiontest.NewCerts(b, dir)
	policyFile := filepath.Join(dir, "rampart.yaml")
	if err := os.WriteFile(policyFile, []byte(admissiontest.BenchPolicy), 0o600); err != nil {
		b.Fatal(err)
	}
	addr := freeAddr(b)
	srv := startServer(b, bin, dir, nil, "webhook", "serve", "--policy", policyFile, "--tls-cert", certs.CertFile, "--tls-key", certs.KeyFile,
		"--kubeconfig", cluster.Kubeconfig(b), "--listen", addr, "--decision-log", filepath.Join(dir, "decisions.log"))
	measureServe(b, srv, addr, certs)
}

// BenchmarkWebhookFloor is BenchmarkWebhookServe with a server that
// decides nothing: a plain net/http HTTPS server (HTTP/1.1, as rampart's)
// that reads each review and sends a fixed admission, after spending
// -floor-cpu of CPU time on it. It measures what the machine, TLS, HTTP and
// the generator leave of a latency target, and what a decision of a given
// cost would get; the API server runs beside it as in the real benchmark.
//
//	go test ./internal/admission/loadgen -run '^$' -bench WebhookFloor -benchtime 20x -args -floor-cpu 300us
func BenchmarkWebhookFloor(b *testing.B) {
	testcluster.Shared(b)
	dir := b.TempDir()
	certs := admissiontest.NewCerts(b, dir)
	addr := freeAddr(b)
	// GOGC as rampart webhook serve's default --gc-percent.
	env := []string{floorEnv + "=" + addr, floorEnv + "_CERT=" + certs.CertFile, floorEnv + "_KEY=" + certs.KeyFile,
		floorEnv + "_CPU=" + floorCPU.String(), "GOGC=400"}
	srv := startServer(b, os.Args[0], dir, env)
	measureServe(b, srv, addr, certs)
}

// measureServe waits for the server at addr, sends the warm-up and then a
// second of reviews per iteration, and reports what it measured.
func measureServe(b *testing.B, srv *exec.Cmd, addr string, certs admissiontest.Certs) {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certs.CAPEM)
	tlsConfig := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	waitReady(b, srv, "https://"+addr+admission.PathReadyz, tlsConfig)

	gen, err := loadgen.New(loadgen.Options{URL: "https://" + addr + admission.PathWorkloads, Body: typicalReview(b), Rate: *rate,
		Duration: time.Second, Conns: *conns, TLS: tlsConfig, Check: admitted})
	if err != nil {
		b.Fatal(err)
	}
	defer gen.Close()
	// The generator collects its garbage rarely (unless GOGC says
	// otherwise), so that its collections, each a few milliseconds of
	// delayed sends and reads, stay out of the latencies it measures.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(800))
	}
	ctx := b.Context()
	if *warmup > 0 {
		if _, err := gen.Run(ctx, *warmup); err != nil {
			b.Fatal(err)
		}
	}

	total := &loadgen.Result{}
	serverCPU0, ownCPU0 := processCPU(srv.Process.Pid), measure.CPU()
	for b.Loop() {
		res, err := gen.Run(ctx, time.Second)
		if err != nil {
			b.Fatal(err)
		}
		total.Add(res)
	}
	serverCPU, ownUsed := processCPU(srv.Process.Pid)-serverCPU0, measure.CPU()-ownCPU0
	if total.Errors > 0 {
		b.Fatalf("%d of %d requests failed, first: %v", total.Errors, total.Errors+len(total.Latencies), total.Err)
	}
	n := float64(len(total.Latencies))
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(loadgen.Quantile(total.Latencies, 0.5)), "p50-ms")
	b.ReportMetric(ms(loadgen.Quantile(total.Latencies, 0.9)), "p90-ms")
	b.ReportMetric(ms(loadgen.Quantile(total.Latencies, 0.99)), "p99-ms")
	b.ReportMetric(ms(loadgen.Quantile(total.Latencies, 0.999)), "p99.9-ms")
	b.ReportMetric(ms(loadgen.Quantile(total.Latencies, 1)), "max-ms")
	b.ReportMetric(ms(loadgen.Quantile(total.Lag, 0.99)), "lag-p99-ms")
	b.ReportMetric(ms(loadgen.Quantile(total.Sent, 0.5)), "sent-p50-ms")
	b.ReportMetric(ms(loadgen.Quantile(total.Sent, 0.99)), "sent-p99-ms")
	b.ReportMetric(ms(loadgen.Quantile(total.Sent, 0.999)), "sent-p99.9-ms")
	b.ReportMetric(n, "requests")
	b.ReportMetric(float64(total.Dials), "dials")
	b.ReportMetric(float64(total.Queued), "queued")
	if serverCPU >= 0 {
		b.ReportMetric(float64(serverCPU.Microseconds())/n, "server-cpu-µs/req")
	}
	b.ReportMetric(float64(ownUsed.Microseconds())/n, "loadgen-cpu-µs/req")
	b.Logf("%s; load average %s", total, loadAverage())
}

// typicalReview is the update of a typical Deployment that both
// benchmarks send.
func typicalReview(b *testing.B) []byte {
	return admissiontest.Review(b, admissiontest.Request{
		Kind: metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Group: "apps", Resource: "deployments",
		Namespace: "shop", Name: "web", Operation: admissionv1.Update, User: "system:serviceaccount:ci:deployer",
		Object: admissiontest.TypicalDeployment("web"), OldObject: admissiontest.TypicalDeployment("web"),
	})
}

// floorEnv names the floor server's address in its environment; its
// certificate, key and CPU time per request follow in floorEnv_CERT,
// _KEY and _CPU.
const floorEnv = "RAMPART_LOADGEN_FLOOR"

// floorAnswer admits uid-1, as rampart answers the typical review.
var floorAnswer = []byte(`{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":{"uid":"uid-1","allowed":true}}` + "\n")

// serveFloor runs the floor benchmark's server until it is signalled.
func serveFloor(addr string) error {
	spend, err := time.ParseDuration(os.Getenv(floorEnv + "_CPU"))
	if err != nil {
		return fmt.Errorf("floor server: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(os.Getenv(floorEnv+"_CERT"), os.Getenv(floorEnv+"_KEY"))
	if err != nil {
		return fmt.Errorf("floor server: %w", err)
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	srv := &http.Server{Addr: addr, Protocols: protocols, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			spendCPU(spend)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(floorAnswer)
		})}
	return srv.ListenAndServeTLS("", "")
}

// spendCPU keeps the thread busy for d of its own CPU time, standing for
// the work of a decision: wall time would count the time the thread was
// descheduled. The thread's CPU clock is a system call, so it is read only
// every few microseconds of work in user code, as a decision's is.
func spendCPU(d time.Duration) {
	if d <= 0 {
		return
	}
	var ts unix.Timespec
	cpu := func() time.Duration {
		_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
		return time.Duration(ts.Nano())
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var acc uint64
	for end := cpu() + d; cpu() < end; {
		for i := range 20000 {
			acc += uint64(i) * 2654435761
		}
	}
	spun.Add(acc) // so that the compiler keeps the work
}

var spun atomic.Uint64

// admitted accepts the answer the typical Deployment must get.
func admitted(body []byte) error {
	if !bytes.Contains(body, []byte(`"uid":"uid-1"`)) || !bytes.Contains(body, []byte(`"allowed":true`)) {
		return fmt.Errorf("answer is not an admission of uid-1: %.200s", body)
	}
	return nil
}

// buildRampart builds the rampart command, as users run it.
func buildRampart(b *testing.B, dir string) string {
	b.Helper()
	if *rampart != "" {
		return *rampart
	}
	bin := filepath.Join(dir, "rampart")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/rampart-dev/rampart/cmd/rampart")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building rampart: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	return addr
}

// startServer runs bin with args, and env added to its environment, and
// stops it (SIGTERM, as Kubernetes does) when b ends, showing its log if b
// failed.
func startServer(b *testing.B, bin, dir string, env []string, args ...string) *exec.Cmd {
	b.Helper()
	logFile := *serverLog
	if logFile == "" {
		logFile = filepath.Join(dir, "server.log")
	}
	log, err := os.Create(logFile)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), env...)
	for kv := range strings.SplitSeq(*serverEnv, ";") {
		if kv != "" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting %s: %v", bin, err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = log.Close()
		if b.Failed() {
			out, _ := os.ReadFile(logFile)
			b.Logf("server log:\n%s", out)
		}
	})
	return cmd
}

func waitReady(b *testing.B, srv *exec.Cmd, url string, tlsConfig *tls.Config) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig}, Timeout: time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		if srv.ProcessState != nil {
			b.Fatal("the server exited")
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatalf("the server did not become ready: %v", last)
}

// processCPU is the user and system CPU time of process pid from
// /proc/pid/stat, or -1 where there is no /proc.
func processCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after it. utime and stime are fields 14 and 15, in clock ticks
	// of 1/100 s (USER_HZ, fixed at 100 on Linux).
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return -1
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
