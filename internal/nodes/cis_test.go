package nodes

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/finding"
)

func placeOf(file string) finding.Place { return finding.Place{File: file} }

// cisFixtures hold, for every check, an input that passes and one that
// fails, written from the benchmark's audit and remediation text: the
// passing input applies the remediation, the failing one is what the audit
// rejects (often the component's default).
var cisFixtures = map[string][2]fixture{
	// 1.1 control-plane files
	"apiserver-manifest-permissions":            perms("/etc/kubernetes/manifests/kube-apiserver.yaml", 0o600, 0o644),
	"apiserver-manifest-ownership":              owner("/etc/kubernetes/manifests/kube-apiserver.yaml"),
	"controller-manager-manifest-permissions":   perms("/etc/kubernetes/manifests/kube-controller-manager.yaml", 0o600, 0o640),
	"controller-manager-manifest-ownership":     owner("/etc/kubernetes/manifests/kube-controller-manager.yaml"),
	"scheduler-manifest-permissions":            perms("/etc/kubernetes/manifests/kube-scheduler.yaml", 0o400, 0o604),
	"scheduler-manifest-ownership":              owner("/etc/kubernetes/manifests/kube-scheduler.yaml"),
	"etcd-manifest-permissions":                 perms("/etc/kubernetes/manifests/etcd.yaml", 0o600, 0o700),
	"etcd-manifest-ownership":                   owner("/etc/kubernetes/manifests/etcd.yaml"),
	"etcd-data-dir-permissions":                 perms("/data/etcd", 0o700, 0o755, etcd("--data-dir=/data/etcd")),
	"etcd-data-dir-ownership":                   {file("/var/lib/etcd", 0o700, "etcd:etcd").and(etcd()), file("/var/lib/etcd", 0o700, "root:root").and(etcd())},
	"admin-kubeconfig-permissions":              perms("/etc/kubernetes/admin.conf", 0o600, 0o644),
	"admin-kubeconfig-ownership":                owner("/etc/kubernetes/super-admin.conf"),
	"scheduler-kubeconfig-permissions":          perms("/etc/kubernetes/scheduler.conf", 0o600, 0o660),
	"scheduler-kubeconfig-ownership":            owner("/srv/sched.conf", sched("--kubeconfig=/srv/sched.conf")),
	"controller-manager-kubeconfig-permissions": perms("/etc/kubernetes/controller-manager.conf", 0o600, 0o666),
	"controller-manager-kubeconfig-ownership":   owner("/etc/kubernetes/controller-manager.conf"),
	"pki-ownership":                             owner("/etc/kubernetes/pki/ca.crt"),
	"pki-certificate-permissions":               perms("/etc/kubernetes/pki/apiserver.crt", 0o644, 0o664),
	"pki-key-permissions":                       perms("/etc/kubernetes/pki/ca.key", 0o600, 0o644),

	// 1.2 API server
	"apiserver-anonymous-auth":          {api("--anonymous-auth=false"), api("--anonymous-auth=true")},
	"apiserver-token-auth-file":         {api("--authorization-mode=Node,RBAC"), api("--token-auth-file=/etc/kubernetes/tokens.csv")},
	"apiserver-deny-external-ips":       {api("--enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs"), api("--enable-admission-plugins=NodeRestriction")},
	"apiserver-kubelet-client-cert":     {api("--kubelet-client-certificate=/pki/kc.crt", "--kubelet-client-key=/pki/kc.key"), api("--kubelet-client-certificate=/pki/kc.crt")},
	"apiserver-kubelet-ca":              {api("--kubelet-certificate-authority=/pki/ca.crt"), api()},
	"apiserver-authz-always-allow":      {api("--authorization-mode=Node,RBAC"), api("--authorization-mode=AlwaysAllow")},
	"apiserver-authz-node":              {api("--authorization-mode=Node,RBAC"), api("--authorization-mode=RBAC")},
	"apiserver-authz-rbac":              {api("--authorization-mode=Node,RBAC"), api("--authorization-mode=Node")},
	"apiserver-event-rate-limit":        {api("--enable-admission-plugins=EventRateLimit", "--admission-control-config-file=/etc/kubernetes/admission.yaml"), api("--enable-admission-plugins=NodeRestriction")},
	"apiserver-always-admit":            {api("--enable-admission-plugins=NodeRestriction"), api("--enable-admission-plugins=NodeRestriction,AlwaysAdmit")},
	"apiserver-always-pull-images":      {api("--enable-admission-plugins=AlwaysPullImages"), api()},
	"apiserver-service-account-plugin":  {api(), api("--disable-admission-plugins=ServiceAccount")},
	"apiserver-namespace-lifecycle":     {api("--disable-admission-plugins=AlwaysPullImages"), api("--disable-admission-plugins=NamespaceLifecycle")},
	"apiserver-node-restriction":        {api("--enable-admission-plugins=NodeRestriction"), api()},
	"apiserver-profiling":               {api("--profiling=false"), api()},
	"apiserver-audit-log-path":          {api("--audit-log-path=/var/log/apiserver/audit.log"), api()},
	"apiserver-audit-log-maxage":        {api("--audit-log-maxage=30"), api("--audit-log-maxage=29")},
	"apiserver-audit-log-maxbackup":     {api("--audit-log-maxbackup=10"), api()},
	"apiserver-audit-log-maxsize":       {api("--audit-log-maxsize=100"), api("--audit-log-maxsize=99")},
	"apiserver-service-account-lookup":  {api(), api("--service-account-lookup=false")},
	"apiserver-service-account-key":     {api("--service-account-key-file=/pki/sa.pub"), api()},
	"apiserver-etcd-client-cert":        {api("--etcd-certfile=/pki/e.crt", "--etcd-keyfile=/pki/e.key"), api("--etcd-keyfile=/pki/e.key")},
	"apiserver-tls-cert":                {api("--tls-cert-file=/pki/a.crt", "--tls-private-key-file=/pki/a.key"), api()},
	"apiserver-client-ca":               {api("--client-ca-file=/pki/ca.crt"), api()},
	"apiserver-etcd-ca":                 {api("--etcd-cafile=/pki/etcd-ca.crt"), api()},
	"apiserver-encryption-config":       {api("--encryption-provider-config=/etc/kubernetes/enc.yaml"), api()},
	"apiserver-tls-ciphers":             {api("--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256"), api("--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA")},
	"apiserver-extend-token-expiration": {api("--service-account-extend-token-expiration=false"), api()},

	// 1.2.28 encryption at rest
	"encryption-secrets-not-covered": {encryption("- resources: [secrets]\n  providers:\n  - kms: {apiVersion: v2, name: vault, endpoint: unix:///kms.sock}\n"),
		encryption("- resources: [configmaps]\n  providers:\n  - kms: {apiVersion: v2, name: vault, endpoint: unix:///kms.sock}\n")},
	"encryption-identity-first": {encryption("- resources: [secrets]\n  providers:\n  - kms: {apiVersion: v2, name: vault, endpoint: unix:///kms.sock}\n  - identity: {}\n"),
		encryption("- resources: [secrets]\n  providers:\n  - identity: {}\n  - kms: {apiVersion: v2, name: vault, endpoint: unix:///kms.sock}\n")},
	"encryption-weak-provider": {encryption("- resources: ['*.*']\n  providers:\n  - secretbox: {keys: [{name: k, secret: c2VjcmV0}]}\n"),
		encryption("- resources: [secrets]\n  providers:\n  - aescbc: {keys: [{name: k, secret: c2VjcmV0}]}\n")},
	"encryption-key-in-file": {encryption("- resources: [secrets]\n  providers:\n  - kms: {apiVersion: v2, name: vault, endpoint: unix:///kms.sock}\n"),
		encryption("- resources: [secrets]\n  providers:\n  - aesgcm: {keys: [{name: k, secret: c2VjcmV0}]}\n")},

	// 1.3 controller manager, 1.4 scheduler
	"controller-manager-pod-gc-threshold":    {kcm("--terminated-pod-gc-threshold=10"), kcm()},
	"controller-manager-profiling":           {kcm("--profiling=false"), kcm("--profiling")},
	"controller-manager-sa-credentials":      {kcm("--use-service-account-credentials=true"), kcm()},
	"controller-manager-sa-private-key":      {kcm("--service-account-private-key-file=/pki/sa.key"), kcm()},
	"controller-manager-root-ca":             {kcm("--root-ca-file=/pki/ca.crt"), kcm()},
	"controller-manager-rotate-server-certs": {kcm("--feature-gates=RotateKubeletServerCertificate=true"), kcm("--feature-gates=Foo=true,RotateKubeletServerCertificate=false")},
	"controller-manager-bind-address":        {kcm("--bind-address=127.0.0.1"), kcm()},
	"scheduler-profiling":                    {sched("--profiling=false"), sched()},
	"scheduler-bind-address":                 {sched("--bind-address=127.0.0.1"), sched("--bind-address=0.0.0.0")},

	// 2 etcd
	"etcd-tls":                   {etcd("--cert-file=/pki/etcd.crt", "--key-file=/pki/etcd.key"), etcd("--cert-file=/pki/etcd.crt")},
	"etcd-client-cert-auth":      {etcd("--client-cert-auth=true"), etcd()},
	"etcd-auto-tls":              {etcd(), etcd("--auto-tls=true")},
	"etcd-peer-tls":              {etcd("--peer-cert-file=/pki/p.crt", "--peer-key-file=/pki/p.key"), etcd()},
	"etcd-peer-client-cert-auth": {etcd("--peer-client-cert-auth=true"), etcd("--peer-client-cert-auth=false")},
	"etcd-peer-auto-tls":         {etcd("--peer-auto-tls=false"), etcd("--peer-auto-tls")},
	"etcd-unique-ca": {etcd("--trusted-ca-file=/pki/etcd/ca.crt").and(api("--client-ca-file=/pki/ca.crt")),
		etcd("--trusted-ca-file=/pki/ca.crt").and(api("--client-ca-file=/pki/ca.crt"))},

	// 3.2 audit policy
	"apiserver-audit-policy": {api("--audit-policy-file=/etc/kubernetes/audit.yaml"), api()},
	"audit-policy-coverage": {auditPolicy("- level: Metadata\n"),
		auditPolicy("- level: None\n  resources: [{group: '', resources: [pods/exec, pods/portforward]}]\n- level: Metadata\n")},
	"audit-policy-logs-secrets": {auditPolicy("- level: Metadata\n  resources: [{group: '', resources: [secrets, configmaps]}, {group: authentication.k8s.io, resources: [tokenreviews]}]\n- level: RequestResponse\n"),
		auditPolicy("- level: RequestResponse\n")},

	// 1.1.9, 1.1.10 CNI files
	"cni-files-permissions": perms("/etc/cni/net.d/10-flannel.conflist", 0o600, 0o644),
	"cni-files-ownership":   owner("/var/lib/cni/networks/cbr0/10.244.0.5"),

	// 4.1 worker node files
	"kube-proxy-kubeconfig-permissions": perms("/var/lib/kube-proxy/kubeconfig.conf", 0o600, 0o644, proxy("--kubeconfig=/var/lib/kube-proxy/kubeconfig.conf")),
	"kube-proxy-kubeconfig-ownership": owner("/var/lib/kube-proxy/kubeconfig.conf",
		proxy("--config=/var/lib/kube-proxy/config.conf").and(proxyConfig("clientConnection: {kubeconfig: /var/lib/kube-proxy/kubeconfig.conf}\n"))),
	"kubelet-service-permissions":        perms("/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", 0o600, 0o644),
	"kubelet-service-ownership":          owner("/usr/lib/systemd/system/kubelet.service"),
	"kubelet-kubeconfig-permissions":     perms("/etc/kubernetes/kubelet.conf", 0o600, 0o644),
	"kubelet-kubeconfig-ownership":       owner("/var/lib/kubelet/kubeconfig", kubeletFlagsOnly("--kubeconfig=/var/lib/kubelet/kubeconfig")),
	"kubelet-client-ca-file-permissions": perms("/etc/kubernetes/pki/ca.crt", 0o644, 0o666, kubelet("authentication: {x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}}\n")),
	"kubelet-client-ca-file-ownership":   owner("/etc/kubernetes/pki/ca.crt", kubelet("authentication: {x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}}\n")),
	"kubelet-config-file-permissions":    perms("/var/lib/kubelet/config.yaml", 0o600, 0o644),
	"kubelet-config-file-ownership":      owner("/etc/kubelet.yaml", kubeletFlagsOnly("--config=/etc/kubelet.yaml")),

	// 4.2 kubelet
	"kubelet-anonymous-auth":            {kubelet("authentication: {anonymous: {enabled: false}}\n"), kubeletFlagsOnly("--client-ca-file=/pki/ca.crt")},
	"kubelet-authz-always-allow":        {kubelet(""), kubelet("authorization: {mode: AlwaysAllow}\n")},
	"kubelet-client-ca":                 {kubeletFlagsOnly("--client-ca-file=/pki/ca.crt"), kubelet("")},
	"kubelet-read-only-port":            {kubelet(""), kubeletFlagsOnly("--anonymous-auth=false")},
	"kubelet-streaming-idle-timeout":    {kubelet("streamingConnectionIdleTimeout: 5m\n"), kubelet("streamingConnectionIdleTimeout: 0s\n")},
	"kubelet-iptables-util-chains":      {kubelet(""), kubelet("makeIPTablesUtilChains: false\n")},
	"kubelet-hostname-override":         {kubeletFlagsOnly("--node-ip=10.0.0.1"), kubeletFlagsOnly("--hostname-override=node-a")},
	"kubelet-tls-cert":                  {kubelet("tlsCertFile: /pki/k.crt\ntlsPrivateKeyFile: /pki/k.key\n"), kubelet("")},
	"kubelet-rotate-certificates":       {kubelet("rotateCertificates: true\n"), kubelet("")},
	"kubelet-rotate-server-certificate": {kubelet(""), kubelet("featureGates: {RotateKubeletServerCertificate: false}\n")},
	"kubelet-tls-ciphers":               {kubelet("tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n"), kubelet("tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_CBC_SHA]\n")},
	"kubelet-pod-pids-limit":            {kubelet("podPidsLimit: 4096\n"), kubelet("")},
	"kubelet-seccomp-default":           {kubelet("seccompDefault: true\n"), kubelet("seccompDefault: false\n")},

	// 4.3 kube-proxy
	"kube-proxy-metrics-bind-address": {proxy("--config=/var/lib/kube-proxy/config.conf").and(proxyConfig("metricsBindAddress: \"\"\n")),
		proxy("--config=/var/lib/kube-proxy/config.conf").and(proxyConfig("metricsBindAddress: 0.0.0.0:10249\n"))},
}

