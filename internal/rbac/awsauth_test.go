package rbac

import (
	"slices"
	"testing"

	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestIAMFor(t *testing.T) {
	ix := indexOf(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapRoles: |
    - rolearn: arn:aws:iam::1:role/nodes
      username: system:node:{{EC2PrivateDNSName}}
      groups: [system:bootstrappers, system:nodes]
    - rolearn: arn:aws:iam::1:role/admin
      username: admin:{{SessionName}}
      groups: [system:masters]
    - rolearn: arn:aws:iam::1:role/ci
      username: ci
  mapUsers: |
    - userarn: arn:aws:iam::1:user/alice
      username: alice
      groups: [dev, system:masters]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: other}
data:
  mapUsers: |
    - userarn: arn:aws:iam::1:user/ignored
      username: bob
`)
	cases := []struct {
		s    Subject
		want []string
	}{
		{Subject{Kind: rbacv1.UserKind, Name: "system:node:ip-10-0-0-1.ec2.internal"}, []string{"arn:aws:iam::1:role/nodes"}},
		{Subject{Kind: rbacv1.UserKind, Name: "system:node:{{EC2PrivateDNSName}}"}, []string{"arn:aws:iam::1:role/nodes"}},
		{Subject{Kind: rbacv1.UserKind, Name: "system:node:"}, nil},
		{Subject{Kind: rbacv1.UserKind, Name: "admin:jane"}, []string{"arn:aws:iam::1:role/admin"}},
		{Subject{Kind: rbacv1.UserKind, Name: "ci"}, []string{"arn:aws:iam::1:role/ci"}},
		{Subject{Kind: rbacv1.UserKind, Name: "cia"}, nil},
		{Subject{Kind: rbacv1.UserKind, Name: "alice"}, []string{"arn:aws:iam::1:user/alice"}},
		{Subject{Kind: rbacv1.UserKind, Name: "bob"}, nil}, // only kube-system/aws-auth counts
		{Subject{Kind: rbacv1.GroupKind, Name: "system:masters"}, []string{"arn:aws:iam::1:role/admin", "arn:aws:iam::1:user/alice"}},
		{Subject{Kind: rbacv1.GroupKind, Name: "system:nodes"}, []string{"arn:aws:iam::1:role/nodes"}},
		{Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: "alice"}, nil},
	}
	for _, c := range cases {
		if got := ix.IAMFor(c.s); !slices.Equal(got, c.want) {
			t.Errorf("IAMFor(%v) = %v, want %v", c.s, got, c.want)
		}
	}
	if err := ix.AWSAuthError(); err != nil {
		t.Errorf("AWSAuthError = %v", err)
	}
	if n := len(ix.IAMMappings()); n != 4 {
		t.Errorf("%d mappings, want 4", n)
	}
}

func TestAWSAuthBadYAML(t *testing.T) {
	ix := indexOf(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapRoles: "- rolearn: [unclosed"
  mapUsers: |
    - userarn: arn:aws:iam::1:user/alice
      username: alice
`)
	if ix.AWSAuthError() == nil {
		t.Error("no error for bad mapRoles")
	}
	if got := ix.IAMFor(Subject{Kind: rbacv1.UserKind, Name: "alice"}); !slices.Equal(got, []string{"arn:aws:iam::1:user/alice"}) {
		t.Errorf("mapUsers lost after a mapRoles error: %v", got)
	}
}

func TestResolveResource(t *testing.T) {
	cases := []struct {
		in, group, resource string
		known               bool
	}{
		{"pods", "", "pods", true},
		{"po", "", "pods", true},
		{"deployments", "apps", "deployments", true},
		{"deploy", "apps", "deployments", true},
		{"deployments.apps", "apps", "deployments", true},
		{"deployments.v1.apps", "apps", "deployments", true},
		{"Secrets", "", "secrets", true},
		{"clusterroles.rbac.authorization.k8s.io", "rbac.authorization.k8s.io", "clusterroles", true},
		{"widgets.example.com", "example.com", "widgets", false},
		{"widgets", "", "widgets", false},
		{"pods.core", "", "pods", true},
	}
	for _, c := range cases {
		g, r, k := ResolveResource(c.in)
		if g != c.group || r != c.resource || k != c.known {
			t.Errorf("ResolveResource(%q) = %q, %q, %v; want %q, %q, %v", c.in, g, r, k, c.group, c.resource, c.known)
		}
	}
}

func TestClusterScoped(t *testing.T) {
	ix := indexOf(t, `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {plural: widgets, kind: Widget}
`)
	cases := []struct {
		group, resource string
		want            bool
	}{
		{"", "nodes", true}, {"", "pods", false}, {"rbac.authorization.k8s.io", "clusterroles", true},
		{"rbac.authorization.k8s.io", "roles", false}, {"example.com", "widgets", true}, {"example.com", "gadgets", false},
	}
	for _, c := range cases {
		if got := ix.ClusterScoped(c.group, c.resource); got != c.want {
			t.Errorf("ClusterScoped(%q, %q) = %v", c.group, c.resource, got)
		}
	}
	if got := ix.Normalize(Request{Verb: "get", APIGroup: "example.com", Resource: "widgets", Namespace: "a"}); got.Namespace != "" {
		t.Errorf("Normalize kept the namespace of a cluster-scoped resource")
	}
}

// FuzzAWSAuth: any aws-auth content parses without panicking, and every
// mapping kept has an ARN.
func FuzzAWSAuth(f *testing.F) {
	f.Add("- rolearn: arn:aws:iam::1:role/x\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [a]\n", "- userarn: u\n  username: '{{'\n")
	f.Add("[", "{}")
	f.Fuzz(func(t *testing.T, mapRoles, mapUsers string) {
		o := &inventory.Object{Kind: "ConfigMap", Namespace: "kube-system", Name: "aws-auth",
			Typed: &corev1.ConfigMap{Data: map[string]string{"mapRoles": mapRoles, "mapUsers": mapUsers}}}
		a := parseAWSAuth(o)
		for _, m := range a.mappings {
			if m.ARN == "" {
				t.Errorf("mapping without ARN: %+v", m)
			}
			_ = usernamePattern(m.Username)
		}
	})
}
