package secrets

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"encoding/json"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/rampart-dev/rampart/internal/finding"
)

// A container image saved as a tarball is read in one of two layouts:
//   - OCI image layout (index.json, blobs/<alg>/<hex>), which `docker save`
//     also writes since Docker 25 and which skopeo, crane and buildkit
//     export. Layers are named by their digest in the image manifest, as a
//     registry shows them.
//   - the legacy `docker save` layout (manifest.json naming a config file
//     and one tar per layer). Layers are named by their diff ID, the
//     digest of the uncompressed layer that `docker image inspect` lists
//     under RootFS.Layers.
//
// Every file of every layer is scanned, not only those the final image
// shows: a secret deleted or overwritten in a later layer is still in the
// image for anyone who pulls it. Such findings say which later layer
// hides the file (Finding.Removed).

// imageLayer is one layer to scan: its digest and the member of the
// image tarball holding it.
type imageLayer struct {
	digest string
	member string
}

// isImageTarball reports whether the tar file f is a saved image: an
// index.json with an oci-layout file, or a manifest.json, at its root.
// A gzipped file is not looked into (scanImage gunzips it first).
func isImageTarball(f *os.File) (bool, error) {
	defer f.Seek(0, io.SeekStart) //nolint:errcheck // the caller seeks again before reading
	head := make([]byte, 2)
	if _, err := io.ReadFull(f, head); err != nil {
		return false, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false, err
	}
	if bytes.Equal(head, gzipMagic) {
		// docker save | gzip: only the first headers are read.
		zr, err := gzipReader(f)
		if err != nil {
			return false, nil
		}
		defer zr.Close()
		return hasImageMetadata(zr), nil
	}
	return hasImageMetadata(f), nil
}

// hasImageMetadata reads tar headers (at most 64) looking for the
// metadata files of an image.
func hasImageMetadata(r io.Reader) bool {
	tr := tar.NewReader(r)
	for range 64 {
		hdr, err := tr.Next()
		if err != nil {
			return false
		}
		switch cleanMember(hdr.Name) {
		case "manifest.json", "oci-layout":
			return true
		}
	}
	return false
}

// scanImage scans every layer of a saved image.
func (s *Scanner) scanImage(ctx context.Context, c *collector, f *os.File, display, key string, lim Limits) error {
	ra, size, cleanup, err := seekableImage(f, lim)
	if err != nil {
		return err
	}
	defer cleanup()
	open := func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(ra, 0, size)), nil }
	layers, err := imageLayers(open)
	if err != nil {
		return err
	}
	// Scan layer by layer, remembering what each later layer deletes.
	type layerResult struct {
		layer    imageLayer
		findings []Finding
		deletes  *layerChanges
	}
	var results []layerResult
	for _, l := range layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := openMember(open, l.member)
		if err != nil {
			c.note(finding.NoteError, display, "layer %s: %v", l.digest, err)
			continue
		}
		lc := &collector{}
		changes := &layerChanges{files: map[string]bool{}}
		ldisplay := display + "!/"
		s.scanLayer(ctx, lc, rc, ldisplay, key+"!/", l.digest, lim, changes)
		rc.Close()
		res := lc.result()
		for _, n := range res.Notes {
			c.note(n.Level, n.File, "layer %s: %s", l.digest, n.Message)
		}
		c.add(nil, res.Files, res.Bytes)
		results = append(results, layerResult{layer: l, findings: res.Findings, deletes: changes})
	}
	for i, r := range results {
		for _, f := range r.findings {
			f.Layer = r.layer.digest
			p := strings.TrimPrefix(f.File, display+"!/")
			for _, later := range results[i+1:] {
				if later.deletes.hides(p) {
					f.Removed = later.layer.digest
					break
				}
			}
			c.add([]Finding{f}, 0, 0)
		}
	}
	return nil
}

// scanLayer scans the files of one layer tar and records its whiteouts.
func (s *Scanner) scanLayer(ctx context.Context, c *collector, r io.Reader, display, key, digest string, lim Limits, changes *layerChanges) {
	buf := new(bytes.Buffer)
	err := ReadTar(r, lim, func(m Member) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir, base := path.Split(m.Name)
		switch {
		case base == opaqueWhiteout:
			changes.opaque = append(changes.opaque, dir)
			return nil
		case strings.HasPrefix(base, whiteoutPrefix):
			changes.deleted = append(changes.deleted, dir+strings.TrimPrefix(base, whiteoutPrefix))
			return nil
		}
		changes.files[m.Name] = true
		if SkipPath(m.Name) {
			return nil
		}
		p, k := display+m.Name, key+m.Name
		if m.Size > lim.MaxFileBytes {
			s.pathRuleOnly(c, p, k, nil)
			return nil
		}
		if _, err := readAllLimit(m.Body, lim.MaxFileBytes, buf); err != nil {
			return err
		}
		if isArchiveName(m.Name) && lim.MaxArchiveDepth > 1 {
			inner := lim
			inner.MaxArchiveDepth--
			s.scanArchive(ctx, c, bytes.NewReader(buf.Bytes()), p, k, inner, 2)
			return nil
		}
		s.scanContent(ctx, c, Fragment{Path: p, Key: k, Content: buf.Bytes(), Layer: digest})
		return nil
	})
	if err != nil {
		c.note(finding.NoteError, strings.TrimSuffix(display, "!/"), "%v", err)
	}
}

// Whiteout file names (OCI image spec, "Representing Changes").
const (
	whiteoutPrefix = ".wh."
	opaqueWhiteout = ".wh..wh..opq"
)

