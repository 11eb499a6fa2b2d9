package nodes

import (
	"path"

	"github.com/rampart-dev/rampart/internal/finding"
)

const (
	editControllerManager = "Edit the controller manager's static Pod manifest (/etc/kubernetes/manifests/kube-controller-manager.yaml) on each control-plane node and "
	editScheduler         = "Edit the scheduler's static Pod manifest (/etc/kubernetes/manifests/kube-scheduler.yaml) on each control-plane node and "
	editEtcd              = "Edit etcd's static Pod manifest (/etc/kubernetes/manifests/etcd.yaml) on each etcd node and "
)

var controllerManagerChecks = []*Check{
	{ID: "controller-manager-pod-gc-threshold", CIS: "1.3.1", Manual: true, Component: ControllerManager, FlagsOnly: true, Severity: finding.Low,
		Title:       "Terminated Pod garbage collection threshold not set",
		Description: "Reports when --terminated-pod-gc-threshold is not set (default 12500 terminated Pods kept), a threshold the benchmark asks to set deliberately.",
		Remediation: editControllerManager + "set --terminated-pod-gc-threshold to a threshold that suits the cluster, e.g. 10.",
		Eval:        flagsSet(ControllerManager, "12500 terminated Pods are kept before garbage collection", "terminated-pod-gc-threshold")},
	{ID: "controller-manager-profiling", CIS: "1.3.2", Component: ControllerManager, FlagsOnly: true, Severity: finding.Low,
		Title:       "Controller manager profiling enabled",
		Description: "Fires when --profiling is true or unset (default true): the profiling endpoints reveal internals.",
		Remediation: editControllerManager + "set --profiling=false.",
		Eval:        boolFlagIs(ControllerManager, "profiling", true, false, "the profiling endpoints expose internals")},
	{ID: "controller-manager-sa-credentials", CIS: "1.3.3", Authn: true, Component: ControllerManager, FlagsOnly: true, Severity: finding.Medium,
		Title:       "Controllers share the controller manager's credentials",
		Description: "Fires when --use-service-account-credentials is false or unset (default false): every controller runs with the controller manager's own, very broad, credentials instead of its own service account.",
		Remediation: editControllerManager + "set --use-service-account-credentials=true.",
		Eval:        boolFlagIs(ControllerManager, "use-service-account-credentials", false, true, "every controller acts with the controller manager's full credentials")},
	{ID: "controller-manager-sa-private-key", CIS: "1.3.4", Authn: true, Component: ControllerManager, FlagsOnly: true, Severity: finding.Medium,
		Title:       "No service account signing key for the controller manager",
		Description: "Fires when --service-account-private-key-file is not set: the controller manager cannot sign service account tokens with a key the cluster can rotate.",
		Remediation: editControllerManager + "set --service-account-private-key-file to the private key of the key pair whose public key the API server's --service-account-key-file names.",
		Eval:        flagsSet(ControllerManager, "service account tokens are not signed with a managed key", "service-account-private-key-file")},
	{ID: "controller-manager-root-ca", CIS: "1.3.5", Authn: true, Component: ControllerManager, FlagsOnly: true, Severity: finding.Medium,
		Title:       "Controller manager does not publish the root CA",
		Description: "Fires when --root-ca-file is not set: Pods are not given the CA to verify the API server with, and may skip verification.",
		Remediation: editControllerManager + "set --root-ca-file to the cluster's CA bundle.",
		Eval:        flagsSet(ControllerManager, "Pods cannot verify the API server's certificate", "root-ca-file")},
	{ID: "controller-manager-rotate-server-certs", CIS: "1.3.6", Authn: true, Component: ControllerManager, FlagsOnly: true, Severity: finding.Medium,
		Title:       "Kubelet serving certificate rotation turned off",
		Description: "Fires when --feature-gates sets RotateKubeletServerCertificate=false: kubelet serving certificate requests are no longer approved and signed.",
		Remediation: editControllerManager + "remove RotateKubeletServerCertificate=false from --feature-gates (or set it to true).",
		Eval:        featureGateNotFalse(ControllerManager, "RotateKubeletServerCertificate", "kubelet serving certificates are not rotated")},
	{ID: "controller-manager-bind-address", CIS: "1.3.7", Component: ControllerManager, FlagsOnly: true, Severity: finding.Medium,
		Title:       "Controller manager listens beyond localhost",
		Description: "Fires when --bind-address is not 127.0.0.1; unset, it defaults to 0.0.0.0 and the controller manager's health and metrics port is reachable from the network.",
		Remediation: editControllerManager + "set --bind-address=127.0.0.1.",
		Eval:        flagEquals(ControllerManager, "bind-address", "0.0.0.0", "127.0.0.1", "its secure port is reachable from every network the node is on")},
}

