package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestBaselineRoundTrip(t *testing.T) {
	fs := []Finding{
		{RuleID: "a", File: "x", Fingerprint: "f1", Preview: "ab…(9 chars)"},
		{RuleID: "a", File: "x", Fingerprint: "f1"},
		{RuleID: "b", File: "w", Fingerprint: "f2"},
		{RuleID: "c", File: "v", Fingerprint: "f3", Allowed: true},
	}
	b := NewBaseline(fs)
	if len(b.Findings) != 2 || b.Findings[0].Fingerprint != "f2" {
		t.Fatalf("baseline %+v: want f2 then f1, duplicates and allowed findings left out", b.Findings)
	}
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadBaseline(p)
	if err != nil {
		t.Fatal(err)
	}
	later := []Finding{{Fingerprint: "f1"}, {Fingerprint: "new"}}
	got.Apply(later)
	if !later[0].Baselined || later[1].Baselined {
		t.Errorf("Apply: %+v", later)
	}
	if err := os.WriteFile(p, []byte(`{"version":"other","findings":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBaseline(p); !errors.Is(err, ErrBadBaseline) {
		t.Errorf("wrong version: err = %v", err)
	}
}
