package nodes

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
)

// FileInfo is the mode and owner of one file on the node.
type FileInfo struct {
	Path   string
	Exists bool
	Dir    bool
	// Mode holds the permission bits (e.g. 0o600).
	Mode       uint32
	UID, GID   int
	Owner      string
	Group      string
	Redacted   bool
	HasContent bool
}

// owner renders user:group by name, or by number when the name is unknown.
func (f FileInfo) owner() string {
	u, g := f.Owner, f.Group
	if u == "" {
		u = fmt.Sprint(f.UID)
	}
	if g == "" {
		g = fmt.Sprint(f.GID)
	}
	return u + ":" + g
}

// fileSet names the files a check reads: exact paths, or directories
// (ending in /) whose files (those ending in suffix, when set) all count,
// directories below them included unless filesOnly.
type fileSet struct {
	paths     []string
	dirs      []string
	suffix    string
	filesOnly bool
	// reason is set when the input cannot tell which files.
	reason string
}

const (
	defaultManifestDir  = "/etc/kubernetes/manifests"
	defaultKubeletConf  = "/var/lib/kubelet/config.yaml"
	defaultEtcdDataDir  = "/var/lib/etcd"
	pkiDir              = "/etc/kubernetes/pki/"
	kubeletFlagsEnvFile = "/var/lib/kubelet/kubeadm-flags.env"
)

// kubeletServiceFiles are where distributions and kubeadm put the
// kubelet's systemd unit and drop-in.
var kubeletServiceFiles = []string{
	"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
	"/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
	"/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
	"/etc/systemd/system/kubelet.service",
	"/usr/lib/systemd/system/kubelet.service",
	"/lib/systemd/system/kubelet.service",
}

// staticPodDir is where the kubelet reads static Pod manifests.
func staticPodDir(c *Config) string {
	if c.Kubelet != nil {
		if v, reason := c.Kubelet.Get(kStaticPodPath); reason == "" && v.Text != "" {
			return v.Text
		}
	}
	return defaultManifestDir
}

func manifestFile(component string) func(c *Config) fileSet {
	return func(c *Config) fileSet {
		if m := c.Manifests[component]; strings.HasPrefix(m, "/") {
			return fileSet{paths: []string{m}}
		}
		return fileSet{paths: []string{path.Join(staticPodDir(c), component+".yaml")}}
	}
}

func etcdDataDir(c *Config) fileSet {
	if c.Etcd == nil {
		return fileSet{reason: "no etcd command line in the input (no etcd on this node, or an external one)"}
	}
	v, _ := c.Etcd.Flag("data-dir", defaultEtcdDataDir)
	return fileSet{paths: []string{v.Text}}
}

func adminConfs(*Config) fileSet {
	return fileSet{paths: []string{"/etc/kubernetes/admin.conf", "/etc/kubernetes/super-admin.conf"}}
}

func componentKubeconfig(component, def string) func(c *Config) fileSet {
	return func(c *Config) fileSet {
		if p := c.Process(component); p != nil {
			if v, ok := p.Flag("kubeconfig", ""); ok && v.Text != "" {
				return fileSet{paths: []string{v.Text}}
			}
		}
		return fileSet{paths: []string{def}}
	}
}

func pkiFiles(suffix string) func(*Config) fileSet {
	return func(*Config) fileSet { return fileSet{dirs: []string{pkiDir}, suffix: suffix} }
}

func kubeletService(*Config) fileSet { return fileSet{paths: kubeletServiceFiles} }

// cniDirs are where the benchmark's audit of 1.1.9 and 1.1.10 looks: the
// CNI configuration directory and the host-local IPAM's allocations.
var cniDirs = []string{"/etc/cni/net.d/", "/var/lib/cni/networks/"}

// cniFiles are the CNI configuration and state files: the files below
// cniDirs (their directories need the x bit, so only files count).
func cniFiles(*Config) fileSet { return fileSet{dirs: cniDirs, filesOnly: true} }

func kubeletKubeconfig(c *Config) fileSet {
	if c.Kubelet == nil {
		return fileSet{paths: []string{kKubeconfig.flagDefault}}
	}
	v, _ := c.Kubelet.Get(kKubeconfig)
	return fileSet{paths: []string{v.Text}}
}

func kubeletConfigFile(c *Config) fileSet {
	if c.Kubelet != nil {
		if p := c.Kubelet.ConfigPath(); p != "" {
			return fileSet{paths: []string{p}}
		}
		if c.Kubelet.File != nil && strings.HasPrefix(c.Kubelet.File.Source.File, "/") {
			return fileSet{paths: []string{c.Kubelet.File.Source.File}}
		}
	}
	return fileSet{paths: []string{defaultKubeletConf}}
}

