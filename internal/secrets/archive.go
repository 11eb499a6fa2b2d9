package secrets

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Errors of archives, for callers that branch on them (errors.Is).
var (
	// ErrBadArchive is a tar or gzip stream that cannot be read.
	ErrBadArchive = errors.New("bad archive")
	// ErrArchiveLimit is an archive past one of the Limits.
	ErrArchiveLimit = errors.New("archive limit exceeded")
)

// Limits bound what one scan reads, so that a hostile or broken input
// (a gzip bomb, a tar of a million entries) costs bounded time and memory.
type Limits struct {
	// MaxFileBytes: larger files (and archive members) are skipped with a
	// note.
	MaxFileBytes int64
	// MaxArchiveBytes bounds the uncompressed bytes read from one archive
	// or image.
	MaxArchiveBytes int64
	// MaxArchiveEntries bounds the members of one archive.
	MaxArchiveEntries int
	// MaxArchiveDepth bounds archives inside archives (a .tgz inside an
	// image layer is depth 2).
	MaxArchiveDepth int
}

// DefaultLimits are the limits of rampart secrets.
var DefaultLimits = Limits{
	MaxFileBytes:      10 << 20,
	MaxArchiveBytes:   4 << 30,
	MaxArchiveEntries: 1_000_000,
	MaxArchiveDepth:   3,
}

// Member is one regular file of an archive.
type Member struct {
	Name string
	Size int64
	// Body reads the member; it is valid only during the callback.
	Body io.Reader
}

var gzipMagic = []byte{0x1f, 0x8b}

// ReadTar calls fn for each regular file of a tar stream, in order,
// gunzipping the stream first when it is gzip-compressed. Directories,
// links and devices are skipped. It stops at the first error of fn, of the
// stream (wrapping ErrBadArchive) or of the limits (wrapping
// ErrArchiveLimit); members that fn has seen stay seen.
func ReadTar(r io.Reader, lim Limits, fn func(Member) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	if head, _ := br.Peek(2); bytes.Equal(head, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%w: gzip: %w", ErrBadArchive, err)
		}
		defer zr.Close()
		src = zr
	}
	budget := &limitedReader{r: src, left: lim.MaxArchiveBytes}
	tr := tar.NewReader(budget)
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		switch {
		case errors.Is(err, io.EOF) && n > 0:
			return nil
		case errors.Is(err, io.EOF):
			return fmt.Errorf("%w: no tar entries", ErrBadArchive)
		case errors.Is(err, errBudget):
			return fmt.Errorf("%w: more than %d bytes uncompressed", ErrArchiveLimit, lim.MaxArchiveBytes)
		case err != nil:
			return fmt.Errorf("%w: tar: %w", ErrBadArchive, err)
		}
		if lim.MaxArchiveEntries > 0 && n >= lim.MaxArchiveEntries {
			return fmt.Errorf("%w: more than %d entries", ErrArchiveLimit, lim.MaxArchiveEntries)
		}
		// archive/tar reports old-style regular files (TypeRegA) as
		// TypeReg.
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		if err := fn(Member{Name: cleanMember(hdr.Name), Size: hdr.Size, Body: tr}); err != nil {
			if errors.Is(err, errBudget) {
				return fmt.Errorf("%w: more than %d bytes uncompressed", ErrArchiveLimit, lim.MaxArchiveBytes)
			}
			return err
		}
	}
}

// cleanMember normalises a member name: no leading "./" or "/", no "..".
func cleanMember(name string) string {
	name = path.Clean("/" + strings.ReplaceAll(name, "\\", "/"))
	return strings.TrimPrefix(name, "/")
}

var errBudget = errors.New("read budget exhausted")

// limitedReader fails, rather than returning EOF as io.LimitedReader
// does, once it has given left bytes, so that a truncated read is never
// mistaken for the end of the archive.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		if l.left == 0 && len(p) > 0 {
			// Allow a zero-length read at the very end.
			n, err := l.r.Read(p[:1])
			if n == 0 {
				return 0, err
			}
		}
		return 0, errBudget
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// readAllLimit reads r whole when it has at most max bytes; ok is false
// (and nothing is kept) when it has more.
func readAllLimit(r io.Reader, max int64, buf *bytes.Buffer) (ok bool, err error) {
	buf.Reset()
	n, err := io.Copy(buf, io.LimitReader(r, max+1))
	if err != nil {
		return false, err
	}
	return n <= max, nil
}

// isArchiveName reports whether a name is a tar or gzipped tar.
func isArchiveName(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".tar") || strings.HasSuffix(n, ".tgz") || strings.HasSuffix(n, ".tar.gz")
}

// isBinary reports whether content looks binary the way git decides it:
// a NUL byte in the first 8000 bytes.
func isBinary(content []byte) bool {
	return bytes.IndexByte(content[:min(len(content), 8000)], 0) >= 0
}

func gzipReader(r io.Reader) (*gzip.Reader, error) { return gzip.NewReader(r) }
