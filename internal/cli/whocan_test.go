package cli

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const rbacFixture = "testdata/rbac"

type whoCanJSON struct {
	Request struct {
		Verb, APIGroup, Resource, Subresource, Name, Namespace, NonResourceURL string
	} `json:"request"`
	Scope    string `json:"scope"`
	Subjects []struct {
		Kind, Name, Namespace string
		Masters               bool
		Binding               *struct{ Kind, Namespace, Name string }
		Role                  *struct{ Kind, Namespace, Name string }
		IAM                   []string
	} `json:"subjects"`
}

func whoCan(t *testing.T, args ...string) whoCanJSON {
	t.Helper()
	code, out, errs := run(t, "", append(append([]string{"who-can"}, args...), "-o", "json")...)
	if code != ExitOK {
		t.Fatalf("who-can %v: exit %d: %s", args, code, errs)
	}
	var res whoCanJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("who-can output is not JSON: %v\n%s", err, out)
	}
	return res
}

// subjects renders "Kind ns/name via Binding" per row.
func (r whoCanJSON) subjects() []string {
	var out []string
	for _, s := range r.Subjects {
		via := "masters"
		if s.Binding != nil {
			via = s.Binding.Kind + " " + strings.TrimPrefix(s.Binding.Namespace+"/"+s.Binding.Name, "/")
		}
		out = append(out, s.Kind+" "+strings.TrimPrefix(s.Namespace+"/"+s.Name, "/")+" via "+via)
	}
	return out
}

func TestWhoCanFiles(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"namespaced request: RoleBinding of that namespace and ClusterRoleBindings",
			[]string{"create", "pods", "-n", "kube-system"},
			[]string{
				"Group platform-admins via ClusterRoleBinding admin-bot",
				"Group system:masters via masters",
				"ServiceAccount ci/builder via RoleBinding kube-system/ci-builder",
				"ServiceAccount kube-system/admin-bot via ClusterRoleBinding admin-bot",
			}},
		{"default namespace is default for files",
			[]string{"create", "pods"},
			[]string{
				"Group platform-admins via ClusterRoleBinding admin-bot",
				"Group system:masters via masters",
				"ServiceAccount kube-system/admin-bot via ClusterRoleBinding admin-bot",
			}},
		{"-A includes RoleBindings of every namespace; aggregated role from its selector",
			[]string{"get", "pods/log", "-A"},
			[]string{
				"Group dev via RoleBinding dev/developers",
				"Group platform-admins via ClusterRoleBinding admin-bot",
				"Group system:masters via masters",
				"ServiceAccount kube-system/admin-bot via ClusterRoleBinding admin-bot",
				"User alice via RoleBinding dev/developers",
			}},
		{"cluster-scoped resource: a RoleBinding never grants it",
			[]string{"list", "nodes", "-n", "dev"},
			[]string{
				"Group platform-admins via ClusterRoleBinding admin-bot",
				"Group system:masters via masters",
				"Group system:nodes via ClusterRoleBinding node-readers",
				"ServiceAccount kube-system/admin-bot via ClusterRoleBinding admin-bot",
				"User system:node:ip-10-0-1-23.ec2.internal via ClusterRoleBinding node-readers",
			}},
		{"group from RESOURCE.GROUP and subresource",
			[]string{"patch", "deployments.apps/scale", "web", "-n", "dev"},
			[]string{
				"Group dev via RoleBinding dev/developers",
				"Group platform-admins via ClusterRoleBinding admin-bot",
				"Group system:masters via masters",
				"ServiceAccount kube-system/admin-bot via ClusterRoleBinding admin-bot",
				"User alice via RoleBinding dev/developers",
			}},
		{"apiGroups honoured: deployments in the core group is nobody's",
			[]string{"patch", "deployments", "--api-group", "", "-n", "dev"},
			[]string{
				"Group platform-admins via ClusterRoleBinding admin-bot",
				"Group system:masters via masters",
				"ServiceAccount kube-system/admin-bot via ClusterRoleBinding admin-bot",
			}},
		{"CRD resource: group and cluster scope from its CustomResourceDefinition",
			[]string{"delete", "backups", "-n", "dev"},
			[]string{
				"Group platform-admins via ClusterRoleBinding admin-bot",
				"Group system:masters via masters",
				"ServiceAccount backup/stash via ClusterRoleBinding backup-operator",
				"ServiceAccount kube-system/admin-bot via ClusterRoleBinding admin-bot",
			}},
		{"non-resource URL with a trailing *",
			[]string{"get", "--non-resource-url", "/healthz/etcd"},
			[]string{
				"Group platform-admins via ClusterRoleBinding admin-bot",
				"Group system:masters via masters",
				"Group system:nodes via ClusterRoleBinding node-readers",
				"ServiceAccount kube-system/admin-bot via ClusterRoleBinding admin-bot",
				"User system:node:ip-10-0-1-23.ec2.internal via ClusterRoleBinding node-readers",
			}},
		{"/healthz/* does not match /healthz",
			[]string{"get", "--non-resource-url", "/healthz"},
			[]string{
				"Group platform-admins via ClusterRoleBinding admin-bot",
				"Group system:masters via masters",
				"ServiceAccount kube-system/admin-bot via ClusterRoleBinding admin-bot",
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := whoCan(t, append(c.args, "-f", rbacFixture)...).subjects()
			if !slices.Equal(got, c.want) {
				t.Errorf("who-can %v:\ngot  %q\nwant %q", c.args, got, c.want)
			}
		})
	}
}

