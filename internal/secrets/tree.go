package secrets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/rampart-dev/rampart/internal/finding"
)

// Result is what a scan found and what it could not read.
type Result struct {
	Findings []Finding
	// Notes are inputs skipped or not readable; error notes mean part of
	// the input was not scanned.
	Notes []finding.Note
	// Files counts the files scanned (archive members and layer files
	// included); Bytes their size.
	Files int
	Bytes int64
	// Commits counts the commits with changes read by ScanGit.
	Commits int
}

// collector gathers a scan's results from many goroutines.
type collector struct {
	mu  sync.Mutex
	res Result
}

func (c *collector) add(fs []Finding, files int, n int64) {
	c.mu.Lock()
	c.res.Findings = append(c.res.Findings, fs...)
	c.res.Files += files
	c.res.Bytes += n
	c.mu.Unlock()
}

func (c *collector) note(level finding.NoteLevel, file, format string, a ...any) {
	c.mu.Lock()
	c.res.Notes = append(c.res.Notes, finding.Note{Level: level, File: file, Message: fmt.Sprintf(format, a...)})
	c.mu.Unlock()
}

// result returns the results in a stable order.
func (c *collector) result() *Result {
	r := c.res
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Commit != b.Commit {
			return a.Commit < b.Commit
		}
		return a.RuleID < b.RuleID
	})
	sort.SliceStable(r.Notes, func(i, j int) bool { return r.Notes[i].File < r.Notes[j].File })
	return &r
}

// skipDirs are never walked: version control metadata (its history is
// scanned with --git instead) and installed dependencies.
var skipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, "node_modules": true}

// TreeOptions say how to scan paths on disk.
type TreeOptions struct {
	Limits Limits
	// BaseDir is the directory fingerprints are computed relative to
	// (the working directory), so that "rampart secrets ." and
	// "rampart secrets deploy/" fingerprint a file the same way.
	BaseDir string
	// Skip lists files not to scan (the baseline file: its previews are
	// no secrets, and its fingerprints look like keys).
	Skip []string
}

