package nodes

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
)

const kubeletRestart = " Then restart the kubelet (systemctl daemon-reload; systemctl restart kubelet)."

// Kubelet settings with their flag, configuration path and the two
// defaults (KubeletConfiguration v1beta1 / command line), as documented
// for the kubelet of v1.37.
var (
	kAnonymous     = kubeletSetting{flag: "anonymous-auth", path: []string{"authentication", "anonymous", "enabled"}, fileDefault: "false", flagDefault: "true"}
	kAuthzMode     = kubeletSetting{flag: "authorization-mode", path: []string{"authorization", "mode"}, fileDefault: "Webhook", flagDefault: "AlwaysAllow"}
	kClientCA      = kubeletSetting{flag: "client-ca-file", path: []string{"authentication", "x509", "clientCAFile"}}
	kReadOnlyPort  = kubeletSetting{flag: "read-only-port", path: []string{"readOnlyPort"}, fileDefault: "0", flagDefault: "10255"}
	kStreamIdle    = kubeletSetting{flag: "streaming-connection-idle-timeout", path: []string{"streamingConnectionIdleTimeout"}, fileDefault: "4h0m0s", flagDefault: "4h0m0s"}
	kIPTablesUtil  = kubeletSetting{flag: "make-iptables-util-chains", path: []string{"makeIPTablesUtilChains"}, fileDefault: "true", flagDefault: "true"}
	kHostname      = kubeletSetting{flag: "hostname-override"}
	kTLSCert       = kubeletSetting{flag: "tls-cert-file", path: []string{"tlsCertFile"}}
	kTLSKey        = kubeletSetting{flag: "tls-private-key-file", path: []string{"tlsPrivateKeyFile"}}
	kServerBoot    = kubeletSetting{flag: "rotate-server-certificates", path: []string{"serverTLSBootstrap"}, fileDefault: "false", flagDefault: "false"}
	kRotateCerts   = kubeletSetting{flag: "rotate-certificates", path: []string{"rotateCertificates"}, fileDefault: "false", flagDefault: "false"}
	kCipherSuites  = kubeletSetting{flag: "tls-cipher-suites", path: []string{"tlsCipherSuites"}}
	kPodPidsLimit  = kubeletSetting{flag: "pod-max-pids", path: []string{"podPidsLimit"}, fileDefault: "-1", flagDefault: "-1"}
	kSeccomp       = kubeletSetting{flag: "seccomp-default", path: []string{"seccompDefault"}, fileDefault: "false", flagDefault: "false"}
	kKubeconfig    = kubeletSetting{flag: "kubeconfig", fileDefault: "/etc/kubernetes/kubelet.conf", flagDefault: "/etc/kubernetes/kubelet.conf"}
	kStaticPodPath = kubeletSetting{flag: "pod-manifest-path", path: []string{"staticPodPath"}}
)

// onKubelet runs f on the value of a kubelet setting, or reports the
// check not assessed when the input cannot tell it.
func onKubelet(s kubeletSetting, f func(v Value) Result) evalFunc {
	return func(c *Config) []Result {
		if c.Kubelet == nil {
			return []Result{notAssessed("no kubelet configuration or flags in the input")}
		}
		v, reason := c.Kubelet.Get(s)
		if reason != "" {
			return []Result{notAssessed("%s", reason)}
		}
		r := f(v)
		if c.Kubelet.Flags == nil && v.Origin != FromFlag && !c.Kubelet.Effective {
			r.Message += " (the kubelet's command line is not in the input; a flag would override this)"
		}
		return []Result{r}
	}
}

func kubeletBool(s kubeletSetting, want bool, why string) evalFunc {
	return onKubelet(s, func(v Value) Result {
		b, err := strconv.ParseBool(v.Text)
		if err != nil {
			return judge(false, v, "", "not a boolean")
		}
		return judge(b == want, v, fmt.Sprintf("%t", want), fmt.Sprintf("must be %t: %s", want, why))
	})
}

