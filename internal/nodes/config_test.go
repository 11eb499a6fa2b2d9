package nodes

import (
	"slices"
	"strings"
	"testing"
)

func evalOne(t *testing.T, id string, fx fixture) Result {
	t.Helper()
	for _, ch := range ConfigChecks() {
		if ch.ID == id {
			rs := ch.Eval(fx.config(t))
			if len(rs) != 1 {
				t.Fatalf("%s: %d results", id, len(rs))
			}
			return rs[0]
		}
	}
	t.Fatalf("no check %s", id)
	return Result{}
}

// etcd reads ETCD_ environment variables when a flag is absent.
func TestEtcdEnvironment(t *testing.T) {
	manifest := pod(Etcd) + "    env:\n    - {name: ETCD_CLIENT_CERT_AUTH, value: \"true\"}\n    - {name: ETCD_AUTO_TLS, value: \"true\"}\n"
	fx := doc(manifest)
	if r := evalOne(t, "etcd-client-cert-auth", fx); r.Status != Pass || r.Origin != FromEnv {
		t.Errorf("client-cert-auth from env: %+v", r)
	}
	r := evalOne(t, "etcd-auto-tls", fx)
	if r.Status != Fail || r.Origin != FromEnv || r.Place.Line != 15 || !strings.HasPrefix(r.Value, "ETCD_AUTO_TLS: true") {
		t.Errorf("auto-tls from env: %+v", r)
	}
}

func TestAnonymousAuthConfiguration(t *testing.T) {
	authn := func(body string) fixture {
		return api("--authentication-config=/etc/kubernetes/authn.yaml").and(doc("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\n" + body))
	}
	cases := []struct {
		name string
		fx   fixture
		want Status
	}{
		{"disabled", authn("anonymous: {enabled: false}\n"), Pass},
		{"health endpoints only", authn("anonymous:\n  enabled: true\n  conditions: [{path: /livez}, {path: /readyz}, {path: /healthz}]\n"), Pass},
		{"everywhere", authn("anonymous: {enabled: true}\n"), Fail},
		{"beyond health", authn("anonymous:\n  enabled: true\n  conditions: [{path: /livez}, {path: /api}]\n"), Fail},
		{"no anonymous section: the flag default decides", authn("jwt: []\n"), Fail},
		{"file not in the input", api("--authentication-config=/etc/kubernetes/authn.yaml"), NotAssessed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r := evalOne(t, "apiserver-anonymous-auth", c.fx); r.Status != c.want {
				t.Errorf("got %s (%s), want %s", r.Status, r.Message, c.want)
			}
		})
	}
}

func TestAuthorizationConfiguration(t *testing.T) {
	fx := api("--authorization-config=/etc/kubernetes/authz.yaml").and(doc("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- {type: Node, name: node}\n- {type: Webhook, name: w, webhook: {}}\n"))
	if r := evalOne(t, "apiserver-authz-node", fx); r.Status != Pass {
		t.Errorf("node: %+v", r)
	}
	if r := evalOne(t, "apiserver-authz-rbac", fx); r.Status != Fail || r.Place.File != "fixture-1.yaml" {
		t.Errorf("rbac: %+v", r)
	}
	if r := evalOne(t, "apiserver-authz-rbac", api("--authorization-config=/x.yaml")); r.Status != NotAssessed {
		t.Errorf("absent authorization config: %+v", r)
	}
}

func TestAdmissionPlugins(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		plugin string
		on     bool
	}{
		{"default on", nil, "ServiceAccount", true},
		{"default off", nil, "NodeRestriction", false},
		{"enabled", []string{"--enable-admission-plugins=NodeRestriction"}, "NodeRestriction", true},
		{"disable wins", []string{"--enable-admission-plugins=NodeRestriction", "--disable-admission-plugins=NodeRestriction"}, "NodeRestriction", false},
		{"legacy flag replaces the defaults", []string{"--admission-control=NodeRestriction"}, "ServiceAccount", false},
	}
	for _, c := range cases {
		p := api(c.args...).config(t).APIServer
		if on, _ := admission(p, c.plugin); on != c.on {
			t.Errorf("%s: %s on = %v, want %v", c.name, c.plugin, on, c.on)
		}
	}
}

// The encryption configuration the flag names is found by path; a second
// one elsewhere in the input does not confuse it.
func TestEncryptionConfigByPath(t *testing.T) {
	enc := func(name, provider string) string {
		return "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - " + provider + "\n"
	}
	c := api("--encryption-provider-config=/etc/kubernetes/enc/b.yaml").config(t)
	for _, name := range []string{"a.yaml", "b.yaml"} {
		objs := parseDoc(t, "/srv/"+name, enc(name, map[string]string{"a.yaml": "identity: {}", "b.yaml": "kms: {apiVersion: v2, name: k, endpoint: unix:///k.sock}"}[name]))
		c.AddObjects(objs)
	}
	for _, ch := range encryptionChecks {
		if ch.ID == "encryption-identity-first" {
			if r := ch.Eval(c)[0]; r.Status != Pass || r.Place.File != "/srv/b.yaml" {
				t.Errorf("read the wrong file: %+v", r)
			}
		}
	}
}

// TestExampleNodeConfiguration runs the kubeadm-shaped example end to end.
func TestExampleNodeConfiguration(t *testing.T) {
	c := LoadPaths([]string{"../../examples/nodes"}, LoadOptions{})
	if len(c.Notes) > 0 {
		t.Fatalf("notes: %+v", c.Notes)
	}
	var failed []string
	for _, o := range Evaluate(c, ConfigChecks()) {
		if o.Status() == Fail {
			failed = append(failed, o.Check.CIS+" "+o.Check.ID)
		}
	}
	want := []string{
		"1.2.1 apiserver-anonymous-auth", "1.2.3 apiserver-deny-external-ips", "1.2.5 apiserver-kubelet-ca",
		"1.2.9 apiserver-event-rate-limit", "1.2.11 apiserver-always-pull-images", "1.2.15 apiserver-profiling",
		"1.2.17 apiserver-audit-log-maxage", "1.2.18 apiserver-audit-log-maxbackup", "1.2.19 apiserver-audit-log-maxsize",
		"1.2.28 encryption-key-in-file", "1.2.28 encryption-weak-provider", "1.2.29 apiserver-tls-ciphers",
		"1.2.30 apiserver-extend-token-expiration", "1.4.1 scheduler-profiling", "1.4.2 scheduler-bind-address",
		"3.2.2 audit-policy-logs-secrets", "4.2.4 kubelet-read-only-port", "4.2.9 kubelet-tls-cert",
		"4.2.12 kubelet-tls-ciphers", "4.2.13 kubelet-pod-pids-limit", "4.3.1 kube-proxy-metrics-bind-address",
	}
	if !slices.Equal(failed, want) {
		t.Errorf("failed checks:\n got  %q\n want %q", failed, want)
	}
	// The kubelet flags from kubeadm-flags.env override the file.
	if v, _ := c.Kubelet.Get(kSeccomp); v.Origin != FromFlag || !strings.HasSuffix(v.Place.File, "kubeadm-flags.env") || v.Place.Line != 1 {
		t.Errorf("seccomp-default: %+v", v)
	}
}
