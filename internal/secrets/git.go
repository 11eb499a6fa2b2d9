package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gitleaks/go-gitdiff/gitdiff"
)

// ErrNoGit is returned by ScanGit when the git binary is not installed.
var ErrNoGit = errors.New("git is not installed (--git runs git log)")

// ScanGit scans every commit reachable from HEAD of the repository at
// dir: the lines each commit added, so a secret added in one commit and
// removed in a later one is still found, at the commit that added it, with
// its author date, file and line. Like gitleaks it reads `git log -p`
// (merge commits show no diff, binary files are skipped). Findings' paths
// are dir joined with the path in the repository.
func (s *Scanner) ScanGit(ctx context.Context, dir string, opts TreeOptions) (*Result, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, ErrNoGit
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// git log names files from the top of the work tree, which may be
	// above dir.
	top, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return nil, fmt.Errorf("git log in %s: %s", dir, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("git log in %s: %w", dir, err)
	}
	root := strings.TrimSpace(string(top))
	if rel, err := filepath.Rel(mustAbs(dir), root); err == nil {
		root = filepath.Join(dir, rel) // keep dir's spelling (relative stays relative)
	}
	cmd := exec.CommandContext(ctx, "git", "-C", dir,
		"-c", "core.quotePath=false", "-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false",
		"log", "-p", "-U0", "--full-history", "--no-color", "--no-ext-diff", "--no-textconv",
		"--diff-filter=tuxdb", "--pretty=medium", "--date=iso-strict", "HEAD", "--")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("git log: %w", err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git log: %w", err)
	}
	c := &collector{}
	parseErr := s.scanGitLog(ctx, c, stdout, root, opts)
	// Drain what the parser left so git can exit.
	_, _ = io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git log in %s: %s", dir, msg)
	}
	if parseErr != nil {
		return nil, fmt.Errorf("git log in %s: %w", dir, parseErr)
	}
	return c.result(), nil
}

// scanGitLog parses `git log -p` output and scans each file's added lines
// on a pool of workers.
func (s *Scanner) scanGitLog(ctx context.Context, c *collector, r io.Reader, dir string, opts TreeOptions) error {
	files, err := gitdiff.Parse(r)
	if err != nil {
		return err
	}
	frags := make(chan Fragment, 64)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for f := range frags {
				s.scanContent(ctx, c, f)
			}
		})
	}
	commits := map[string]bool{}
	for file := range files {
		if file.IsDelete || file.IsBinary || file.PatchHeader == nil {
			continue
		}
		commit := file.PatchHeader.SHA
		commits[commit] = true
		date := ""
		if !file.PatchHeader.AuthorDate.IsZero() {
			date = file.PatchHeader.AuthorDate.UTC().Format(time.RFC3339)
		}
		p := filepath.Join(dir, filepath.FromSlash(file.NewName))
		key := fingerprintKey(opts.BaseDir, p)
		for _, tf := range file.TextFragments {
			if tf == nil || tf.LinesAdded == 0 {
				continue
			}
			raw := tf.Raw(gitdiff.OpAdd)
			if int64(len(raw)) > opts.Limits.MaxFileBytes {
				continue
			}
			select {
			case frags <- Fragment{Path: p, Key: key, Content: []byte(raw), StartLine: int(tf.NewPosition), Commit: commit, Date: date}:
			case <-ctx.Done():
			}
		}
	}
	close(frags)
	wg.Wait()
	c.mu.Lock()
	c.res.Commits += len(commits)
	c.mu.Unlock()
	return ctx.Err()
}

func mustAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