// ScanPaths scans files and directory trees: text files with the rules,
// tar and gzipped tar archives (packaged Helm charts included) member by
// member, and container image tarballs (docker save, OCI layout) layer by
// layer. Binary files are skipped, and so are files past the size limit.
// A file that cannot be read gives an error note; the scan goes on.
func (s *Scanner) ScanPaths(ctx context.Context, paths []string, opts TreeOptions) *Result {
	c := &collector{}
	files := make(chan string, 256)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			buf := new(bytes.Buffer)
			for p := range files {
				s.scanFile(ctx, c, p, opts, buf)
			}
		})
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			c.note(finding.NoteError, root, "cannot read: %v", unwrapPath(err))
			continue
		}
		if !info.IsDir() {
			files <- root
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				c.note(finding.NoteError, p, "cannot read: %v", unwrapPath(err))
				return nil
			}
			if d.IsDir() {
				if skipDirs[d.Name()] && p != root {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				select {
				case files <- p:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
		if err != nil {
			c.note(finding.NoteError, root, "walk: %v", err)
		}
	}
	close(files)
	wg.Wait()
	return c.result()
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fingerprintKey is p relative to base when p is under it, with forward
// slashes.
func fingerprintKey(base, p string) string {
	if base != "" {
		if abs, err := filepath.Abs(p); err == nil {
			if rel, err := filepath.Rel(base, abs); err == nil && !strings.HasPrefix(rel, "..") {
				p = rel
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(p))
}

// scanFile scans one file on disk, whatever it is.
func (s *Scanner) scanFile(ctx context.Context, c *collector, p string, opts TreeOptions, buf *bytes.Buffer) {
	key := fingerprintKey(opts.BaseDir, p)
	if SkipPath(p) || skipped(p, opts.Skip) {
		return
	}
	f, err := os.Open(p)
	if err != nil {
		c.note(finding.NoteError, p, "cannot read: %v", unwrapPath(err))
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		c.note(finding.NoteError, p, "cannot read: %v", unwrapPath(err))
		return
	}
	if isArchiveName(p) || looksLikeArchive(f) {
		if isImage, err := isImageTarball(f); err == nil && isImage {
			if err := s.scanImage(ctx, c, f, p, key, opts.Limits); err != nil {
				c.note(finding.NoteError, p, "image: %v", err)
			}
			return
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			c.note(finding.NoteError, p, "cannot read: %v", err)
			return
		}
		s.scanArchive(ctx, c, f, p, key, opts.Limits, 1)
		return
	}
	if info.Size() > opts.Limits.MaxFileBytes {
		if !s.pathRuleOnly(c, p, key, nil) {
			c.note(finding.NoteInfo, p, "skipped: larger than %d bytes", opts.Limits.MaxFileBytes)
		}
		return
	}
	binary, err := readText(f, opts.Limits.MaxFileBytes, buf)
	if err != nil {
		c.note(finding.NoteError, p, "cannot read: %v", unwrapPath(err))
		return
	}
	if binary {
		if err := s.skipBinary(c, p, key, f, buf, info.Size()); err != nil {
			c.note(finding.NoteError, p, "cannot read: %v", unwrapPath(err))
		}
		return
	}
	s.scanContent(ctx, c, Fragment{Path: p, Key: key, Content: buf.Bytes()})
}

// binaryHead is how many leading bytes decide whether content is binary:
// a NUL byte among them makes it so, as git decides (see isBinary).
const binaryHead = 8000

// readText reads r whole into buf (at most max bytes, which the caller
// checked), unless its first binaryHead bytes hold a NUL byte: then only
// those are read and binary is true. Binary files, most of a tree's bytes
// in many repositories, then cost one small read instead of a whole one.
func readText(r io.Reader, max int64, buf *bytes.Buffer) (binary bool, err error) {
	buf.Reset()
	n, err := io.Copy(buf, io.LimitReader(r, min(binaryHead, max)))
	if err != nil {
		return false, err
	}
	if isBinary(buf.Bytes()) {
		return true, nil
	}
	if n < min(binaryHead, max) {
		return false, nil
	}
	_, err = io.Copy(buf, io.LimitReader(r, max-n))
	return false, err
}

// skipBinary accounts for a binary file of size bytes whose head is in
// buf, reading the rest only when a path-only rule (a key store by its
// name) reports it, to fingerprint the whole content.
func (s *Scanner) skipBinary(c *collector, p, key string, rest io.Reader, buf *bytes.Buffer, size int64) error {
	c.add(nil, 1, size)
	if !s.hasPathRule(p) {
		return nil
	}
	if _, err := io.Copy(buf, rest); err != nil {
		return err
	}
	s.pathRuleOnly(c, p, key, buf.Bytes())
	return nil
}

// hasPathRule reports whether a path-only rule matches p.
func (s *Scanner) hasPathRule(p string) bool {
	for _, r := range s.rules {
		if r.Regex == nil && r.Path != nil && r.Path.MatchString(filepath.ToSlash(p)) {
			return true
		}
	}
	return false
}

// scanContent scans one text fragment; binary content is checked against
// the path-only rules (a .p12 key store) and otherwise skipped.
func (s *Scanner) scanContent(ctx context.Context, c *collector, f Fragment) {
	if isBinary(f.Content) {
		s.pathRuleOnly(c, f.Path, f.Key, f.Content)
		c.add(nil, 1, int64(len(f.Content)))
		return
	}
	c.add(s.Scan(ctx, f), 1, int64(len(f.Content)))
}

// pathRuleOnly reports files that are secrets by their name alone
// (gitleaks' path-only rules such as pkcs12-file); it reports whether one
// matched. The fingerprint is of the content when known.
func (s *Scanner) pathRuleOnly(c *collector, p, key string, content []byte) bool {
	for _, r := range s.rules {
		if r.Regex != nil || r.Path == nil || !r.Path.MatchString(filepath.ToSlash(p)) {
			continue
		}
		sum := sha256.Sum256(content)
		c.add([]Finding{{
			RuleID:      r.RuleID,
			Description: r.Description,
			File:        p,
			Preview:     fmt.Sprintf("whole file (%d bytes)", len(content)),
			Fingerprint: Fingerprint(s.salt, r.RuleID, key, hex.EncodeToString(sum[:])),
			Fixture:     IsFixture(p),
		}}, 0, 0)
		return true
	}
	return false
}

// looksLikeArchive reports whether a file starts like gzip or a tar
// ("ustar" at offset 257), and rewinds it.
func looksLikeArchive(f *os.File) bool {
	head := make([]byte, 262)
	n, _ := io.ReadFull(f, head)
	_, _ = f.Seek(0, io.SeekStart)
	head = head[:n]
	return bytes.HasPrefix(head, gzipMagic) || (n >= 262 && bytes.Equal(head[257:262], []byte("ustar")))
}

// scanArchive scans every member of a tar or gzipped tar (a packaged Helm
// chart, a source tarball), recursing into archives inside it.
func (s *Scanner) scanArchive(ctx context.Context, c *collector, r io.Reader, display, key string, lim Limits, depth int) {
	buf := new(bytes.Buffer)
	err := ReadTar(r, lim, func(m Member) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, k := display+"!/"+m.Name, key+"!/"+m.Name
		if SkipPath(m.Name) {
			return nil
		}
		if isArchiveName(m.Name) && depth < lim.MaxArchiveDepth {
			s.scanArchive(ctx, c, m.Body, p, k, lim, depth+1)
			return nil
		}
		if m.Size > lim.MaxFileBytes {
			if !s.pathRuleOnly(c, p, k, nil) {
				c.note(finding.NoteInfo, display, "skipped member %s: larger than %d bytes", m.Name, lim.MaxFileBytes)
			}
			return nil
		}
		binary, err := readText(m.Body, lim.MaxFileBytes, buf)
		if err != nil {
			return err
		}
		if binary {
			return s.skipBinary(c, p, k, m.Body, buf, m.Size)
		}
		s.scanContent(ctx, c, Fragment{Path: p, Key: k, Content: buf.Bytes()})
		return nil
	})
	if err != nil {
		c.note(finding.NoteError, display, "archive: %v", err)
	}
}

// memberName is the part of an archive path after the last "!/".
func memberName(p string) string {
	if i := strings.LastIndex(p, "!/"); i >= 0 {
		return p[i+2:]
	}
	return path.Base(p)
}

// skipped reports whether p is one of the files in skip.
func skipped(p string, skip []string) bool {
	if len(skip) == 0 {
		return false
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	for _, q := range skip {
		if q == "" {
			continue
		}
		if qa, err := filepath.Abs(q); err == nil && qa == abs {
			return true
		}
	}
	return false
}