// layerChanges is what a layer does to the files of the layers below it.
type layerChanges struct {
	deleted []string // whiteouts: paths removed
	opaque  []string // directories (with trailing /) whose lower content is hidden
	files   map[string]bool
}

// hides reports whether this layer deletes or replaces the file at p of a
// lower layer.
func (lc *layerChanges) hides(p string) bool {
	if lc.files[p] {
		return true
	}
	for _, d := range lc.deleted {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	for _, d := range lc.opaque {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

// imageLayers lists the layers of every image in a saved-image tarball,
// each once, bottom layer first.
func imageLayers(open opener) ([]imageLayer, error) {
	if rc, err := openMember(open, "index.json"); err == nil {
		defer rc.Close()
		idx, err := v1.ParseIndexManifest(rc)
		if err != nil {
			return nil, fmt.Errorf("%w: index.json: %w", ErrBadArchive, err)
		}
		seen := map[string]bool{}
		var out []imageLayer
		if err := ociLayers(open, idx, seen, &out, 0); err != nil {
			return nil, err
		}
		return out, nil
	}
	m, err := dockerManifest(open)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []imageLayer
	for _, d := range m {
		rc, err := openMember(open, d.Config)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", d.Config, err)
		}
		cfg, err := v1.ParseConfigFile(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: config %s: %w", ErrBadArchive, d.Config, err)
		}
		for i, l := range d.Layers {
			digest := "layer " + l
			if i < len(cfg.RootFS.DiffIDs) {
				digest = cfg.RootFS.DiffIDs[i].String()
			}
			if !seen[digest] {
				seen[digest] = true
				out = append(out, imageLayer{digest: digest, member: cleanMember(l)})
			}
		}
	}
	return out, nil
}

// ociLayers adds the layers of every image an OCI index names, following
// nested indexes (multi-platform images) a few levels deep.
func ociLayers(open opener, idx *v1.IndexManifest, seen map[string]bool, out *[]imageLayer, depth int) error {
	if depth > 4 {
		return fmt.Errorf("%w: image indexes nested too deep", ErrBadArchive)
	}
	for _, d := range idx.Manifests {
		rc, err := openMember(open, blobPath(d.Digest))
		if err != nil {
			// A multi-platform index often lists platforms whose blobs
			// were not saved.
			continue
		}
		raw, err := io.ReadAll(io.LimitReader(rc, 4<<20))
		rc.Close()
		if err != nil {
			return err
		}
		if d.MediaType.IsIndex() {
			sub, err := v1.ParseIndexManifest(bytes.NewReader(raw))
			if err != nil {
				return fmt.Errorf("%w: index %s: %w", ErrBadArchive, d.Digest, err)
			}
			if err := ociLayers(open, sub, seen, out, depth+1); err != nil {
				return err
			}
			continue
		}
		m, err := v1.ParseManifest(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%w: manifest %s: %w", ErrBadArchive, d.Digest, err)
		}
		for _, l := range m.Layers {
			if !seen[l.Digest.String()] {
				seen[l.Digest.String()] = true
				*out = append(*out, imageLayer{digest: l.Digest.String(), member: blobPath(l.Digest)})
			}
		}
	}
	return nil
}

// opener opens the image tarball from its start.
type opener func() (io.ReadCloser, error)

// dockerDescriptor is one image of a legacy docker save manifest.json,
// the shape go-containerregistry's tarball package reads and writes.
type dockerDescriptor struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func dockerManifest(open opener) ([]dockerDescriptor, error) {
	rc, err := openMember(open, "manifest.json")
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var m []dockerDescriptor
	if err := json.NewDecoder(io.LimitReader(rc, 4<<20)).Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: manifest.json: %w", ErrBadArchive, err)
	}
	return m, nil
}

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// errNoMember is returned by openMember for a name the tarball lacks.
var errNoMember = errors.New("not in the image tarball")

// openMember returns a reader of one member of the tarball. The tarball
// is read from its start each time; on a file, tar skips the members in
// between with Seek.
func openMember(open opener, name string) (io.ReadCloser, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			rc.Close()
			return nil, fmt.Errorf("%s: %w", name, errNoMember)
		}
		if err != nil {
			rc.Close()
			return nil, fmt.Errorf("%w: %w", ErrBadArchive, err)
		}
		if cleanMember(hdr.Name) == name {
			return struct {
				io.Reader
				io.Closer
			}{tr, rc}, nil
		}
	}
}

// seekableImage returns the image tarball as random-access bytes: the file
// itself, or a gunzipped temporary copy (at most MaxArchiveBytes) when it
// is compressed.
func seekableImage(f *os.File, lim Limits) (io.ReaderAt, int64, func(), error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, nil, err
	}
	head := make([]byte, 2)
	n, _ := io.ReadFull(f, head)
	if !bytes.Equal(head[:n], gzipMagic) {
		info, err := f.Stat()
		if err != nil {
			return nil, 0, nil, err
		}
		return f, info.Size(), func() {}, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, nil, err
	}
	zr, err := gzipReader(f)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("%w: gzip: %w", ErrBadArchive, err)
	}
	defer zr.Close()
	tmp, err := os.CreateTemp("", "rampart-image-*.tar")
	if err != nil {
		return nil, 0, nil, err
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	size, err := io.Copy(tmp, &limitedReader{r: zr, left: lim.MaxArchiveBytes})
	if err != nil {
		cleanup()
		if errors.Is(err, errBudget) {
			return nil, 0, nil, fmt.Errorf("%w: more than %d bytes uncompressed", ErrArchiveLimit, lim.MaxArchiveBytes)
		}
		return nil, 0, nil, fmt.Errorf("%w: gzip: %w", ErrBadArchive, err)
	}
	return tmp, size, cleanup, nil
}
