package nodes

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// Bundle format identifiers. A reader refuses any other version.
const (
	BundleAPIVersion = "rampart.dev/v1alpha1"
	BundleKind       = "NodeBundle"
)

// Bundle is what rampart nodes collect records on one node: the command
// lines of the running components, the configuration files they name
// (with encryption keys redacted), and the mode and owner of every file
// the CIS benchmark cares about. docs/nodes.md documents the format.
type Bundle struct {
	APIVersion  string          `json:"apiVersion"`
	Kind        string          `json:"kind"`
	Hostname    string          `json:"hostname,omitempty"`
	CollectedAt time.Time       `json:"collectedAt"`
	Processes   []BundleProcess `json:"processes"`
	Files       []BundleFile    `json:"files"`
}

// BundleProcess is one running component.
type BundleProcess struct {
	// Component is kubelet, kube-apiserver, kube-controller-manager,
	// kube-scheduler, etcd or kube-proxy.
	Component string `json:"component"`
	PID       int    `json:"pid"`
	// Args is the command line, program name first, as in /proc/PID/cmdline.
	Args []string `json:"args"`
}

// BundleFile is one file (or directory) on the node.
type BundleFile struct {
	// Path is the absolute path on the node.
	Path   string `json:"path"`
	Exists bool   `json:"exists"`
	Dir    bool   `json:"dir,omitempty"`
	// Mode is the permission bits in octal, e.g. "0600".
	Mode  string `json:"mode,omitempty"`
	UID   int    `json:"uid"`
	GID   int    `json:"gid"`
	Owner string `json:"owner,omitempty"`
	Group string `json:"group,omitempty"`
	// Content is the file's text, for configuration files only.
	Content string `json:"content,omitempty"`
	// Redacted says secret values (encryption keys) were replaced in Content.
	Redacted bool `json:"redacted,omitempty"`
	// Error says why the file could not be read.
	Error string `json:"error,omitempty"`
}

// BundleLimits bound what reading a bundle may cost.
type BundleLimits struct {
	MaxBytes     int64
	MaxProcesses int
	MaxFiles     int
	MaxArgs      int
}

// DefaultBundleLimits are generous for a real node.
var DefaultBundleLimits = BundleLimits{MaxBytes: 64 << 20, MaxProcesses: 1000, MaxFiles: 100_000, MaxArgs: 10_000}

// ErrBundle marks a bundle that cannot be read.
var ErrBundle = errors.New("not a valid node bundle")

// ReadBundle reads and validates a bundle.
func ReadBundle(r io.Reader, lim BundleLimits) (*Bundle, error) {
	if lim == (BundleLimits{}) {
		lim = DefaultBundleLimits
	}
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBundle, lim.MaxBytes)
	}
	var b Bundle
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the bundle", ErrBundle)
	}
	if err := b.validate(lim); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	return &b, nil
}

func (b *Bundle) validate(lim BundleLimits) error {
	if b.APIVersion != BundleAPIVersion || b.Kind != BundleKind {
		return fmt.Errorf("apiVersion %q kind %q, want %s %s", b.APIVersion, b.Kind, BundleAPIVersion, BundleKind)
	}
	if len(b.Processes) > lim.MaxProcesses {
		return fmt.Errorf("%d processes, the limit is %d", len(b.Processes), lim.MaxProcesses)
	}
	if len(b.Files) > lim.MaxFiles {
		return fmt.Errorf("%d files, the limit is %d", len(b.Files), lim.MaxFiles)
	}
	for i, p := range b.Processes {
		if p.Component != Kubelet && !isPodComponent(p.Component) {
			return fmt.Errorf("processes[%d]: unknown component %q", i, p.Component)
		}
		if len(p.Args) == 0 || len(p.Args) > lim.MaxArgs {
			return fmt.Errorf("processes[%d]: %d arguments", i, len(p.Args))
		}
	}
	for i, f := range b.Files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path {
			return fmt.Errorf("files[%d]: path %q is not absolute and clean", i, f.Path)
		}
		if f.Exists && f.Error == "" {
			if _, err := parseMode(f.Mode); err != nil {
				return fmt.Errorf("files[%d] (%s): %v", i, f.Path, err)
			}
		}
	}
	return nil
}

func parseMode(s string) (uint32, error) {
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o7777 {
		return 0, fmt.Errorf("mode %q is not octal permission bits", s)
	}
	return uint32(m), nil
}

// Config builds the configuration the bundle describes: running command
// lines first (they are what runs), then the static Pod manifests of
// components not running, the configuration files, and the file modes.
func (b *Bundle) Config() *Config {
	c := &Config{Files: map[string]FileInfo{}}
	for _, p := range b.Processes {
		source := fmt.Sprintf("/proc/%d/cmdline", p.PID)
		if p.Component == Kubelet {
			places := make([]finding.Place, 0, len(p.Args))
			for i := 1; i < len(p.Args); i++ {
				places = append(places, finding.Place{File: source, Path: fmt.Sprintf("args[%d]", i)})
			}
			if c.Kubelet != nil && c.Kubelet.Flags != nil {
				c.Notes = append(c.Notes, finding.Note{Level: finding.NoteInfo, File: source, Message: "a second kubelet process is ignored"})
				continue
			}
			c.kubelet().SetFlags(p.Args[1:], places, source, finding.Place{File: source})
			continue
		}
		c.setProcess(ProcessFromArgs(p.Component, source, p.Args))
	}
	kubeletFromProcess := c.Kubelet != nil && c.Kubelet.Flags != nil
	var objs []*inventory.Object
	for _, f := range b.Files {
		info := FileInfo{Path: f.Path, Exists: f.Exists && f.Error == "", Dir: f.Dir, UID: f.UID, GID: f.GID, Owner: f.Owner, Group: f.Group, Redacted: f.Redacted, HasContent: f.Content != ""}
		if info.Exists {
			info.Mode, _ = parseMode(f.Mode)
		}
		if f.Error != "" {
			c.Notes = append(c.Notes, finding.Note{Level: finding.NoteInfo, File: f.Path, Message: "not collected: " + f.Error})
		}
		c.Files[f.Path] = info
		if f.Content == "" {
			continue
		}
		if isFlagsContent(f.Path, f.Content) {
			if !kubeletFromProcess {
				c.AddFlagsFile(f.Path, []byte(f.Content))
			}
			continue
		}
		o, notes := inventory.ParseBytes(f.Path, []byte(f.Content), inventory.Limits{})
		objs = append(objs, o...)
		for _, n := range notes {
			if n.Level == finding.NoteError {
				c.Notes = append(c.Notes, n)
			}
		}
	}
	c.AddObjects(objs)
	return c
}

func isFlagsContent(p, content string) bool {
	ext := path.Ext(p)
	return (ext == ".env" || ext == ".conf" || ext == ".service") && strings.Contains(content, "KUBELET_")
}
