package admission

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func readLines(t *testing.T, file string) []Decision {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Decision
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d Decision
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("line %q is not a decision: %v", sc.Text(), err)
		}
		out = append(out, d)
	}
	return out
}

func TestDecisionLogFlushesOnClose(t *testing.T) {
	file := filepath.Join(t.TempDir(), "decisions.log")
	l, err := OpenDecisionLog(file, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Record(Decision{Time: time.Now(), Kind: "authorization", Result: "alert", User: fmt.Sprintf("u%d", i), Groups: []string{"g"}, Verb: "get", Resource: "secrets", Namespace: "prod", Name: "db", Rule: "no-allowlist-rule", Mode: "alert"})
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ds := readLines(t, file)
	if len(ds) != 200 {
		t.Fatalf("%d lines after close, want 200", len(ds))
	}
	d := ds[0]
	if d.Time.IsZero() || d.User == "" || d.Verb != "get" || d.Resource != "secrets" || d.Namespace != "prod" || d.Name != "db" || d.Rule == "" || d.Mode != "alert" || len(d.Groups) != 1 {
		t.Errorf("line lacks fields: %+v", d)
	}
	l.Record(Decision{User: "late"}) // after Close: dropped, no panic
}

func TestDecisionLogRotates(t *testing.T) {
	file := filepath.Join(t.TempDir(), "decisions.log")
	l, err := OpenDecisionLog(file, 1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	msg := strings.Repeat("x", 200)
	for i := range 30 {
		l.Record(Decision{User: fmt.Sprint(i), Message: msg})
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var total int
	for _, f := range []string{file, file + ".1", file + ".2"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if st.Size() > 1000 {
			t.Errorf("%s has %d bytes, the limit is 1000", f, st.Size())
		}
		total += len(readLines(t, f))
	}
	if _, err := os.Stat(file + ".3"); err == nil {
		t.Error("kept more backups than asked")
	}
	last := readLines(t, file)
	if last[len(last)-1].User != "29" {
		t.Errorf("current file ends with %q, want the newest record", last[len(last)-1].User)
	}
	if total < 3 {
		t.Errorf("only %d records kept", total)
	}
}

func TestDecisionLogFlushesPeriodically(t *testing.T) {
	file := filepath.Join(t.TempDir(), "decisions.log")
	l, err := OpenDecisionLog(file, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Record(Decision{User: "a"})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if data, _ := os.ReadFile(file); strings.Contains(string(data), `"user":"a"`) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("record not flushed within 5s while running")
}

// countingStream counts the lines written to it.
type countingStream struct {
	mu    sync.Mutex
	lines int
}

func (s *countingStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines += strings.Count(string(p), "\n")
	return len(p), nil
}

func (s *countingStream) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}

// The writer takes decisions on a tick, not one by one, but a burst that
// fills half the queue wakes it at once: with a tick that never comes,
// more than a queue's worth of decisions recorded in bursts is written
// whole, none dropped.
func TestDecisionLogDrainsABurst(t *testing.T) {
	s := &countingStream{}
	l := newStreamLog(s, time.Hour)
	const n = 3 * queueSize
	for i := range n {
		l.Record(Decision{User: fmt.Sprint(i), Message: "image not pinned"})
		if i%(queueSize/2) == queueSize/2-1 {
			// Let the writer catch up before the next burst (the bufio
			// buffer holds about 700 lines; each buffer's worth is written).
			deadline := time.Now().Add(10 * time.Second)
			for len(l.queue) > 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}
	}
	if l.Dropped() != 0 {
		t.Errorf("%d of %d decisions dropped", l.Dropped(), n)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := s.count(); got != n {
		t.Errorf("%d lines written, want %d", got, n)
	}
}

// blockedStream is a stream nobody reads, as a full pipe to a stuck log
// collector is.
type blockedStream struct {
	release chan struct{}
	mu      sync.Mutex
	lines   int
}

func (s *blockedStream) Write(p []byte) (int, error) {
	<-s.release
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines += strings.Count(string(p), "\n")
	return len(p), nil
}

func TestDecisionLogNeverBlocksARequest(t *testing.T) {
	s := &blockedStream{release: make(chan struct{})}
	l := NewStreamLog(s)
	const n = queueSize + 2000
	start := time.Now()
	for i := range n {
		l.Record(Decision{User: fmt.Sprint(i), Message: "image not pinned"})
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("recording %d decisions into a stuck stream took %v", n, took)
	}
	if l.Dropped() == 0 {
		t.Error("no decision dropped while the stream was stuck")
	}
	// The losses are visible to monitoring.
	m := NewMetrics()
	m.watchLog(l)
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := fmt.Sprintf("rampart_webhook_decision_log_dropped_total %d\n", l.Dropped()); !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %q", want)
	}
	close(s.release)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := s.lines, n-l.Dropped(); got != want {
		t.Errorf("%d lines written, want the %d not dropped", got, want)
	}
	l.Record(Decision{User: "late"})
	if got, want := l.Dropped(), n-s.lines+1; got != want {
		t.Errorf("dropped %d after a record past Close, want %d", got, want)
	}
}

// Decisions recorded while the log closes are each written or counted as
// dropped, never lost without a count.
func TestDecisionLogCloseLosesNothingUncounted(t *testing.T) {
	// Recording without a lock lost a decision within 600 closes under -race.
	for range 50 {
		s := &countingStream{}
		l := NewStreamLog(s)
		const writers, each = 4, 500
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for i := range each {
					l.Record(Decision{User: fmt.Sprint(i)})
				}
			})
		}
		time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if got := s.count() + l.Dropped(); got != writers*each {
			t.Fatalf("%d written and %d dropped of %d recorded", s.count(), l.Dropped(), writers*each)
		}
	}
}