var schedulerChecks = []*Check{
	{ID: "scheduler-profiling", CIS: "1.4.1", Component: Scheduler, FlagsOnly: true, Severity: finding.Low,
		Title:       "Scheduler profiling enabled",
		Description: "Fires when --profiling is true or unset (default true): the profiling endpoints reveal internals.",
		Remediation: editScheduler + "set --profiling=false.",
		Eval:        boolFlagIs(Scheduler, "profiling", true, false, "the profiling endpoints expose internals")},
	{ID: "scheduler-bind-address", CIS: "1.4.2", Component: Scheduler, FlagsOnly: true, Severity: finding.Medium,
		Title:       "Scheduler listens beyond localhost",
		Description: "Fires when --bind-address is not 127.0.0.1; unset, it defaults to 0.0.0.0 and the scheduler's health and metrics port is reachable from the network.",
		Remediation: editScheduler + "set --bind-address=127.0.0.1.",
		Eval:        flagEquals(Scheduler, "bind-address", "0.0.0.0", "127.0.0.1", "its secure port is reachable from every network the node is on")},
}

var etcdChecks = []*Check{
	{ID: "etcd-tls", CIS: "2.1", Authn: true, Component: Etcd, FlagsOnly: true, Severity: finding.High,
		Title:       "etcd serves clients without TLS",
		Description: "Fires when etcd's --cert-file or --key-file (or ETCD_CERT_FILE, ETCD_KEY_FILE) is not set: client traffic, every Secret included, travels in plain text.",
		Remediation: editEtcd + "set --cert-file and --key-file to etcd's serving certificate and key.",
		Eval:        flagsSet(Etcd, "client traffic to etcd is not encrypted", "cert-file", "key-file")},
	{ID: "etcd-client-cert-auth", CIS: "2.2", Authn: true, Component: Etcd, FlagsOnly: true, Severity: finding.Critical,
		Title:       "etcd accepts clients without certificates",
		Description: "Fires when --client-cert-auth is false or unset (default false): anyone who reaches etcd's client port can read and write the whole cluster state.",
		Remediation: editEtcd + "set --client-cert-auth=true.",
		Eval:        boolFlagIs(Etcd, "client-cert-auth", false, true, "anyone who reaches etcd can read and write every object, Secrets included")},
	{ID: "etcd-auto-tls", CIS: "2.3", Authn: true, Component: Etcd, FlagsOnly: true, Severity: finding.High,
		Title:       "etcd uses self-signed client certificates",
		Description: "Fires when --auto-tls is true: etcd generates a self-signed certificate that clients cannot verify.",
		Remediation: editEtcd + "remove --auto-tls or set it to false.",
		Eval:        boolFlagIs(Etcd, "auto-tls", false, false, "clients cannot verify etcd's self-signed certificate")},
	{ID: "etcd-peer-tls", CIS: "2.4", Authn: true, Component: Etcd, FlagsOnly: true, Severity: finding.High,
		Title:       "etcd peers talk without TLS",
		Description: "Fires when --peer-cert-file or --peer-key-file is not set: replication traffic between etcd members travels in plain text.",
		Remediation: editEtcd + "set --peer-cert-file and --peer-key-file to the member's peer certificate and key.",
		Eval:        flagsSet(Etcd, "replication traffic between members is not encrypted", "peer-cert-file", "peer-key-file")},
	{ID: "etcd-peer-client-cert-auth", CIS: "2.5", Authn: true, Component: Etcd, FlagsOnly: true, Severity: finding.High,
		Title:       "etcd accepts peers without certificates",
		Description: "Fires when --peer-client-cert-auth is false or unset (default false): anything that reaches the peer port can join the cluster's replication.",
		Remediation: editEtcd + "set --peer-client-cert-auth=true.",
		Eval:        boolFlagIs(Etcd, "peer-client-cert-auth", false, true, "unauthenticated peers can take part in replication")},
	{ID: "etcd-peer-auto-tls", CIS: "2.6", Authn: true, Component: Etcd, FlagsOnly: true, Severity: finding.High,
		Title:       "etcd uses self-signed peer certificates",
		Description: "Fires when --peer-auto-tls is true: members use self-signed certificates that peers cannot verify.",
		Remediation: editEtcd + "remove --peer-auto-tls or set it to false.",
		Eval:        boolFlagIs(Etcd, "peer-auto-tls", false, false, "peers cannot verify each other")},
	{ID: "etcd-unique-ca", CIS: "2.7", Manual: true, Authn: true, Component: Etcd, FlagsOnly: true, Severity: finding.Medium,
		Title:       "etcd trusts the cluster's client CA",
		Description: "Fires when etcd's --trusted-ca-file is not set, or is the same file as the API server's --client-ca-file: every client certificate the cluster CA signs (each kubelet's, each user's) is then accepted by etcd.",
		Remediation: editEtcd + "set --trusted-ca-file to a certificate authority dedicated to etcd, not the one that signs the cluster's client certificates.",
		Eval:        onProcess(Etcd, uniqueCA)},
}

func uniqueCA(c *Config, p *Process) Result {
	v, set := p.Flag("trusted-ca-file", "")
	if !set || v.Text == "" {
		return judge(false, v, "", "etcd verifies no client against a CA of its own")
	}
	if c.APIServer == nil {
		return judge(true, v, "set (the API server's --client-ca-file is not in the input to compare)", "")
	}
	ca, ok := c.APIServer.Flag("client-ca-file", "")
	if ok && path.Clean(ca.Text) == path.Clean(v.Text) {
		return judge(false, v, "", "the same CA as the API server's --client-ca-file: every cluster client certificate is accepted by etcd")
	}
	return judge(true, v, "a CA other than the API server's client CA", "")
}
