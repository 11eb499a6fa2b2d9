package netpol

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/audit"
)

func TestRegistry(t *testing.T) {
	if err := audit.Validate(Checks()); err != nil {
		t.Fatal(err)
	}
	if len(Checks()) != 5 {
		t.Errorf("%d checks registered, want 5", len(Checks()))
	}
	// IDs must not clash with the audit package's.
	for _, c := range Checks() {
		if audit.Lookup(audit.Checks(), c.ID) != nil {
			t.Errorf("%s is also an audit check", c.ID)
		}
	}
	for _, c := range Checks() {
		if !c.Scan || c.Section != "4.3.3" {
			t.Errorf("%s: Scan %v, section %s", c.ID, c.Scan, c.Section)
		}
	}
}

type checkCase struct {
	name   string
	docs   []string
	config *audit.Config
	// want lists "ref path severity" of each finding, sorted.
	want     []string
	contains []string
}

func runCheckCases(t *testing.T, id string, cases []checkCase) {
	t.Helper()
	c := audit.Lookup(Checks(), id)
	if c == nil {
		t.Fatalf("no check %q", id)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := parse(t, tc.docs...)
			res := audit.RunChecks(inv, tc.config, []*audit.Check{c})
			var got, msgs []string
			for _, f := range res.Findings {
				if f.Severity > c.Severity || f.Message == "" || f.Place.File == "" {
					t.Errorf("bad finding: %+v", f)
				}
				got = append(got, fmt.Sprintf("%s %s %s", f.Object, f.Place.Path, f.Severity))
				msgs = append(msgs, f.Message)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings:\n got  %q\n want %q\nmessages: %q", got, tc.want, msgs)
			}
			all := strings.Join(msgs, "\n")
			for _, s := range tc.contains {
				if !strings.Contains(all, s) {
					t.Errorf("no message contains %q:\n%s", s, all)
				}
			}
		})
	}
}
