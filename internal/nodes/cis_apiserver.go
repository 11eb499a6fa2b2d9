package nodes

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

const editAPIServer = "Edit the API server's static Pod manifest (/etc/kubernetes/manifests/kube-apiserver.yaml) on each control-plane node and "

// defaultAdmissionPlugins are the plugins kube-apiserver enables when
// --enable-admission-plugins does not name them (v1.37).
var defaultAdmissionPlugins = []string{
	"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "TaintNodesByCondition", "PodSecurity", "Priority",
	"DefaultTolerationSeconds", "DefaultStorageClass", "StorageObjectInUseProtection", "PersistentVolumeClaimResize",
	"RuntimeClass", "CertificateApproval", "CertificateSigning", "ClusterTrustBundleAttest", "CertificateSubjectRestriction",
	"DefaultIngressClass", "MutatingAdmissionPolicy", "MutatingAdmissionWebhook", "ValidatingAdmissionPolicy",
	"ValidatingAdmissionWebhook", "ResourceQuota",
}

// admission returns whether an admission plugin is on, and the flag that
// decides it: --disable-admission-plugins wins, then
// --enable-admission-plugins (added to the defaults), then the legacy
// --admission-control (which replaces them).
func admission(p *Process, plugin string) (bool, Value) {
	disabled, dv := p.List("disable-admission-plugins", "")
	if slices.Contains(disabled, plugin) {
		return false, dv
	}
	if legacy, lv := p.List("admission-control", ""); lv.Origin != FromDefault {
		return slices.Contains(legacy, plugin), lv
	}
	enabled, ev := p.List("enable-admission-plugins", "")
	if slices.Contains(enabled, plugin) {
		return true, ev
	}
	if slices.Contains(defaultAdmissionPlugins, plugin) {
		if dv.Origin != FromDefault {
			return true, dv
		}
		return true, Value{Setting: "admission plugin " + plugin, Text: "enabled", Origin: FromDefault, Place: ev.Place}
	}
	return false, ev
}

func pluginOn(plugin, why string) evalFunc {
	return onProcess(APIServer, func(_ *Config, p *Process) Result {
		on, v := admission(p, plugin)
		return judge(on, v, plugin+" is enabled", plugin+" is not enabled: "+why)
	})
}

func pluginOff(plugin, why string) evalFunc {
	return onProcess(APIServer, func(_ *Config, p *Process) Result {
		on, v := admission(p, plugin)
		return judge(!on, v, plugin+" is not enabled", plugin+" is enabled: "+why)
	})
}

// authorizers returns the API server's authorizer chain: from the
// AuthorizationConfiguration --authorization-config names, else from
// --authorization-mode (default AlwaysAllow). reason is set when the
// configuration file is not in the input.
func authorizers(c *Config, p *Process) (modes []string, v Value, reason string) {
	if cfg, set := p.Flag("authorization-config", ""); set {
		doc, why := c.Doc("AuthorizationConfiguration", cfg.Text)
		if doc == nil {
			return nil, cfg, why
		}
		list, _ := doc.Raw["authorizers"].([]any)
		for _, a := range list {
			m, _ := a.(map[string]any)
			if t, ok := m["type"].(string); ok {
				modes = append(modes, t)
			}
		}
		return modes, Value{Setting: "authorizers", Text: strings.Join(modes, ","), Origin: FromFile, Place: doc.Place("authorizers")}, ""
	}
	modes, v = p.List("authorization-mode", "AlwaysAllow")
	return modes, v, ""
}

func authzHas(mode string, want bool, why string) evalFunc {
	return onProcess(APIServer, func(c *Config, p *Process) Result {
		modes, v, reason := authorizers(c, p)
		if reason != "" {
			return notAssessed("%s", reason)
		}
		has := slices.Contains(modes, mode)
		if want {
			return judge(has, v, "includes "+mode, "does not include "+mode+": "+why)
		}
		return judge(!has, v, "does not include "+mode, "includes "+mode+": "+why)
	})
}

// healthPaths are the paths anonymous requests may reach under an
// AuthenticationConfiguration's anonymous conditions without opening the API.
var healthPaths = []string{"/healthz", "/livez", "/readyz"}