func kubeletClientCA(c *Config) fileSet {
	if c.Kubelet == nil {
		return fileSet{reason: "no kubelet configuration or flags in the input"}
	}
	v, reason := c.Kubelet.Get(kClientCA)
	if reason != "" {
		return fileSet{reason: reason}
	}
	if v.Text == "" {
		return fileSet{reason: "the kubelet names no client CA file (see kubelet-client-ca)"}
	}
	return fileSet{paths: []string{v.Text}}
}

// onFiles runs f on each file of a set that exists on the node.
func onFiles(set func(*Config) fileSet, f func(fi FileInfo) Result) evalFunc {
	return func(c *Config) []Result {
		if c.Files == nil {
			return []Result{notAssessed("file modes and owners are only known from a node bundle (rampart nodes collect)")}
		}
		fs := set(c)
		if fs.reason != "" {
			return []Result{notAssessed("%s", fs.reason)}
		}
		var infos []FileInfo
		var missing []string
		for _, dir := range fs.dirs {
			n := len(infos)
			for p, fi := range c.Files {
				if strings.HasPrefix(p+"/", dir) && fi.Exists && (fs.suffix == "" || strings.HasSuffix(p, fs.suffix)) && !(fs.filesOnly && fi.Dir) {
					infos = append(infos, fi)
				}
			}
			sort.Slice(infos[n:], func(i, j int) bool { return infos[n+i].Path < infos[n+j].Path })
			if len(infos) == n {
				missing = append(missing, dir)
			}
		}
		for _, p := range fs.paths {
			fi, ok := c.Files[p]
			if !ok || !fi.Exists {
				missing = append(missing, p)
				continue
			}
			infos = append(infos, fi)
		}
		if len(infos) == 0 {
			return []Result{notAssessed("%s not on this node (or not recorded in the bundle)", strings.Join(missing, ", "))}
		}
		out := make([]Result, 0, len(infos))
		for _, fi := range infos {
			out = append(out, f(fi))
		}
		return out
	}
}

func fileValue(fi FileInfo, what, text string) Value {
	return Value{Setting: what, Text: text, Origin: FromFile, Place: finding.Place{File: fi.Path}}
}

// modeAtMost: no permission bit outside max may be set.
func modeAtMost(set func(*Config) fileSet, max uint32) evalFunc {
	return onFiles(set, func(fi FileInfo) Result {
		v := fileValue(fi, "mode", fmt.Sprintf("%04o", fi.Mode))
		extra := fi.Mode &^ max
		return judge(extra == 0, v, fmt.Sprintf("%04o or more restrictive", max), fmt.Sprintf("more permissive than %04o (%04o too many)", max, extra))
	})
}

// ownedBy: the file must be owned by user:group (by name).
func ownedBy(set func(*Config) fileSet, want string) evalFunc {
	return onFiles(set, func(fi FileInfo) Result {
		v := fileValue(fi, "owner", fi.owner())
		return judge(fi.owner() == want, v, "owned by "+want, "must be owned by "+want)
	})
}

func chmod(mode, what string) string {
	return fmt.Sprintf("On the node, run chmod %s on %s.", mode, what)
}

func chown(owner, what string) string {
	return fmt.Sprintf("On the node, run chown %s on %s.", owner, what)
}

