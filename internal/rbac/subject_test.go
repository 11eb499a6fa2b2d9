package rbac

import (
	"errors"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func TestParseSubject(t *testing.T) {
	cases := []struct {
		in   string
		want Subject
		str  string
	}{
		{"user:alice", Subject{Kind: rbacv1.UserKind, Name: "alice"}, "user:alice"},
		{"group:dev", Subject{Kind: rbacv1.GroupKind, Name: "dev"}, "group:dev"},
		{"group:system:masters", Subject{Kind: rbacv1.GroupKind, Name: "system:masters"}, "group:system:masters"},
		{"sa:prod/app", Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "prod", Name: "app"}, "sa:prod/app"},
		{"serviceaccount:prod/app", Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "prod", Name: "app"}, "sa:prod/app"},
		{"user:system:node:n1", Subject{Kind: rbacv1.UserKind, Name: "system:node:n1"}, "user:system:node:n1"},
	}
	for _, c := range cases {
		got, err := ParseSubject(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSubject(%q) = %v, %v; want %v", c.in, got, err, c.want)
			continue
		}
		if got.String() != c.str {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), c.str)
		}
	}
	for _, bad := range []string{"", "alice", "user:", "sa:app", "sa:/app", "sa:ns/", "role:x", "sa:a/b/c"} {
		if _, err := ParseSubject(bad); !errors.Is(err, ErrBadSubject) {
			t.Errorf("ParseSubject(%q) error = %v, want ErrBadSubject", bad, err)
		}
	}
}

func TestIdentityOf(t *testing.T) {
	cases := []struct {
		s    Subject
		want User
	}{
		{Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "prod", Name: "app"},
			User{Name: "system:serviceaccount:prod:app", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:prod", "system:authenticated"}}},
		{Subject{Kind: rbacv1.UserKind, Name: "alice"}, User{Name: "alice", Groups: []string{"system:authenticated"}}},
		{Subject{Kind: rbacv1.UserKind, Name: "system:anonymous"}, User{Name: "system:anonymous", Groups: []string{"system:unauthenticated"}}},
		{Subject{Kind: rbacv1.GroupKind, Name: "dev"}, User{Groups: []string{"dev"}}},
	}
	for _, c := range cases {
		got := IdentityOf(c.s)
		if got.Name != c.want.Name || !slices.Equal(got.Groups, c.want.Groups) {
			t.Errorf("IdentityOf(%v) = %+v, want %+v", c.s, got, c.want)
		}
	}
}

// FuzzParseSubject: ParseSubject never panics, and what it accepts prints
// back to text that parses to the same subject.
func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{"user:alice", "group:system:masters", "sa:prod/app", "serviceaccount:a/b", "sa:/", "user:", ":", "u:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sub, err := ParseSubject(s)
		if err != nil {
			return
		}
		again, err := ParseSubject(sub.String())
		if err != nil || again != sub {
			t.Errorf("ParseSubject(%q) = %+v, but its String %q parses to %+v, %v", s, sub, sub.String(), again, err)
		}
	})
}