func TestWhoCanIAM(t *testing.T) {
	res := whoCan(t, "get", "nodes", "-f", rbacFixture)
	iam := map[string][]string{}
	for _, s := range res.Subjects {
		iam[s.Kind+" "+s.Name] = s.IAM
	}
	want := map[string][]string{
		"User system:node:ip-10-0-1-23.ec2.internal": {"arn:aws:iam::111122223333:role/eks-nodes"}, // through the {{EC2PrivateDNSName}} template
		"Group system:nodes":                         {"arn:aws:iam::111122223333:role/eks-nodes"},
		"Group platform-admins":                      {"arn:aws:iam::111122223333:role/PlatformAdmin"},
		"ServiceAccount admin-bot":                   nil,
	}
	for k, v := range want {
		if !slices.Equal(iam[k], v) {
			t.Errorf("%s IAM = %v, want %v", k, iam[k], v)
		}
	}
	_, out, _ := run(t, "", "who-can", "get", "nodes", "-f", rbacFixture)
	if !strings.Contains(out, "IAM") || !strings.Contains(out, "arn:aws:iam::111122223333:role/eks-nodes") {
		t.Errorf("text output lacks the IAM column:\n%s", out)
	}
}

func TestWhoCanText(t *testing.T) {
	code, out, errs := run(t, "", "who-can", "create", "pods", "-n", "kube-system", "-f", rbacFixture)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"Who can create pods, in namespace kube-system: 4 subjects",
		"KIND", "VIA", "ROLE",
		"RoleBinding kube-system/ci-builder",
		"Role kube-system/pod-creator",
		"system:masters, allowed before RBAC",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestWhoCanUsage(t *testing.T) {
	cases := [][]string{
		{"who-can", "get"},
		{"who-can", "get", "pods", "-n", "a", "-A"},
		{"who-can", "get", "pods", "--non-resource-url", "/x"},
		{"who-can", "get", "--non-resource-url", "/x", "-n", "a"},
		{"who-can", "get", "pods", "-o", "yaml"},
		{"who-can", "get", "pods", "a", "b"},
		{"access", "alice"},
		{"access", "sa:nonamespace"},
		{"access"},
	}
	for _, args := range cases {
		code, _, errs := run(t, "", append(args, "-f", rbacFixture)...)
		if code != ExitError || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with a message", args, code, errs)
		}
	}
	// An input error still prints the answer, then exits 2.
	code, out, _ := run(t, "", "who-can", "get", "pods", "-f", rbacFixture, "-f", "testdata/broken.yaml")
	if code != ExitError || !strings.Contains(out, "system:masters") {
		t.Errorf("broken input: exit %d, output %q", code, out)
	}
}

type accessJSON struct {
	Subject     string   `json:"subject"`
	User        string   `json:"user"`
	Groups      []string `json:"groups"`
	Permissions []struct {
		Namespace string
		Verbs     []string
		Resources []string
		Through   string
		Binding   *struct{ Kind, Namespace, Name string }
	} `json:"permissions"`
	Matrices []struct {
		Namespace string
		Rows      []struct {
			APIGroup, Resource string
			Verbs              []string
		}
	} `json:"matrices"`
}

