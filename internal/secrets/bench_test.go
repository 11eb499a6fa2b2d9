package secrets

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/measure"
)

// The benchmark scans a generated tree of the mix a repository holds:
// source code, YAML manifests and Helm values, JSON, binaries and
// gzipped tarballs, with a few secrets planted. Its size is
// RAMPART_BENCH_SECRETS_MB (default 32 and 128 MiB, to show memory
// staying flat as the tree grows). Besides MB/s it reports the peak heap
// and the CPU time per MB (cpu-ms/MB), which, unlike wall time, does not
// depend on what else the machine runs.

// vocabulary makes about one line in ten name a key, a token or a
// password, as in real code (9% of the lines of k8s.io/api/core hold a
// gitleaks keyword).
var vocabulary = strings.Fields(`request response handler server client config context error value result
	user account session cache store index buffer reader writer stream record event message queue worker
	name path status count total limit offset node pod service volume claim selector label owner phase
	reason message condition spec template container image port probe resource quota policy rule group
	token key password`)

// sourceFile returns Go-like code of about n bytes: most lines ordinary,
// some naming keys and tokens as real code does (the prefilter's worst
// friend), none holding a secret.
func sourceFile(r *rand.Rand, n int) []byte {
	var b strings.Builder
	b.WriteString("package gen\n\nimport \"fmt\"\n\n")
	for b.Len() < n {
		a, c, d := vocabulary[r.IntN(len(vocabulary))], vocabulary[r.IntN(len(vocabulary))], vocabulary[r.IntN(len(vocabulary))]
		switch r.IntN(6) {
		case 0:
			fmt.Fprintf(&b, "func (s *%sService) %s%s(ctx context.Context, %s string) error {\n", a, strings.ToUpper(c[:1]), c[1:], d)
		case 1:
			fmt.Fprintf(&b, "\tif err := s.%s.%s(%s); err != nil {\n\t\treturn fmt.Errorf(\"%s %s: %%w\", err)\n\t}\n", a, c, d, a, c)
		case 2:
			fmt.Fprintf(&b, "\t// %s the %s before the %s is read, so that a slow %s cannot block it.\n", a, c, d, a)
		case 3:
			fmt.Fprintf(&b, "\t%s := s.%s[%q]\n", a, c, d+strconv.Itoa(r.IntN(1000)))
		case 4:
			fmt.Fprintf(&b, "\treturn &%s{%s: %s, %s: %d}\n}\n\n", strings.ToUpper(a[:1])+a[1:], c, d, a, r.IntN(100000))
		default:
			fmt.Fprintf(&b, "\tlog.Printf(\"%s %s %%d\", len(%s))\n", a, c, d)
		}
	}
	return []byte(b.String())
}

func yamlFile(r *rand.Rand, n int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-%d\n  labels:\n    app: app-%d\nspec:\n  replicas: %d\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:%d.%d\n          env:\n            - name: API_TOKEN\n              valueFrom:\n                secretKeyRef: {name: app-%d, key: token}\n            - name: LOG_LEVEL\n              value: info\n", i, i, 1+r.IntN(5), r.IntN(9), r.IntN(20), i)
	}
	return []byte(b.String())
}

func binaryFile(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[0], b[1], b[2], b[3], b[4] = 0x7f, 'E', 'L', 'F', 0
	return b
}

// generateTree writes about size bytes of files under dir and returns the
// bytes written.
func generateTree(b *testing.B, dir string, size int64) int64 {
	r := rand.New(rand.NewPCG(42, 7))
	var written int64
	write := func(p string, data []byte) {
		writeFile(b, filepath.Join(dir, p), data)
		written += int64(len(data))
	}
	for i := 0; written < size; i++ {
		d := fmt.Sprintf("pkg%03d", i%200)
		switch i % 10 {
		case 0, 1, 2, 3, 4:
			write(fmt.Sprintf("%s/file%d.go", d, i), sourceFile(r, 8<<10+r.IntN(48<<10)))
		case 5, 6:
			write(fmt.Sprintf("%s/deploy%d.yaml", d, i), yamlFile(r, 4<<10+r.IntN(16<<10)))
		case 7:
			write(fmt.Sprintf("%s/data%d.json", d, i), []byte(fmt.Sprintf(`{"items": [%s]}`, strings.Repeat(`{"id": 1, "name": "x", "status": "ok"},`, 200+r.IntN(800)))))
		case 8:
			write(fmt.Sprintf("%s/tool%d.bin", d, i), binaryFile(r, 64<<10+r.IntN(512<<10)))
		case 9:
			members := []tarFile{{"chart/values.yaml", yamlFile(r, 8<<10)}, {"chart/templates/a.yaml", yamlFile(r, 16<<10)}, {"src/main.go", sourceFile(r, 32<<10)}}
			write(fmt.Sprintf("%s/chart%d.tgz", d, i), makeTar(b, members, true))
			written += 56 << 10 // what the tarball holds uncompressed is scanned too
		}
		if i%500 == 0 {
			write(fmt.Sprintf("%s/leak%d.env", d, i), []byte("STRIPE_KEY="+fakeStripe()+"\n"))
		}
	}
	return written
}

func BenchmarkScanTree(b *testing.B) {
	sizes := []int64{32 << 20, 128 << 20}
	if v := os.Getenv("RAMPART_BENCH_SECRETS_MB"); v != "" {
		mb, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		sizes = []int64{int64(mb) << 20}
	}
	s := newTestScanner(b)
	for _, size := range sizes {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			dir := b.TempDir()
			n := generateTree(b, dir, size)
			b.SetBytes(n)
			var peak atomic.Uint64
			stop := make(chan struct{})
			go func() {
				var ms runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > peak.Load() {
							peak.Store(ms.HeapInuse)
						}
					}
				}
			}()
			b.ResetTimer()
			cpu0 := measure.CPU()
			for range b.N {
				res := s.ScanPaths(context.Background(), []string{dir}, TreeOptions{Limits: DefaultLimits, BaseDir: dir})
				if len(res.Findings) == 0 {
					b.Fatal("planted secrets not found")
				}
			}
			b.StopTimer()
			cpu := measure.CPU() - cpu0
			close(stop)
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N)/(float64(n)/(1<<20)), "cpu-ms/MB")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}

// BenchmarkMatcher measures the rule engine alone on text files (code
// and YAML), without reading files or skipping binaries.
func BenchmarkMatcher(b *testing.B) {
	m := newTestMatcher(b)
	r := rand.New(rand.NewPCG(42, 7))
	var files [][]byte
	var n int64
	for n < 16<<20 {
		for _, f := range [][]byte{sourceFile(r, 8<<10+r.IntN(48<<10)), yamlFile(r, 4<<10+r.IntN(16<<10))} {
			files = append(files, f)
			n += int64(len(f))
		}
	}
	b.SetBytes(n)
	b.ResetTimer()
	cpu0 := measure.CPU()
	for range b.N {
		for _, f := range files {
			m.find(context.Background(), "app/x.go", f, nil)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((measure.CPU()-cpu0).Milliseconds())/float64(b.N)/(float64(n)/(1<<20)), "cpu-ms/MB")
}
