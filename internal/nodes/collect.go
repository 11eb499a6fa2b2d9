package nodes

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CollectOptions configure Collect.
type CollectOptions struct {
	// Root is where the node's file system is mounted ("/" on the node,
	// e.g. "/host" in the DaemonSet).
	Root string
	// Proc is the proc file system to read command lines from.
	Proc string
	// Hostname names the node in the bundle.
	Hostname string
	// Now is the collection time; default time.Now.
	Now time.Time
	// MaxFileBytes caps the configuration files read; default 4 MiB.
	MaxFileBytes int64
}

// Collect records a node bundle: the command lines of the running
// components from Proc, the configuration files they name, and the mode
// and owner of every file the benchmark cares about, read under Root.
func Collect(opts CollectOptions) (*Bundle, error) {
	if opts.Root == "" {
		opts.Root = "/"
	}
	if opts.Proc == "" {
		opts.Proc = "/proc"
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = 4 << 20
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	procs, err := runningComponents(opts.Proc)
	if err != nil {
		return nil, err
	}
	col := &collector{opts: opts, seen: map[string]bool{}, users: idNames(filepath.Join(opts.Root, "etc/passwd")), groups: idNames(filepath.Join(opts.Root, "etc/group"))}
	for _, p := range procs {
		if p.Component == KubeProxy && col.kubeProxyRoot == "" {
			col.kubeProxyRoot = filepath.Join(opts.Proc, strconv.Itoa(p.PID), "root")
		}
	}
	b := &Bundle{APIVersion: BundleAPIVersion, Kind: BundleKind, Hostname: opts.Hostname, CollectedAt: opts.Now.UTC(), Processes: procs}

	// Configuration is read in rounds: what the processes name, then what
	// the files read so far name (the kubelet's configuration names the
	// static Pod directory; the manifests name the API server's files).
	for round := 0; round < 3; round++ {
		c := b.Config()
		for _, p := range col.contentPaths(c) {
			b.Files = col.add(b.Files, p, true)
		}
	}
	c := b.Config()
	if ps := kubeProxyKubeconfig(c); len(ps.paths) > 0 {
		col.kubeProxyPath(ps.paths[0])
	}
	for _, set := range fileSets {
		fs := set(c)
		for _, p := range fs.paths {
			b.Files = col.add(b.Files, p, false)
		}
		for _, dir := range fs.dirs {
			b.Files = col.walk(b.Files, strings.TrimSuffix(dir, "/"))
		}
	}
	sort.Slice(b.Files, func(i, j int) bool { return b.Files[i].Path < b.Files[j].Path })
	return b, nil
}

// componentNames are the programs whose command lines are collected.
var componentNames = map[string]bool{Kubelet: true, APIServer: true, ControllerManager: true, Scheduler: true, Etcd: true, KubeProxy: true}

// runningComponents reads /proc/*/cmdline for the components.
func runningComponents(proc string) ([]BundleProcess, error) {
	entries, err := os.ReadDir(proc)
	if err != nil {
		return nil, fmt.Errorf("read processes: %w", err)
	}
	var out []BundleProcess
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(proc, e.Name(), "cmdline"))
		if err != nil || len(data) == 0 {
			continue // gone, or a kernel thread
		}
		args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
		name := path.Base(args[0])
		if !componentNames[name] {
			continue
		}
		out = append(out, BundleProcess{Component: name, PID: pid, Args: args})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

type collector struct {
	opts          CollectOptions
	seen          map[string]bool
	users, groups map[int]string
	// kubeProxyRoot is the root of a running kube-proxy's mount namespace
	// (/proc/PID/root): kube-proxy usually runs in a container, and the
	// files it names are in the container, not on the host.
	kubeProxyRoot string
	// inContainer are the paths read under kubeProxyRoot.
	inContainer map[string]bool
}

// contentPaths are the configuration files whose content a bundle keeps.
func (col *collector) contentPaths(c *Config) []string {
	var out []string
	if c.Kubelet != nil {
		out = append(out, kubeletConfigFile(c).paths...)
	} else {
		out = append(out, defaultKubeletConf)
	}
	out = append(out, kubeletFlagsEnvFile)
	out = append(out, kubeletServiceFiles...)
	dir := staticPodDir(c)
	if entries, err := os.ReadDir(col.host(dir)); err == nil {
		for _, e := range entries {
			ext := path.Ext(e.Name())
			if !e.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
				out = append(out, path.Join(dir, e.Name()))
			}
		}
	}
	if p := c.KubeProxy; p != nil {
		if v, ok := p.Flag("config", ""); ok && path.IsAbs(v.Text) {
			out = append(out, col.kubeProxyPath(path.Clean(v.Text)))
		}
	}
	if p := c.APIServer; p != nil {
		for _, f := range []string{"encryption-provider-config", "audit-policy-file", "admission-control-config-file", "authentication-config", "authorization-config"} {
			if v, ok := p.Flag(f, ""); ok && path.IsAbs(v.Text) {
				out = append(out, path.Clean(v.Text))
			}
		}
	}
	return out
}

