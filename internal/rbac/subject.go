package rbac

import (
	"errors"
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// ErrBadSubject is returned (wrapped) by ParseSubject for text that names
// no subject.
var ErrBadSubject = errors.New("bad subject")

// Subject is an RBAC subject. Kind is rbacv1.UserKind, rbacv1.GroupKind or
// rbacv1.ServiceAccountKind; Namespace is set for service accounts only.
type Subject struct{ Kind, Name, Namespace string }

// Groups every authenticated identity and every service account is in.
// The authenticators add them; RBAC bindings may name them.
const (
	GroupAuthenticated   = "system:authenticated"
	GroupUnauthenticated = "system:unauthenticated"
	GroupServiceAccounts = "system:serviceaccounts"
	GroupMasters         = "system:masters"
	UserAnonymous        = "system:anonymous"
	saUserPrefix         = "system:serviceaccount:"
)

// ParseSubject reads "user:alice", "group:dev", "sa:prod/app" (or
// "serviceaccount:prod/app").
func ParseSubject(s string) (Subject, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return Subject{}, fmt.Errorf("%w %q: want user:NAME, group:NAME or sa:NAMESPACE/NAME", ErrBadSubject, s)
	}
	switch strings.ToLower(kind) {
	case "user", "u":
		return Subject{Kind: rbacv1.UserKind, Name: rest}, nil
	case "group", "g":
		return Subject{Kind: rbacv1.GroupKind, Name: rest}, nil
	case "sa", "serviceaccount":
		ns, name, ok := strings.Cut(rest, "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return Subject{}, fmt.Errorf("%w %q: a service account is sa:NAMESPACE/NAME", ErrBadSubject, s)
		}
		return Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}, nil
	}
	return Subject{}, fmt.Errorf("%w %q: unknown kind %q (want user, group or sa)", ErrBadSubject, s, kind)
}

// String is the inverse of ParseSubject.
func (s Subject) String() string {
	switch s.Kind {
	case rbacv1.UserKind:
		return "user:" + s.Name
	case rbacv1.GroupKind:
		return "group:" + s.Name
	case rbacv1.ServiceAccountKind:
		return "sa:" + s.Namespace + "/" + s.Name
	}
	return strings.ToLower(s.Kind) + ":" + s.Name
}

// User is an authenticated identity as the authorizer sees it.
type User struct {
	Name   string
	Groups []string
}

// IdentityOf returns the identity the API server gives a subject: a service
// account authenticates as system:serviceaccount:NS:NAME in
// system:serviceaccounts, system:serviceaccounts:NS and
// system:authenticated; a user is also in system:authenticated; a group
// becomes an identity with no user name holding only that group (what every
// member has in common).
func IdentityOf(s Subject) User {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		return User{
			Name:   ServiceAccountUsername(s.Namespace, s.Name),
			Groups: []string{GroupServiceAccounts, GroupServiceAccounts + ":" + s.Namespace, GroupAuthenticated},
		}
	case rbacv1.UserKind:
		if s.Name == UserAnonymous {
			// The anonymous authenticator puts system:anonymous in
			// system:unauthenticated, not system:authenticated.
			return User{Name: s.Name, Groups: []string{GroupUnauthenticated}}
		}
		return User{Name: s.Name, Groups: []string{GroupAuthenticated}}
	case rbacv1.GroupKind:
		return User{Groups: []string{s.Name}}
	}
	return User{}
}

// ServiceAccountUsername is the user name a service account authenticates as.
func ServiceAccountUsername(namespace, name string) string {
	return saUserPrefix + namespace + ":" + name
}

// SubjectOf returns the subject a binding's subject names, with the
// namespace of a service account defaulted to the binding's namespace as the
// authorizer does. ok is false when the subject can match no one (a service
// account without a namespace in a ClusterRoleBinding, an unknown kind).
func SubjectOf(s rbacv1.Subject, bindingNamespace string) (Subject, bool) {
	switch s.Kind {
	case rbacv1.UserKind, rbacv1.GroupKind:
		return Subject{Kind: s.Kind, Name: s.Name}, true
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		if ns == "" {
			return Subject{}, false
		}
		return Subject{Kind: s.Kind, Namespace: ns, Name: s.Name}, true
	}
	return Subject{}, false
}