func kubeletSet(s kubeletSetting, why string) evalFunc {
	return onKubelet(s, func(v Value) Result {
		return judge(strings.TrimSpace(v.Text) != "", v, "set", why)
	})
}

// strongKubeletCiphers are the suites the benchmark accepts for the kubelet.
var strongKubeletCiphers = []string{
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
}

const kubeletConfigEdit = "In the kubelet's configuration file (/var/lib/kubelet/config.yaml) "

var kubeletChecks = []*Check{
	{ID: "kubelet-anonymous-auth", CIS: "4.2.1", Authn: true, Component: Kubelet, Severity: finding.Critical,
		Title:       "Kubelet accepts anonymous requests",
		Description: "Fires when the kubelet serves anonymous requests: authentication.anonymous.enabled (default false with a configuration file) or --anonymous-auth (default true without one). With webhook authorization off this is remote code execution on every Pod of the node.",
		Remediation: kubeletConfigEdit + "set authentication.anonymous.enabled: false, and remove --anonymous-auth=true from its flags." + kubeletRestart,
		Eval:        kubeletBool(kAnonymous, false, "anyone who reaches port 10250 is served as system:anonymous")},
	{ID: "kubelet-authz-always-allow", CIS: "4.2.2", Authn: true, Component: Kubelet, Severity: finding.Critical,
		Title:       "Kubelet authorizes every request",
		Description: "Fires when the kubelet's authorization mode is AlwaysAllow: authorization.mode (default Webhook with a configuration file) or --authorization-mode (default AlwaysAllow without one). Anyone who authenticates can exec into every Pod of the node.",
		Remediation: kubeletConfigEdit + "set authorization.mode: Webhook (or --authorization-mode=Webhook)." + kubeletRestart,
		Eval: onKubelet(kAuthzMode, func(v Value) Result {
			return judge(v.Text != "AlwaysAllow", v, "requests are authorized by the API server", "every authenticated request is allowed, exec and port-forward included")
		})},
	{ID: "kubelet-client-ca", CIS: "4.2.3", Authn: true, Component: Kubelet, Severity: finding.High,
		Title:       "Kubelet does not verify client certificates",
		Description: "Fires when authentication.x509.clientCAFile (or --client-ca-file) is not set: the kubelet cannot authenticate the API server or other clients by certificate.",
		Remediation: kubeletConfigEdit + "set authentication.x509.clientCAFile to the cluster CA (or --client-ca-file)." + kubeletRestart,
		Eval:        kubeletSet(kClientCA, "client certificates are not verified")},
	{ID: "kubelet-read-only-port", CIS: "4.2.4", Manual: true, Authn: true, Component: Kubelet, Severity: finding.High,
		Title:       "Kubelet read-only port open",
		Description: "Fires when readOnlyPort (default 0 with a configuration file) or --read-only-port (default 10255 without one) is not 0: the port serves Pod specs and metrics with no authentication at all.",
		Remediation: kubeletConfigEdit + "set readOnlyPort: 0 (or --read-only-port=0)." + kubeletRestart,
		Eval: onKubelet(kReadOnlyPort, func(v Value) Result {
			return judge(strings.TrimSpace(v.Text) == "0", v, "closed", "an unauthenticated port serves every Pod's spec, environment variables included")
		})},
	{ID: "kubelet-streaming-idle-timeout", CIS: "4.2.5", Manual: true, Component: Kubelet, Severity: finding.Low,
		Title:       "Kubelet streaming connections never time out",
		Description: "Fires when streamingConnectionIdleTimeout (or --streaming-connection-idle-timeout, default 4h) is 0: idle exec and port-forward sessions stay open forever.",
		Remediation: kubeletConfigEdit + "set streamingConnectionIdleTimeout to a duration such as 5m." + kubeletRestart,
		Eval: onKubelet(kStreamIdle, func(v Value) Result {
			d, err := time.ParseDuration(strings.TrimSpace(v.Text))
			if err != nil {
				return judge(false, v, "", "not a duration")
			}
			return judge(d != 0, v, "idle streams time out", "idle exec and port-forward sessions are never closed")
		})},
	{ID: "kubelet-iptables-util-chains", CIS: "4.2.6", Component: Kubelet, Severity: finding.Low,
		Title:       "Kubelet does not manage its iptables chains",
		Description: "Fires when makeIPTablesUtilChains (or --make-iptables-util-chains, default true) is false: the kubelet no longer keeps the iptables rules it relies on in step with Pod networking.",
		Remediation: kubeletConfigEdit + "set makeIPTablesUtilChains: true or remove the setting." + kubeletRestart,
		Eval:        kubeletBool(kIPTablesUtil, true, "iptables utility chains are left to drift")},
	{ID: "kubelet-hostname-override", CIS: "4.2.7", Manual: true, Component: Kubelet, Severity: finding.Low,
		Title:       "Kubelet hostname overridden",
		Description: "Fires when --hostname-override is set: the node's name no longer matches its host name, which breaks TLS between the kubelet and the API server and hides which host a node is.",
		Remediation: "Remove --hostname-override from the kubelet's flags (its systemd unit or kubeadm-flags.env)." + kubeletRestart,
		Eval: func(c *Config) []Result {
			if c.Kubelet == nil || c.Kubelet.Flags == nil {
				return []Result{notAssessed("the kubelet's command line is not in the input")}
			}
			return onKubelet(kHostname, func(v Value) Result {
				if v.Origin == FromDefault {
					return Result{Status: Pass, Value: "--hostname-override not set", Origin: FromDefault, Place: v.Place, Message: "not set"}
				}
				return judge(false, v, "", "the node name differs from the host name")
			})(c)
		}},
	{ID: "kubelet-tls-cert", CIS: "4.2.9", Manual: true, Authn: true, Component: Kubelet, Severity: finding.Medium,
		Title:       "Kubelet serves a self-signed certificate",
		Description: "Fires when neither tlsCertFile and tlsPrivateKeyFile (or their flags) are set nor serverTLSBootstrap is true: the kubelet then serves a self-signed certificate the API server cannot verify.",
		Remediation: kubeletConfigEdit + "set tlsCertFile and tlsPrivateKeyFile to a certificate signed by the cluster CA, or set serverTLSBootstrap: true and approve the kubelet's serving certificate requests." + kubeletRestart,
		Eval: func(c *Config) []Result {
			if c.Kubelet == nil {
				return []Result{notAssessed("no kubelet configuration or flags in the input")}
			}
			boot, reason := c.Kubelet.Get(kServerBoot)
			if reason != "" {
				return []Result{notAssessed("%s", reason)}
			}
			if boot.Text == "true" {
				return []Result{judge(true, boot, "the serving certificate is requested from the cluster CA", "")}
			}
			cert, _ := c.Kubelet.Get(kTLSCert)
			key, _ := c.Kubelet.Get(kTLSKey)
			if cert.Text == "" {
				return []Result{judge(false, cert, "", "no serving certificate: the kubelet signs its own")}
			}
			return []Result{judge(key.Text != "", key, "set", "no serving key")}
		}},
	{ID: "kubelet-rotate-certificates", CIS: "4.2.10", Authn: true, Component: Kubelet, Severity: finding.Medium,
		Title:       "Kubelet client certificate not rotated",
		Description: "Fires when rotateCertificates (or --rotate-certificates) is false, which is the kubelet's default: its client certificate is never renewed and the node drops out of the cluster when it expires, or a stolen one stays valid for its whole lifetime.",
		Remediation: kubeletConfigEdit + "set rotateCertificates: true (or --rotate-certificates)." + kubeletRestart,
		Eval:        kubeletBool(kRotateCerts, true, "the client certificate is never renewed")},
	{ID: "kubelet-rotate-server-certificate", CIS: "4.2.11", Manual: true, Authn: true, Component: Kubelet, Severity: finding.Medium,
		Title:       "Kubelet serving certificate rotation turned off",
		Description: "Fires when featureGates.RotateKubeletServerCertificate (or --feature-gates) is false.",
		Remediation: kubeletConfigEdit + "remove RotateKubeletServerCertificate: false from featureGates (and from --feature-gates)." + kubeletRestart,
		Eval:        kubeletGate("RotateKubeletServerCertificate")},
	{ID: "kubelet-tls-ciphers", CIS: "4.2.12", Manual: true, Component: Kubelet, Severity: finding.Low,
		Title:       "Kubelet allows weak TLS cipher suites",
		Description: "Fires when tlsCipherSuites (or --tls-cipher-suites) is unset or lists a suite outside the benchmark's strong list.",
		Remediation: kubeletConfigEdit + "set tlsCipherSuites to suites of the benchmark's list, e.g. [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]." + kubeletRestart,
		Eval: onKubelet(kCipherSuites, func(v Value) Result {
			return strongCiphers(splitList(v.Text), v, strongKubeletCiphers)
		})},
	{ID: "kubelet-pod-pids-limit", CIS: "4.2.13", Manual: true, Component: Kubelet, Severity: finding.Low,
		Title:       "No limit on the processes of a Pod",
		Description: "Fires when podPidsLimit (or --pod-max-pids) is unset or -1: one Pod can fork until the node runs out of process IDs.",
		Remediation: kubeletConfigEdit + "set podPidsLimit to a limit suited to the node, e.g. 4096." + kubeletRestart,
		Eval: onKubelet(kPodPidsLimit, func(v Value) Result {
			n, err := strconv.ParseInt(strings.TrimSpace(v.Text), 10, 64)
			return judge(err == nil && n > 0, v, "limited", "a Pod can exhaust the node's process IDs")
		})},
	{ID: "kubelet-seccomp-default", CIS: "4.2.14", Manual: true, Component: Kubelet, Severity: finding.Low,
		Title:       "Kubelet does not default to the RuntimeDefault seccomp profile",
		Description: "Fires when seccompDefault (or --seccomp-default) is false or unset (default false): containers that do not ask for a seccomp profile run with none.",
		Remediation: kubeletConfigEdit + "set seccompDefault: true." + kubeletRestart,
		Eval:        kubeletBool(kSeccomp, true, "containers without a profile run unconfined")},
}

