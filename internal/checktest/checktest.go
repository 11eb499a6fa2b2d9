// Package checktest holds what the check registries' own tests share.
package checktest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// RequireTests fails t unless, for every check ID, the test files of the
// calling package's directory contain fmt.Sprintf(format, id): for
// example format `runCases(t, %q` demands a table test per check.
func RequireTests(t testing.TB, ids []string, format string) {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	var missing []string
	for _, id := range ids {
		if !strings.Contains(src.String(), fmt.Sprintf(format, id)) {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("checks without a test containing %q: %v", format, missing)
	}
}
