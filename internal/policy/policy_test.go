package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
)

var known = map[string]bool{"privileged-container": true, "host-pid": true, "image-not-pinned": true}

func TestParseValid(t *testing.T) {
	p, err := Parse([]byte(`apiVersion: rampart.dev/v1alpha1
kind: Policy
podSecurity: {level: baseline, version: v1.30}
trustedRegistries: [ghcr.io/acme/]
checks:
  disable: [host-pid]
  enable: [image-not-pinned]
  severity: {privileged-container: medium}
exemptions:
- checks: [privileged-container]
  namespaces: [kube-*]
  reason: system pods
`), known)
	if err != nil {
		t.Fatal(err)
	}
	if p.Enabled("host-pid", true) || !p.Enabled("image-not-pinned", false) || p.Enabled("other", false) || !p.Enabled("privileged-container", true) {
		t.Error("enable/disable not applied")
	}
	if p.Severity("privileged-container", finding.Critical) != finding.Medium || p.Severity("host-pid", finding.High) != finding.High {
		t.Error("severity override not applied")
	}
	if time.Duration(p.Audit.MaxSecretAge) != 365*24*time.Hour || len(p.Audit.SystemNamespaces) != 3 {
		t.Errorf("audit defaults not kept: %+v", p.Audit)
	}
	if p.PodSecurity.Level != "baseline" || p.PodSecurity.Version != "v1.30" {
		t.Errorf("podSecurity %+v", p.PodSecurity)
	}
}

func TestParseInvalid(t *testing.T) {
	tests := map[string]struct{ doc, want string }{
		"wrong version":  {"apiVersion: rampart.dev/v9\nkind: Policy\n", `apiVersion is "rampart.dev/v9"`},
		"unknown field":  {"apiVersion: rampart.dev/v1alpha1\nkind: Policy\nchecks:\n  disabled: [x]\n", "line 4: field disabled not found"},
		"unknown check":  {"apiVersion: rampart.dev/v1alpha1\nkind: Policy\nchecks: {disable: [privileged]}\n", `unknown check "privileged" (did you mean "privileged-container"?)`},
		"bad severity":   {"apiVersion: rampart.dev/v1alpha1\nkind: Policy\nchecks: {severity: {host-pid: urgent}}\n", "unknown severity"},
		"no reason":      {"apiVersion: rampart.dev/v1alpha1\nkind: Policy\nexemptions:\n- names: [a]\n", "exemptions[0] (line 4): reason is required"},
		"bad glob":       {"apiVersion: rampart.dev/v1alpha1\nkind: Policy\nexemptions:\n- names: ['[']\n  reason: r\n", `bad pattern "["`},
		"bad pss level":  {"apiVersion: rampart.dev/v1alpha1\nkind: Policy\npodSecurity: {level: strict}\n", `podSecurity.level is "strict"`},
		"bad version":    {"apiVersion: rampart.dev/v1alpha1\nkind: Policy\npodSecurity: {version: \"1.30\"}\n", `podSecurity.version is "1.30"`},
		"not yaml":       {"apiVersion: [", "invalid policy"},
		"bad duration":   {"apiVersion: rampart.dev/v1alpha1\nkind: Policy\naudit: {maxSecretAge: soon}\n", `bad duration "soon"`},
		"empty registry": {"apiVersion: rampart.dev/v1alpha1\nkind: Policy\ntrustedRegistries: [' ']\n", "empty entry"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), known)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}

func TestExempt(t *testing.T) {
	p := Default()
	p.Exemptions = []Exemption{
		{Checks: []string{"host-pid"}, Namespaces: []string{"monitoring"}, Labels: map[string]string{"team": "sre"}, Reason: "node agent"},
		{Kinds: []string{"Job"}, Names: []string{"migrate-*"}, Reason: "one-off"},
	}
	ref := finding.ObjectRef{Kind: "DaemonSet", Namespace: "monitoring", Name: "agent"}
	tests := []struct {
		name      string
		check     string
		container string
		subj      Subject
		want      string
	}{
		{"policy match", "host-pid", "", Subject{Ref: ref, Labels: map[string]string{"team": "sre"}}, "node agent"},
		{"label mismatch", "host-pid", "", Subject{Ref: ref, Labels: map[string]string{"team": "web"}}, ""},
		{"other check", "privileged-container", "", Subject{Ref: ref, Labels: map[string]string{"team": "sre"}}, ""},
		{"glob name, any check", "privileged-container", "", Subject{Ref: finding.ObjectRef{Kind: "Job", Name: "migrate-42"}}, "one-off"},
		{"annotation on object", "privileged-container", "c", Subject{Ref: ref, Annotations: []map[string]string{{IgnoreAnnotation: "host-pid, privileged-container", IgnoreReasonAnnotation: "why not"}}}, "why not"},
		{"annotation on template", "privileged-container", "c", Subject{Ref: ref, Annotations: []map[string]string{nil, {IgnoreAnnotation: "privileged-container"}}}, "annotation rampart.dev/ignore"},
		{"per-container annotation, same container", "privileged-container", "c", Subject{Ref: ref, Annotations: []map[string]string{{IgnoreAnnotation: "privileged-container/c"}}}, "annotation rampart.dev/ignore"},
		{"per-container annotation, other container", "privileged-container", "d", Subject{Ref: ref, Annotations: []map[string]string{{IgnoreAnnotation: "privileged-container/c"}}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := finding.Finding{Check: tc.check, Container: tc.container, Object: tc.subj.Ref}
			p.Exempt(&f, tc.subj)
			if f.Exempted != (tc.want != "") || f.ExemptReason != tc.want {
				t.Fatalf("exempted=%v reason=%q, want %q", f.Exempted, f.ExemptReason, tc.want)
			}
		})
	}
}

func TestAuditDurations(t *testing.T) {
	p, err := Parse([]byte("apiVersion: rampart.dev/v1alpha1\nkind: Policy\naudit:\n  maxSecretAge: 30d\n  maxTokenAge: 36h\n"), known)
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(p.Audit.MaxSecretAge) != 30*24*time.Hour || time.Duration(p.Audit.MaxTokenAge) != 36*time.Hour {
		t.Fatalf("audit %+v", p.Audit)
	}
}

// A finding about a Namespace object is in that namespace for exemptions
// by namespace; other cluster-scoped objects are in none.
func TestExemptNamespaceFinding(t *testing.T) {
	p := Default()
	p.Exemptions = []Exemption{{Namespaces: []string{"app"}, Reason: "sandbox"}}
	cases := []struct {
		ref  finding.ObjectRef
		want bool
	}{
		{finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: "app"}, true},
		{finding.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: "prod"}, false},
		{finding.ObjectRef{APIVersion: "v1", Kind: "Node", Name: "app"}, false},
		{finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "app", Name: "web"}, true},
	}
	for _, c := range cases {
		f := finding.Finding{Check: "namespace-no-networkpolicy", Object: c.ref}
		p.Exempt(&f, Subject{Ref: c.ref})
		if f.Exempted != c.want {
			t.Errorf("%s: exempted %v, want %v", c.ref, f.Exempted, c.want)
		}
	}
}
