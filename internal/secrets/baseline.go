package secrets

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// BaselineVersion names the baseline file format.
const BaselineVersion = "rampart.dev/secrets-baseline/v1"

// Baseline is a file of accepted findings, by fingerprint: CI fails only
// on findings that are not in it. The rule, file and preview are kept for
// the people reviewing the file; only the fingerprint is matched.
type Baseline struct {
	Version  string          `json:"version"`
	Findings []BaselineEntry `json:"findings"`
}

// BaselineEntry is one accepted finding.
type BaselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	Rule        string `json:"rule"`
	File        string `json:"file"`
	Preview     string `json:"preview"`
}

// ErrBadBaseline is returned (wrapped) for a baseline file that cannot be
// used.
var ErrBadBaseline = errors.New("bad baseline file")

// LoadBaseline reads a baseline file.
func LoadBaseline(file string) (*Baseline, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	defer f.Close()
	var b Baseline
	dec := json.NewDecoder(io.LimitReader(f, 64<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrBadBaseline, file, err)
	}
	if b.Version != BaselineVersion {
		return nil, fmt.Errorf("%w %s: version %q, want %q", ErrBadBaseline, file, b.Version, BaselineVersion)
	}
	return &b, nil
}

// Apply marks the findings whose fingerprint is in the baseline.
func (b *Baseline) Apply(fs []Finding) {
	known := make(map[string]bool, len(b.Findings))
	for _, e := range b.Findings {
		known[e.Fingerprint] = true
	}
	for i := range fs {
		fs[i].Baselined = known[fs[i].Fingerprint]
	}
}

// NewBaseline returns a baseline accepting every finding of fs that no
// inline comment already allows, each fingerprint once, in a stable
// order.
func NewBaseline(fs []Finding) *Baseline {
	b := &Baseline{Version: BaselineVersion, Findings: []BaselineEntry{}}
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Allowed || seen[f.Fingerprint] {
			continue
		}
		seen[f.Fingerprint] = true
		b.Findings = append(b.Findings, BaselineEntry{Fingerprint: f.Fingerprint, Rule: f.RuleID, File: f.File, Preview: f.Preview})
	}
	slices.SortFunc(b.Findings, func(x, y BaselineEntry) int {
		if x.File != y.File {
			return compareStrings(x.File, y.File)
		}
		return compareStrings(x.Fingerprint, y.Fingerprint)
	})
	return b
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Write writes the baseline as indented JSON.
func (b *Baseline) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(b)
}