func TestRegistryIsValid(t *testing.T) {
	if err := ValidateConfigChecks(ConfigChecks()); err != nil {
		t.Fatal(err)
	}
}

// TestValidateRejectsBadMetadata: the validation test above must be able
// to fail.
func TestValidateRejectsBadMetadata(t *testing.T) {
	bad := []*Check{
		{ID: "Bad_ID", CIS: "9", Component: "nope", Title: "t", Description: "no stop", Remediation: "no stop"},
		{ID: "dup", CIS: "1.2.1", Component: Kubelet, FlagsOnly: true, Title: "t", Description: "d.", Remediation: "r.", Eval: func(*Config) []Result { return nil }},
		{ID: "dup", CIS: "1.2.1", Component: APIServer, Title: "t", Description: "d.", Remediation: "r.", Eval: func(*Config) []Result { return nil }},
	}
	err := ValidateConfigChecks(bad)
	if err == nil {
		t.Fatal("bad checks validated")
	}
	for _, want := range []string{"not kebab-case", "full stop", "malformed CIS", "unknown component", "no Eval", "duplicate ID", "only control-plane"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("validation error lacks %q: %v", want, err)
		}
	}
}

// TestEveryCheckPassesAndFails runs every check on its passing and its
// failing fixture.
func TestEveryCheckPassesAndFails(t *testing.T) {
	for _, ch := range ConfigChecks() {
		fx, ok := cisFixtures[ch.ID]
		if !ok {
			t.Errorf("%s (CIS %s) has no fixtures", ch.ID, ch.CIS)
			continue
		}
		t.Run(ch.ID, func(t *testing.T) {
			pass := Outcome{Check: ch, Results: ch.Eval(fx[0].config(t))}
			if st := pass.Status(); st != Pass {
				t.Errorf("passing fixture: %s %+v", st, pass.Results)
			}
			fail := Outcome{Check: ch, Results: ch.Eval(fx[1].config(t))}
			if st := fail.Status(); st != Fail {
				t.Fatalf("failing fixture: %s %+v", st, fail.Results)
			}
			for _, r := range fail.Results {
				if r.Status != Fail {
					continue
				}
				if r.Value == "" || r.Message == "" || r.Place.File == "" {
					t.Errorf("failed result lacks value, message or file: %+v", r)
				}
				if ch.Component != "files" && ch.Component != Kubelet && r.Place.Line == 0 {
					t.Errorf("failed result from a manifest has no line: %+v", r)
				}
			}
		})
	}
	for id := range cisFixtures {
		found := false
		for _, ch := range ConfigChecks() {
			found = found || ch.ID == id
		}
		if !found {
			t.Errorf("fixtures for unknown check %q", id)
		}
	}
}

// TestAbsentInputIsNotAssessed: with nothing to read, no check passes or
// fails.
func TestAbsentInputIsNotAssessed(t *testing.T) {
	for _, o := range Evaluate(&Config{}, ConfigChecks()) {
		if st := o.Status(); st != NotAssessed {
			t.Errorf("%s on an empty input: %s", o.Check.ID, st)
		}
		for _, r := range o.Results {
			if r.Message == "" {
				t.Errorf("%s: not assessed without a reason", o.Check.ID)
			}
		}
	}
}