// host maps a node path to where it is under Root, or in kube-proxy's
// container for the paths kube-proxy names that are not on the host.
func (col *collector) host(p string) string {
	if col.inContainer[p] {
		return filepath.Join(col.kubeProxyRoot, filepath.FromSlash(p))
	}
	return filepath.Join(col.opts.Root, filepath.FromSlash(p))
}

// kubeProxyPath marks a path kube-proxy names to be read in its container
// when the host has no such file.
func (col *collector) kubeProxyPath(p string) string {
	if col.kubeProxyRoot == "" {
		return p
	}
	if _, err := os.Lstat(filepath.Join(col.opts.Root, filepath.FromSlash(p))); err == nil {
		return p
	}
	if _, err := os.Stat(filepath.Join(col.kubeProxyRoot, filepath.FromSlash(p))); err == nil {
		if col.inContainer == nil {
			col.inContainer = map[string]bool{}
		}
		col.inContainer[p] = true
	}
	return p
}

// resolve follows symbolic links inside Root, so that an absolute link
// target on the node is looked up under Root too.
func (col *collector) resolve(p string) string {
	if col.inContainer[p] {
		// Kubernetes mounts ConfigMaps with relative links, which the
		// kernel follows inside the container's root.
		return p
	}
	for i := 0; i < 16; i++ {
		fi, err := os.Lstat(col.host(p))
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return p
		}
		target, err := os.Readlink(col.host(p))
		if err != nil {
			return p
		}
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(p), target)
		}
		p = path.Clean(target)
	}
	return p
}

// add records one file, with its content when withContent.
func (col *collector) add(files []BundleFile, p string, withContent bool) []BundleFile {
	p = path.Clean(p)
	if !path.IsAbs(p) {
		return files
	}
	if col.seen[p] {
		if withContent {
			for i := range files {
				if files[i].Path == p && files[i].Content == "" && files[i].Exists && !files[i].Dir {
					col.fill(&files[i])
				}
			}
		}
		return files
	}
	col.seen[p] = true
	f := col.stat(p)
	if withContent && f.Exists && !f.Dir {
		col.fill(&f)
	}
	return append(files, f)
}

func (col *collector) stat(p string) BundleFile {
	f := BundleFile{Path: p}
	fi, err := os.Stat(col.host(col.resolve(p)))
	if errors.Is(err, fs.ErrNotExist) {
		return f
	}
	if err != nil {
		f.Exists, f.Error = true, unwrap(err).Error()
		return f
	}
	f.Exists, f.Dir = true, fi.IsDir()
	f.Mode = fmt.Sprintf("%04o", uint32(fi.Mode().Perm())|specialBits(fi.Mode()))
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		f.UID, f.GID = int(st.Uid), int(st.Gid)
		f.Owner, f.Group = col.users[f.UID], col.groups[f.GID]
	}
	return f
}

func specialBits(m fs.FileMode) uint32 {
	var b uint32
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

func (col *collector) fill(f *BundleFile) {
	data, err := readLimited(col.host(col.resolve(f.Path)), col.opts.MaxFileBytes)
	if err != nil {
		f.Error = err.Error()
		return
	}
	if bytes.IndexByte(data, 0) >= 0 {
		f.Error = "binary file"
		return
	}
	content, redacted := redactSecrets(string(data))
	f.Content, f.Redacted = content, redacted
}

// walk records a directory and everything below it.
func (col *collector) walk(files []BundleFile, dir string) []BundleFile {
	files = col.add(files, dir, false)
	root := col.host(col.resolve(dir))
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil
		}
		files = col.add(files, path.Join(dir, filepath.ToSlash(rel)), false)
		return nil
	})
	return files
}

// secretLine matches a key's secret in an EncryptionConfiguration, in
// block or flow YAML (secret: c2VjcmV0, {secret: 'c2VjcmV0'}) or JSON
// ("secret": "c2VjcmV0").
var secretLine = regexp.MustCompile(`(?m)((?:^|[{,])\s*(?:-\s*)?(?:secret|"secret"|'secret')\s*:\s*)("[^"]*"|'[^']*'|[^\s,}#]+)`)

// redactSecrets replaces encryption keys with a marker, line for line, so
// that a bundle never carries a key and line numbers stay right.
func redactSecrets(s string) (string, bool) {
	if !strings.Contains(s, "EncryptionConfiguration") {
		return s, false
	}
	found := false
	out := secretLine.ReplaceAllStringFunc(s, func(m string) string {
		found = true
		sub := secretLine.FindStringSubmatch(m)
		return sub[1] + `"REDACTED"`
	})
	return out, found
}

// idNames reads an /etc/passwd or /etc/group file into id → name.
func idNames(file string) map[int]string {
	out := map[int]string{}
	data, err := readLimited(file, 4<<20)
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		parts := strings.Split(sc.Text(), ":")
		if len(parts) < 3 {
			continue
		}
		if id, err := strconv.Atoi(parts[2]); err == nil {
			if _, dup := out[id]; !dup {
				out[id] = parts[0]
			}
		}
	}
	return out
}
