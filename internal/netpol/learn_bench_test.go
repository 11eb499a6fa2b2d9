package netpol

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/measure"
)

// cycleReader yields n lines taken in turn from a pool, so that a
// million-record input needs no million-record buffer.
type cycleReader struct {
	pool [][]byte
	n, i int
	cur  []byte
}

func (c *cycleReader) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) {
		if len(c.cur) == 0 {
			if c.i == c.n {
				if w == 0 {
					return 0, io.EOF
				}
				return w, nil
			}
			c.cur = c.pool[c.i%len(c.pool)]
			c.i++
		}
		k := copy(p[w:], c.cur)
		c.cur = c.cur[k:]
		w += k
	}
	return w, nil
}

// hubblePool makes realistic Hubble lines (about 900 bytes, as real ones
// are) between 2,000 pods of 400 workloads in 40 namespaces.
func hubblePool(size int) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	ep := func() map[string]any {
		ns := fmt.Sprintf("team-%02d", r.IntN(40))
		app := fmt.Sprintf("svc-%d", r.IntN(10))
		return map[string]any{
			"ID": r.IntN(4000), "identity": r.IntN(60000), "cluster_name": "default", "namespace": ns,
			"labels": []string{"k8s:app=" + app, "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=" + ns, "k8s:io.cilium.k8s.policy.cluster=default",
				"k8s:io.cilium.k8s.policy.serviceaccount=" + app, "k8s:io.kubernetes.pod.namespace=" + ns, fmt.Sprintf("k8s:pod-template-hash=%x", r.IntN(5))},
			"pod_name": fmt.Sprintf("%s-%x-%d", app, r.IntN(5), r.IntN(5)), "workloads": []map[string]string{{"name": app, "kind": "Deployment"}},
		}
	}
	var out [][]byte
	for i := range size {
		flow := map[string]any{
			"time": "2026-11-20T10:00:00.000000001Z", "uuid": fmt.Sprintf("f%08d", i), "verdict": "FORWARDED",
			"ethernet": map[string]string{"source": "aa:bb:cc:00:00:01", "destination": "aa:bb:cc:00:00:02"},
			"IP":       map[string]string{"source": "10.0.1.15", "destination": "10.0.2.20", "ipVersion": "IPv4"},
			"l4":       map[string]any{"TCP": map[string]any{"source_port": 30000 + r.IntN(30000), "destination_port": []int{80, 443, 5432, 8080}[r.IntN(4)], "flags": map[string]bool{"SYN": true}}},
			"source":   ep(), "destination": ep(), "Type": "L3_L4", "node_name": "worker-1",
			"event_type": map[string]int{"type": 4, "sub_type": 3}, "traffic_direction": "EGRESS", "trace_observation_point": "TO_STACK",
			"is_reply": r.IntN(2) == 0, "Summary": "TCP Flags: SYN",
		}
		line, _ := json.Marshal(map[string]any{"flow": flow, "node_name": "worker-1", "time": "2026-11-20T10:00:00.000000001Z"})
		out = append(out, append(line, '\n'))
	}
	return out
}

// BenchmarkLearnHubble learns from 1,000,000 Hubble JSON records.
func BenchmarkLearnHubble(b *testing.B) {
	pool := hubblePool(20000)
	bytesPer := 0
	for _, l := range pool {
		bytesPer += len(l)
	}
	n := *benchFlows
	b.SetBytes(int64(bytesPer) * int64(n) / int64(len(pool)))
	b.ReportAllocs()
	var peak uint64
	cpu0 := measure.CPU()
	for b.Loop() {
		runtime.GC()
		peak = max(peak, measure.PeakHeap(func() {
			l, err := Learn(&cycleReader{pool: pool, n: n}, FormatHubble, DefaultLimits, LearnOptions{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			if l.Stats.Flows != n || len(l.Policies()) == 0 {
				b.Fatalf("stats %+v", l.Stats)
			}
		}))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric((measure.CPU()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkLearnCSV learns from 1,000,000 records of Rampart's CSV format.
func BenchmarkLearnCSV(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	pool := [][]byte{[]byte("src_namespace,src_labels,dst_namespace,dst_labels,protocol,port\n")}
	for range 20000 {
		pool = append(pool, fmt.Appendf(nil, "team-%02d,app=svc-%d;pod-template-hash=%x,team-%02d,app=svc-%d,TCP,%d\n",
			r.IntN(40), r.IntN(10), r.IntN(5), r.IntN(40), r.IntN(10), []int{80, 443, 5432}[r.IntN(3)]))
	}
	n := *benchFlows
	b.ReportAllocs()
	cpu0 := measure.CPU()
	defer func() { b.ReportMetric((measure.CPU()-cpu0).Seconds()/float64(b.N), "cpu-s/op") }()
	for b.Loop() {
		// The header once, then records from the rest of the pool.
		rd := io.MultiReader(strings.NewReader(string(pool[0])), &cycleReader{pool: pool[1:], n: n})
		l, err := Learn(rd, FormatCSV, DefaultLimits, LearnOptions{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if l.Stats.Flows != n {
			b.Fatalf("stats %+v", l.Stats)
		}
	}
}

// benchFlows is the number of records the learn benchmarks read.
var benchFlows = flag.Int("flows", 1_000_000, "records the learn benchmarks read")
