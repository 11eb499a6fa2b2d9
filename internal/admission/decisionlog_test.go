package admission

import (
	"bufio"
	"encoding/json"
	"fmt"
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
