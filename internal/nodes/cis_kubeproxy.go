package nodes

import (
	"net"
	"net/netip"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// kube-proxy reads either its flags or, with --config, a
// KubeProxyConfiguration; with --config it ignores the other flags but
// the logging ones (kube-proxy's Options.Complete replaces the flag-built
// configuration with the file's).

// defaultKubeProxyMetrics is kube-proxy's default metrics address, for the
// flag and for metricsBindAddress ("" defaults to it).
const defaultKubeProxyMetrics = "127.0.0.1:10249"

const noKubeProxy = "no kube-proxy command line in the input (kube-proxy is not on this node, or the CNI replaces it)"

// kubeProxyConfig returns the KubeProxyConfiguration kube-proxy reads
// (--config), nil when it reads none, or why it cannot be known.
func kubeProxyConfig(c *Config, p *Process) (*inventory.Object, string) {
	v, ok := p.Flag("config", "")
	if !ok || strings.TrimSpace(v.Text) == "" {
		return nil, ""
	}
	doc, why := c.Doc("KubeProxyConfiguration", v.Text)
	if doc == nil {
		return nil, "kube-proxy reads its configuration from " + v.Text + " (--config): " + why
	}
	return doc, ""
}

// kubeProxySetting returns the value kube-proxy uses for a setting that
// is both a flag and a field of its configuration file.
func kubeProxySetting(c *Config, p *Process, flag, field, def string) (Value, string) {
	doc, why := kubeProxyConfig(c, p)
	if why != "" {
		return Value{}, why
	}
	if doc == nil {
		v, _ := p.Flag(flag, def)
		return v, ""
	}
	fp := inventory.FieldPath(field)
	v := Value{Setting: field, Text: def, Origin: FromDefault, Place: doc.Place(fp)}
	if raw, ok := rawAt(doc.Raw, strings.Split(field, ".")); ok {
		if t := rawText(raw); t != "" {
			v.Text, v.Origin = t, FromFile
		}
	}
	return v, ""
}

// kubeProxyKubeconfig is the kubeconfig kube-proxy reads:
// clientConnection.kubeconfig of its configuration file, else --kubeconfig.
func kubeProxyKubeconfig(c *Config) fileSet {
	p := c.KubeProxy
	if p == nil {
		return fileSet{reason: noKubeProxy}
	}
	v, why := kubeProxySetting(c, p, "kubeconfig", "clientConnection.kubeconfig", "")
	if why != "" {
		return fileSet{reason: why}
	}
	if strings.TrimSpace(v.Text) == "" {
		return fileSet{reason: "kube-proxy names no kubeconfig file (it uses its in-cluster service account)"}
	}
	return fileSet{paths: []string{v.Text}}
}

// loopbackAddress reports whether a bind address (host:port, or a bare
// host) listens on the loopback interface only.
func loopbackAddress(addr string) bool {
	host := strings.TrimSpace(addr)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

var kubeProxyChecks = []*Check{
	{ID: "kube-proxy-metrics-bind-address", CIS: "4.3.1", Component: KubeProxy, Severity: finding.Medium,
		Title:       "kube-proxy metrics served beyond localhost",
		Description: "Fires when kube-proxy's metrics address (metricsBindAddress of its configuration file with --config, else --metrics-bind-address; default 127.0.0.1:10249) is not a loopback address: its unauthenticated metrics and debug endpoints are then reachable from the network.",
		Remediation: "Set metricsBindAddress: 127.0.0.1:10249 in kube-proxy's configuration (kubeadm keeps it in the kube-proxy ConfigMap of kube-system, key config.conf), or --metrics-bind-address=127.0.0.1:10249, and restart kube-proxy.",
		Eval: func(c *Config) []Result {
			p := c.KubeProxy
			if p == nil {
				return []Result{notAssessed(noKubeProxy)}
			}
			v, why := kubeProxySetting(c, p, "metrics-bind-address", "metricsBindAddress", defaultKubeProxyMetrics)
			if why != "" {
				return []Result{notAssessed("%s", why)}
			}
			r := judge(loopbackAddress(v.Text), v, "bound to localhost", "the metrics endpoint is reachable from the network, without authentication")
			r.Object = p.Object
			return []Result{r}
		}},
}