func anonymousAuth(c *Config, p *Process) Result {
	if cfg, set := p.Flag("authentication-config", ""); set {
		doc, why := c.Doc("AuthenticationConfiguration", cfg.Text)
		if doc == nil {
			if _, flagSet := p.Flag("anonymous-auth", ""); !flagSet {
				return notAssessed("%s", why)
			}
		} else if anon, ok := doc.Raw["anonymous"].(map[string]any); ok {
			enabled, _ := anon["enabled"].(bool)
			var paths []string
			conds, _ := anon["conditions"].([]any)
			for _, x := range conds {
				m, _ := x.(map[string]any)
				s, _ := m["path"].(string)
				paths = append(paths, s)
			}
			v := Value{Setting: "anonymous.enabled", Text: fmt.Sprint(enabled), Origin: FromFile, Place: doc.Place(inventory.FieldPath("anonymous.enabled"))}
			if !enabled {
				return judge(true, v, "anonymous requests are rejected", "")
			}
			var open []string
			for _, s := range paths {
				if !slices.Contains(healthPaths, s) {
					open = append(open, s)
				}
			}
			if len(paths) > 0 && len(open) == 0 {
				return judge(true, v, "anonymous requests only reach "+strings.Join(paths, ", "), "")
			}
			if len(paths) == 0 {
				return judge(false, v, "", "anonymous requests are authenticated as system:anonymous on every path; disable them or limit them with conditions to /healthz, /livez and /readyz")
			}
			return judge(false, v, "", "anonymous requests reach "+strings.Join(open, ", ")+"; limit the conditions to /healthz, /livez and /readyz")
		}
	}
	v, _ := p.Flag("anonymous-auth", "true")
	return judge(v.Text == "false", v, "anonymous requests are rejected",
		"requests without credentials are served as system:anonymous, and whatever RBAC grants that user or system:unauthenticated is open to anyone who reaches the API server")
}