func TestAccess(t *testing.T) {
	code, out, errs := run(t, "", "access", "user:alice", "-n", "dev", "-o", "json", "-f", rbacFixture)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res accessJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if res.User != "alice" || !slices.Equal(res.Groups, []string{"system:authenticated"}) {
		t.Errorf("identity = %q %q", res.User, res.Groups)
	}
	if len(res.Matrices) != 1 || res.Matrices[0].Namespace != "dev" {
		t.Fatalf("matrices = %+v", res.Matrices)
	}
	rows := map[string][]string{}
	for _, r := range res.Matrices[0].Rows {
		rows[groupResourceText(r.APIGroup, r.Resource)] = r.Verbs
	}
	want := map[string][]string{
		"deployments.apps":       {"get", "list", "watch", "update", "patch"},
		"deployments.apps/scale": {"get", "list", "watch", "update", "patch"},
		"pods":                   {"get", "list", "watch"},
		"pods/log":               {"get", "list", "watch"},
	}
	if len(rows) != len(want) {
		t.Errorf("matrix rows = %v, want %v (nodes must not appear: a RoleBinding never grants them)", rows, want)
	}
	for k, v := range want {
		if !slices.Equal(rows[k], v) {
			t.Errorf("matrix %s = %v, want %v", k, rows[k], v)
		}
	}

	// A service account gets what its groups get.
	code, out, errs = run(t, "", "access", "sa:ci/builder", "-f", rbacFixture)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"groups system:serviceaccounts, system:serviceaccounts:ci, system:authenticated",
		"Namespace kube-system:",
		"RoleBinding kube-system/ci-builder",
		"Matrix in namespace kube-system",
		"pods/exec",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("access output lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = run(t, "", "access", "user:alice", "-f", rbacFixture)
	if !strings.Contains(out, "nodes (cluster-scoped: no effect in a RoleBinding)") {
		t.Errorf("access does not mark the ineffective nodes rule:\n%s", out)
	}
}

func TestAccessIAM(t *testing.T) {
	code, out, errs := run(t, "", "access", "arn:aws:iam::111122223333:user/alice", "-n", "dev", "-o", "json", "-f", rbacFixture)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res accessJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	// alice's IAM user maps to group dev: its RoleBinding counts, through the group.
	if res.User != "alice" || !slices.Equal(res.Groups, []string{"dev", "system:authenticated"}) {
		t.Errorf("identity = %q %q", res.User, res.Groups)
	}
	var through []string
	for _, p := range res.Permissions {
		through = append(through, p.Through)
	}
	if !slices.Contains(through, "group:dev") {
		t.Errorf("no permission through group dev: %q", through)
	}
	code, _, errs = run(t, "", "access", "arn:aws:iam::111122223333:role/unknown", "-f", rbacFixture)
	if code != ExitError || !strings.Contains(errs, "no entry of the aws-auth ConfigMap") {
		t.Errorf("unknown ARN: exit %d, %q", code, errs)
	}
}

// TestWhoCanLive asks a real API server's objects, including the aws-auth
// ConfigMap whose data the inventory does not read.
func TestWhoCanLive(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	if err := c.CreateNamespace(ctx, "rt-whocan"); err != nil {
		t.Fatal(err)
	}
	_, err := cs.RbacV1().RoleBindings("rt-whocan").Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "rt-viewers", Namespace: "rt-whocan"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "rt-secret-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "rt-team"}, {Kind: rbacv1.ServiceAccountKind, Name: "rt-app"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "rt-secret-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"},
		Data:       map[string]string{"mapRoles": "- rolearn: arn:aws:iam::1:role/team\n  username: team:{{SessionName}}\n  groups: [rt-team]\n"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := whoCan(t, "get", "secrets", "-n", "rt-whocan", "--kubeconfig", c.Kubeconfig(t))
	got := res.subjects()
	for _, want := range []string{"Group rt-team via RoleBinding rt-whocan/rt-viewers", "ServiceAccount rt-whocan/rt-app via RoleBinding rt-whocan/rt-viewers", "Group system:masters via masters"} {
		if !slices.Contains(got, want) {
			t.Errorf("live who-can lacks %q: %q", want, got)
		}
	}
	for _, s := range res.Subjects {
		if s.Name == "rt-team" && !slices.Equal(s.IAM, []string{"arn:aws:iam::1:role/team"}) {
			t.Errorf("rt-team IAM = %v", s.IAM)
		}
	}
}