func permChecks(cisMode, cisOwner, idBase, what string, set func(*Config) fileSet, max uint32, manual bool, sev finding.Severity) []*Check {
	m := fmt.Sprintf("%o", max)
	return []*Check{
		{ID: idBase + "-permissions", CIS: cisMode, Manual: manual, Component: "files", Severity: sev,
			Title:       capitalize(strings.TrimPrefix(what, "the ")) + " permissions too open",
			Description: fmt.Sprintf("Fires when %s is more permissive than %s: other local users could read or change it.", what, m),
			Remediation: chmod(m, what),
			Eval:        modeAtMost(set, max)},
		{ID: idBase + "-ownership", CIS: cisOwner, Manual: manual, Component: "files", Severity: sev,
			Title:       capitalize(strings.TrimPrefix(what, "the ")) + " not owned by root",
			Description: fmt.Sprintf("Fires when %s is not owned by root:root.", what),
			Remediation: chown("root:root", what),
			Eval:        ownedBy(set, "root:root")},
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var fileChecks = func() []*Check {
	var cs []*Check
	add := func(list ...*Check) { cs = append(cs, list...) }
	add(permChecks("1.1.1", "1.1.2", "apiserver-manifest", "the API server's static Pod manifest", manifestFile(APIServer), 0o600, false, finding.Medium)...)
	add(permChecks("1.1.3", "1.1.4", "controller-manager-manifest", "the controller manager's static Pod manifest", manifestFile(ControllerManager), 0o600, false, finding.Medium)...)
	add(permChecks("1.1.5", "1.1.6", "scheduler-manifest", "the scheduler's static Pod manifest", manifestFile(Scheduler), 0o600, false, finding.Medium)...)
	add(permChecks("1.1.7", "1.1.8", "etcd-manifest", "etcd's static Pod manifest", manifestFile(Etcd), 0o600, false, finding.Medium)...)
	add(&Check{ID: "etcd-data-dir-permissions", CIS: "1.1.11", Component: "files", Severity: finding.High,
		Title:       "etcd data directory permissions too open",
		Description: "Fires when etcd's data directory (--data-dir, default /var/lib/etcd) is more permissive than 700: other local users could read the whole cluster state, Secrets included.",
		Remediation: chmod("700", "etcd's data directory"),
		Eval:        modeAtMost(etcdDataDir, 0o700)},
		&Check{ID: "etcd-data-dir-ownership", CIS: "1.1.12", Component: "files", Severity: finding.Low,
			Title:       "etcd data directory not owned by etcd",
			Description: "Fires when etcd's data directory is not owned by etcd:etcd, the dedicated user the benchmark expects etcd to run as (kubeadm runs etcd as root, so its clusters fail this check).",
			Remediation: "Run etcd as a dedicated etcd user and chown -R etcd:etcd its data directory.",
			Eval:        ownedBy(etcdDataDir, "etcd:etcd")})
	add(permChecks("1.1.13", "1.1.14", "admin-kubeconfig", "the administrator kubeconfig (admin.conf, super-admin.conf)", adminConfs, 0o600, false, finding.High)...)
	add(permChecks("1.1.15", "1.1.16", "scheduler-kubeconfig", "the scheduler's kubeconfig (scheduler.conf)", componentKubeconfig(Scheduler, "/etc/kubernetes/scheduler.conf"), 0o600, false, finding.Medium)...)
	add(permChecks("1.1.17", "1.1.18", "controller-manager-kubeconfig", "the controller manager's kubeconfig (controller-manager.conf)", componentKubeconfig(ControllerManager, "/etc/kubernetes/controller-manager.conf"), 0o600, false, finding.Medium)...)
	add(&Check{ID: "pki-ownership", CIS: "1.1.19", Component: "files", Severity: finding.High,
		Title:       "Kubernetes PKI files not owned by root",
		Description: "Fires for each file or directory under /etc/kubernetes/pki/ that is not owned by root:root.",
		Remediation: chown("-R root:root", "/etc/kubernetes/pki/"),
		Eval:        ownedBy(pkiFiles(""), "root:root")},
		&Check{ID: "pki-certificate-permissions", CIS: "1.1.20", Manual: true, Component: "files", Severity: finding.Low,
			Title:       "Kubernetes PKI certificate permissions too open",
			Description: "Fires for each certificate (*.crt) under /etc/kubernetes/pki/ more permissive than 644.",
			Remediation: chmod("644", "/etc/kubernetes/pki/*.crt"),
			Eval:        modeAtMost(pkiFiles(".crt"), 0o644)},
		&Check{ID: "pki-key-permissions", CIS: "1.1.21", Manual: true, Component: "files", Severity: finding.High,
			Title:       "Kubernetes PKI private key permissions too open",
			Description: "Fires for each private key (*.key) under /etc/kubernetes/pki/ more permissive than 600: whoever reads a CA key can mint any identity.",
			Remediation: chmod("600", "/etc/kubernetes/pki/*.key"),
			Eval:        modeAtMost(pkiFiles(".key"), 0o600)})
	add(permChecks("1.1.9", "1.1.10", "cni-files", "the CNI configuration and state files (/etc/cni/net.d, /var/lib/cni/networks)", cniFiles, 0o600, true, finding.Medium)...)
	add(permChecks("4.1.3", "4.1.4", "kube-proxy-kubeconfig", "kube-proxy's kubeconfig", kubeProxyKubeconfig, 0o600, true, finding.Medium)...)
	add(permChecks("4.1.1", "4.1.2", "kubelet-service", "the kubelet's systemd unit and drop-in", kubeletService, 0o600, false, finding.Medium)...)
	add(permChecks("4.1.5", "4.1.6", "kubelet-kubeconfig", "the kubelet's kubeconfig (kubelet.conf)", kubeletKubeconfig, 0o600, false, finding.High)...)
	add(permChecks("4.1.7", "4.1.8", "kubelet-client-ca-file", "the kubelet's client CA file", kubeletClientCA, 0o644, true, finding.Medium)...)
	add(permChecks("4.1.9", "4.1.10", "kubelet-config-file", "the kubelet's configuration file (config.yaml)", kubeletConfigFile, 0o600, false, finding.Medium)...)
	return cs
}()

// fileSets are every set of files the benchmark cares about, for collect.
var fileSets = []func(*Config) fileSet{
	manifestFile(APIServer), manifestFile(ControllerManager), manifestFile(Scheduler), manifestFile(Etcd),
	etcdDataDir, adminConfs,
	componentKubeconfig(Scheduler, "/etc/kubernetes/scheduler.conf"),
	componentKubeconfig(ControllerManager, "/etc/kubernetes/controller-manager.conf"),
	pkiFiles(""), kubeletService, kubeletKubeconfig, kubeletClientCA, kubeletConfigFile,
	cniFiles, kubeProxyKubeconfig,
}