// strongAPIServerCiphers are the suites the benchmark accepts for the API server.
var strongAPIServerCiphers = []string{
	"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}

var apiServerChecks = []*Check{
	{ID: "apiserver-anonymous-auth", CIS: "1.2.1", Manual: true, Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.High,
		Title:       "API server accepts anonymous requests",
		Description: "Fires when --anonymous-auth is true or unset (its default is true), or when the AuthenticationConfiguration named by --authentication-config enables anonymous requests beyond the health endpoints.",
		Remediation: editAPIServer + "set --anonymous-auth=false, or in an AuthenticationConfiguration limit anonymous.conditions to /healthz, /livez and /readyz.",
		Eval:        onProcess(APIServer, anonymousAuth)},
	{ID: "apiserver-token-auth-file", CIS: "1.2.2", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.High,
		Title:       "API server reads static tokens",
		Description: "Fires when --token-auth-file is set: static bearer tokens live in a plain file, never expire and cannot be revoked without restarting the API server.",
		Remediation: "Move users to client certificates, OIDC or another authenticator; then edit the API server's static Pod manifest on each control-plane node and remove --token-auth-file.",
		Eval:        flagUnset(APIServer, "token-auth-file", "static tokens never expire and cannot be revoked without a restart")},
	{ID: "apiserver-deny-external-ips", CIS: "1.2.3", Manual: true, Component: APIServer, FlagsOnly: true, Severity: finding.Low,
		Title:       "DenyServiceExternalIPs admission plugin not enabled",
		Description: "Fires when --enable-admission-plugins does not include DenyServiceExternalIPs: anyone who may create a Service can set externalIPs and intercept traffic to those addresses (CVE-2020-8554).",
		Remediation: editAPIServer + "add DenyServiceExternalIPs to --enable-admission-plugins.",
		Eval:        pluginOn("DenyServiceExternalIPs", "Services may set externalIPs and capture other traffic (CVE-2020-8554)")},
	{ID: "apiserver-kubelet-client-cert", CIS: "1.2.4", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.High,
		Title:       "API server has no client certificate for kubelets",
		Description: "Fires when --kubelet-client-certificate or --kubelet-client-key is not set: the API server cannot authenticate to kubelets, which must then allow unauthenticated access for logs, exec and port-forward to work.",
		Remediation: editAPIServer + "set --kubelet-client-certificate and --kubelet-client-key to a client certificate the kubelets trust.",
		Eval:        flagsSet(APIServer, "the API server cannot authenticate to kubelets", "kubelet-client-certificate", "kubelet-client-key")},
	{ID: "apiserver-kubelet-ca", CIS: "1.2.5", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.Medium,
		Title:       "API server does not verify kubelet certificates",
		Description: "Fires when --kubelet-certificate-authority is not set: the API server does not verify the serving certificates of kubelets, so exec, logs and port-forward traffic can be intercepted.",
		Remediation: editAPIServer + "set --kubelet-certificate-authority to the CA that signs kubelet serving certificates.",
		Eval:        flagsSet(APIServer, "kubelet serving certificates are not verified", "kubelet-certificate-authority")},
	{ID: "apiserver-authz-always-allow", CIS: "1.2.6", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.Critical,
		Title:       "API server authorizes every request",
		Description: "Fires when the authorizer chain (--authorization-mode, default AlwaysAllow, or the AuthorizationConfiguration --authorization-config names) includes AlwaysAllow: every authenticated request is allowed.",
		Remediation: editAPIServer + "set --authorization-mode=Node,RBAC (or list Node and RBAC authorizers in the AuthorizationConfiguration).",
		Eval:        authzHas("AlwaysAllow", false, "every authenticated request is allowed")},
	{ID: "apiserver-authz-node", CIS: "1.2.7", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.High,
		Title:       "API server does not use the Node authorizer",
		Description: "Fires when the authorizer chain does not include Node: kubelets are then authorized by RBAC alone and can usually read every Secret and ConfigMap rather than only those of their own Pods.",
		Remediation: editAPIServer + "set --authorization-mode to a list that includes Node, e.g. --authorization-mode=Node,RBAC.",
		Eval:        authzHas("Node", true, "kubelets are not limited to the objects of their own Pods")},
	{ID: "apiserver-authz-rbac", CIS: "1.2.8", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.High,
		Title:       "API server does not use RBAC",
		Description: "Fires when the authorizer chain does not include RBAC: Roles and RoleBindings have no effect.",
		Remediation: editAPIServer + "set --authorization-mode to a list that includes RBAC, e.g. --authorization-mode=Node,RBAC.",
		Eval:        authzHas("RBAC", true, "Roles and RoleBindings have no effect")},
	{ID: "apiserver-event-rate-limit", CIS: "1.2.9", Manual: true, Component: APIServer, FlagsOnly: true, Severity: finding.Low,
		Title:       "EventRateLimit admission plugin not enabled",
		Description: "Fires when --enable-admission-plugins does not include EventRateLimit: a client can flood the API server and etcd with Events.",
		Remediation: editAPIServer + "add EventRateLimit to --enable-admission-plugins and configure its limits in the file --admission-control-config-file names.",
		Eval:        eventRateLimit},
	{ID: "apiserver-always-admit", CIS: "1.2.10", Component: APIServer, FlagsOnly: true, Severity: finding.High,
		Title:       "AlwaysAdmit admission plugin enabled",
		Description: "Fires when AlwaysAdmit is enabled: it admits every request, whatever the other admission plugins would say.",
		Remediation: editAPIServer + "remove AlwaysAdmit from --enable-admission-plugins.",
		Eval:        pluginOff("AlwaysAdmit", "every request is admitted")},
	{ID: "apiserver-always-pull-images", CIS: "1.2.11", Manual: true, Component: APIServer, FlagsOnly: true, Severity: finding.Low,
		Title:       "AlwaysPullImages admission plugin not enabled",
		Description: "Fires when AlwaysPullImages is not enabled: on a shared node, a Pod can run a private image another tenant pulled without having the credentials to pull it.",
		Remediation: editAPIServer + "add AlwaysPullImages to --enable-admission-plugins (or rely on the kubelet's image pull credential verification).",
		Eval:        pluginOn("AlwaysPullImages", "Pods may use private images cached on the node without credentials")},
	{ID: "apiserver-service-account-plugin", CIS: "1.2.12", Component: APIServer, FlagsOnly: true, Severity: finding.Medium,
		Title:       "ServiceAccount admission plugin disabled",
		Description: "Fires when --disable-admission-plugins includes ServiceAccount (or the legacy --admission-control leaves it out): Pods are no longer checked against and given their service accounts.",
		Remediation: editAPIServer + "remove ServiceAccount from --disable-admission-plugins.",
		Eval:        pluginOn("ServiceAccount", "Pods are not tied to existing service accounts")},
	{ID: "apiserver-namespace-lifecycle", CIS: "1.2.13", Component: APIServer, FlagsOnly: true, Severity: finding.Medium,
		Title:       "NamespaceLifecycle admission plugin disabled",
		Description: "Fires when --disable-admission-plugins includes NamespaceLifecycle: objects can be created in namespaces that do not exist or are being deleted.",
		Remediation: editAPIServer + "remove NamespaceLifecycle from --disable-admission-plugins.",
		Eval:        pluginOn("NamespaceLifecycle", "objects can be created in terminating or missing namespaces")},
	{ID: "apiserver-node-restriction", CIS: "1.2.14", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.High,
		Title:       "NodeRestriction admission plugin not enabled",
		Description: "Fires when --enable-admission-plugins does not include NodeRestriction: every node's kubelet may modify any Node and any Pod, so one compromised node can relabel others or take over workloads.",
		Remediation: editAPIServer + "add NodeRestriction to --enable-admission-plugins (with the Node authorizer).",
		Eval:        pluginOn("NodeRestriction", "each kubelet may modify every Node and Pod, not only its own")},
	{ID: "apiserver-profiling", CIS: "1.2.15", Component: APIServer, FlagsOnly: true, Severity: finding.Low,
		Title:       "API server profiling enabled",
		Description: "Fires when --profiling is true or unset (default true): the /debug/pprof endpoints reveal internals and can be used to load the server.",
		Remediation: editAPIServer + "set --profiling=false.",
		Eval:        boolFlagIs(APIServer, "profiling", true, false, "the profiling endpoints expose internals")},
	{ID: "apiserver-audit-log-path", CIS: "1.2.16", Component: APIServer, FlagsOnly: true, Severity: finding.Medium,
		Title:       "API server audit log not written",
		Description: "Fires when --audit-log-path is not set: no request is recorded, so an intrusion through the API leaves no trace.",
		Remediation: editAPIServer + "set --audit-log-path (e.g. /var/log/kubernetes/audit.log) together with --audit-policy-file.",
		Eval:        flagsSet(APIServer, "requests to the API are not recorded", "audit-log-path")},
	{ID: "apiserver-audit-log-maxage", CIS: "1.2.17", Component: APIServer, FlagsOnly: true, Severity: finding.Low,
		Title:       "Audit logs kept less than 30 days",
		Description: "Fires when --audit-log-maxage is below 30 (default 0: no age-based retention).",
		Remediation: editAPIServer + "set --audit-log-maxage=30 or more.",
		Eval:        intAtLeast(APIServer, "audit-log-maxage", 0, 30, "audit records may be gone before an incident is investigated")},
	{ID: "apiserver-audit-log-maxbackup", CIS: "1.2.18", Component: APIServer, FlagsOnly: true, Severity: finding.Low,
		Title:       "Fewer than 10 audit log files kept",
		Description: "Fires when --audit-log-maxbackup is below 10 (default 0).",
		Remediation: editAPIServer + "set --audit-log-maxbackup=10 or more.",
		Eval:        intAtLeast(APIServer, "audit-log-maxbackup", 0, 10, "rotated audit logs are deleted too soon")},
	{ID: "apiserver-audit-log-maxsize", CIS: "1.2.19", Component: APIServer, FlagsOnly: true, Severity: finding.Low,
		Title:       "Audit log files rotated below 100 MB",
		Description: "Fires when --audit-log-maxsize is below 100 (megabytes; default 0).",
		Remediation: editAPIServer + "set --audit-log-maxsize=100 or more.",
		Eval:        intAtLeast(APIServer, "audit-log-maxsize", 0, 100, "audit log files rotate too early")},
	{ID: "apiserver-service-account-lookup", CIS: "1.2.21", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.Medium,
		Title:       "Service account tokens not checked against etcd",
		Description: "Fires when --service-account-lookup is false (default true): tokens of deleted service accounts keep working until they expire.",
		Remediation: editAPIServer + "set --service-account-lookup=true or remove the flag.",
		Eval:        boolFlagIs(APIServer, "service-account-lookup", true, true, "tokens of deleted service accounts stay valid")},
	{ID: "apiserver-service-account-key", CIS: "1.2.22", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.Medium,
		Title:       "No service account verification key",
		Description: "Fires when --service-account-key-file is not set, so the key that verifies service account tokens is not named and cannot be rotated deliberately.",
		Remediation: editAPIServer + "set --service-account-key-file to the public key (or keys) that verify service account tokens.",
		Eval:        flagsSet(APIServer, "service account tokens are verified with an implicit key", "service-account-key-file")},
	{ID: "apiserver-etcd-client-cert", CIS: "1.2.23", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.High,
		Title:       "API server does not authenticate to etcd",
		Description: "Fires when --etcd-certfile or --etcd-keyfile is not set: etcd, which holds every Secret, is then reached without a client certificate.",
		Remediation: editAPIServer + "set --etcd-certfile and --etcd-keyfile to a client certificate etcd trusts.",
		Eval:        flagsSet(APIServer, "etcd is reached without a client certificate", "etcd-certfile", "etcd-keyfile")},
	{ID: "apiserver-tls-cert", CIS: "1.2.24", Component: APIServer, FlagsOnly: true, Severity: finding.Medium,
		Title:       "API server serving certificate not set",
		Description: "Fires when --tls-cert-file or --tls-private-key-file is not set: the API server serves a self-signed certificate that clients cannot verify.",
		Remediation: editAPIServer + "set --tls-cert-file and --tls-private-key-file to a certificate signed by the cluster CA.",
		Eval:        flagsSet(APIServer, "clients cannot verify the API server", "tls-cert-file", "tls-private-key-file")},
	{ID: "apiserver-client-ca", CIS: "1.2.25", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.Medium,
		Title:       "API server does not verify client certificates",
		Description: "Fires when --client-ca-file is not set: client certificate authentication is off, including for kubelets and control-plane components.",
		Remediation: editAPIServer + "set --client-ca-file to the CA that signs client certificates.",
		Eval:        flagsSet(APIServer, "client certificates are not verified", "client-ca-file")},
	{ID: "apiserver-etcd-ca", CIS: "1.2.26", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.High,
		Title:       "API server does not verify etcd",
		Description: "Fires when --etcd-cafile is not set: the API server does not verify etcd's certificate, so its storage traffic can be intercepted.",
		Remediation: editAPIServer + "set --etcd-cafile to the CA that signs etcd's serving certificate.",
		Eval:        flagsSet(APIServer, "etcd's certificate is not verified", "etcd-cafile")},
	{ID: "apiserver-tls-ciphers", CIS: "1.2.29", Manual: true, Component: APIServer, FlagsOnly: true, Severity: finding.Low,
		Title:       "API server allows weak TLS cipher suites",
		Description: "Fires when --tls-cipher-suites is unset or lists a suite outside the benchmark's strong list (AEAD suites with forward secrecy).",
		Remediation: editAPIServer + "set --tls-cipher-suites to suites of the benchmark's list, e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384.",
		Eval: onProcess(APIServer, func(_ *Config, p *Process) Result {
			items, v := p.List("tls-cipher-suites", "")
			return strongCiphers(items, v, strongAPIServerCiphers)
		})},
	{ID: "apiserver-extend-token-expiration", CIS: "1.2.30", Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.Low,
		Title:       "Service account token lifetimes extended",
		Description: "Fires when --service-account-extend-token-expiration is true or unset (default true): projected tokens are issued for a year instead of their requested lifetime.",
		Remediation: editAPIServer + "set --service-account-extend-token-expiration=false.",
		Eval:        boolFlagIs(APIServer, "service-account-extend-token-expiration", true, false, "projected tokens stay valid for a year")},
}

// eventRateLimit: the plugin must be enabled and, when the admission
// configuration is in the input, configured there.
func eventRateLimit(c *Config) []Result {
	return onProcess(APIServer, func(c *Config, p *Process) Result {
		on, v := admission(p, "EventRateLimit")
		if !on {
			return judge(false, v, "", "EventRateLimit is not enabled: Events are not rate limited")
		}
		file, set := p.Flag("admission-control-config-file", "")
		if !set {
			return judge(false, file, "", "EventRateLimit is enabled but --admission-control-config-file, which must hold its limits, is not set")
		}
		doc, _ := c.Doc("AdmissionConfiguration", file.Text)
		if doc == nil {
			return judge(true, v, "EventRateLimit is enabled (its limits are in "+file.Text+", not among the inputs)", "")
		}
		plugins, _ := doc.Raw["plugins"].([]any)
		for i, x := range plugins {
			m, _ := x.(map[string]any)
			if m["name"] == "EventRateLimit" {
				pv := Value{Setting: "plugins[].name", Text: "EventRateLimit", Origin: FromFile, Place: doc.Place(inventory.FieldPath("plugins").Index(i))}
				return judge(true, pv, "EventRateLimit is enabled and configured", "")
			}
		}
		dv := Value{Setting: "plugins", Text: "", Origin: FromFile, Place: doc.Place("plugins")}
		return judge(false, dv, "", "EventRateLimit is enabled but the AdmissionConfiguration has no EventRateLimit entry, so the API server will not start")
	})(c)
}