// kubeletGate: a feature gate on by default must not be turned off, in
// the flags or the configuration file.
func kubeletGate(gate string) evalFunc {
	return func(c *Config) []Result {
		k := c.Kubelet
		if k == nil {
			return []Result{notAssessed("no kubelet configuration or flags in the input")}
		}
		if k.Flags != nil {
			if b, a, set := k.Flags.FeatureGate(gate); set {
				pl := k.flagsAt
				if a.Index < len(k.flagPlaces) {
					pl = k.flagPlaces[a.Index]
				}
				return []Result{judge(b, Value{Setting: "--feature-gates", Text: a.Value, Origin: FromFlag, Place: pl}, gate+" is on", gate+" is off")}
			}
		}
		s := kubeletSetting{path: []string{"featureGates", gate}, fileDefault: "true", flagDefault: "true", flag: ""}
		if k.File == nil && k.ConfigPath() != "" {
			return []Result{notAssessed("the kubelet reads %s (--config), which is not among the inputs", k.ConfigPath())}
		}
		v, reason := k.Get(s)
		if reason != "" {
			return []Result{notAssessed("%s", reason)}
		}
		if v.Setting == "--" {
			v.Setting = "--feature-gates"
		}
		return []Result{judge(v.Text != "false", v, gate+" is on", gate+" is off")}
	}
}
