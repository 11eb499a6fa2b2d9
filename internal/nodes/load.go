package nodes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// LoadOptions configure LoadPaths.
type LoadOptions struct {
	Limits inventory.Limits
	// KubeletFlags is the kubelet's command line as one string, when the
	// user gives it.
	KubeletFlags string
}

// LoadPaths reads a node's configuration from files and directories:
// YAML or JSON documents (static Pod manifests, a KubeletConfiguration,
// an EncryptionConfiguration, the audit policy, admission, authentication
// and authorization configurations) and kubelet flag files (*.env, or a
// systemd *.conf drop-in that sets KUBELET_ variables). Directories are
// walked; hidden ones are skipped. Input problems become error notes on
// the returned Config, naming the file and line.
func LoadPaths(paths []string, opts LoadOptions) *Config {
	if opts.Limits == (inventory.Limits{}) {
		opts.Limits = inventory.DefaultLimits
	}
	c := &Config{}
	var docs, flagFiles []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			c.Notes = append(c.Notes, finding.Note{Level: finding.NoteError, File: p, Message: unwrap(err).Error()})
			continue
		}
		if !info.IsDir() {
			if isFlagsFileName(p) {
				flagFiles = append(flagFiles, p)
			} else {
				docs = append(docs, p)
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			switch ext := strings.ToLower(filepath.Ext(path)); {
			case ext == ".yaml" || ext == ".yml" || ext == ".json":
				docs = append(docs, path)
			case isFlagsFileName(path):
				flagFiles = append(flagFiles, path)
			case isKubeProxyConf(path):
				docs = append(docs, path)
			}
			return nil
		})
		if err != nil {
			c.Notes = append(c.Notes, finding.Note{Level: finding.NoteError, File: p, Message: unwrap(err).Error()})
		}
	}
	if len(docs) > 0 {
		inv := inventory.LoadFiles(docs, inventory.LoadOptions{Limits: opts.Limits})
		c.Notes = append(c.Notes, inv.Notes...)
		c.AddObjects(inv.Objects)
	}
	for _, f := range flagFiles {
		data, err := readLimited(f, opts.Limits.MaxFileBytes)
		if err != nil {
			c.Notes = append(c.Notes, finding.Note{Level: finding.NoteError, File: f, Message: err.Error()})
			continue
		}
		c.AddFlagsFile(f, data)
	}
	if s := strings.TrimSpace(opts.KubeletFlags); s != "" {
		argv := splitWords(s)
		if len(argv) > 0 && filepath.Base(argv[0]) == Kubelet {
			argv = argv[1:]
		}
		places := make([]finding.Place, len(argv))
		for i := range places {
			places[i] = finding.Place{File: "--kubelet-flags", Path: fmt.Sprintf("[%d]", i)}
		}
		c.kubelet().SetFlags(argv, places, "--kubelet-flags", finding.Place{File: "--kubelet-flags"})
	}
	return c
}

func (c *Config) kubelet() *KubeletConfig {
	if c.Kubelet == nil {
		c.Kubelet = &KubeletConfig{}
	}
	return c.Kubelet
}

// AddFlagsFile adds the kubelet flags an environment file or systemd
// drop-in sets; a file that sets none is ignored.
func (c *Config) AddFlagsFile(name string, data []byte) {
	argv, places := ParseFlagsFile(name, data)
	if len(argv) == 0 {
		return
	}
	c.kubelet().SetFlags(argv, places, name, finding.Place{File: name, Line: places[0].Line})
}

// isFlagsFileName: kubeadm-flags.env and systemd drop-ins.
func isFlagsFileName(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	if ext == ".env" {
		return true
	}
	if ext != ".conf" {
		return false
	}
	// Kubeconfigs (admin.conf, kubelet.conf) are .conf too: only a file
	// that sets KUBELET_ variables is a flags file.
	data, err := readLimited(p, 1<<20)
	return err == nil && bytes.Contains(data, []byte("KUBELET_"))
}

// isKubeProxyConf: kube-proxy's configuration is config.conf in kubeadm's
// layout, a YAML document with a .conf name.
func isKubeProxyConf(p string) bool {
	if strings.ToLower(filepath.Ext(p)) != ".conf" {
		return false
	}
	data, err := readLimited(p, 1<<20)
	return err == nil && bytes.Contains(data, []byte("KubeProxyConfiguration"))
}

func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrap(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, unwrap(err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", inventory.ErrTooLarge, max)
	}
	return data, nil
}

// unwrap drops the operation and path os errors repeat, since notes name
// the file already.
func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
