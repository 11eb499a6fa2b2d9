package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/rampart-dev/rampart/internal/finding"
	"k8s.io/apimachinery/pkg/api/meta"
	kruntime "k8s.io/apimachinery/pkg/runtime"
)

// LoadOptions configure reading manifests from files.
type LoadOptions struct {
	Limits Limits
	// Stdin is read for the path "-".
	Stdin io.Reader
	// Workers bounds parallel file reads; 0 means GOMAXPROCS.
	Workers int
	// Helm sets how charts are rendered.
	Helm HelmOptions
	// Each, when set, is called with the objects of each input as soon as
	// they are read, on the worker that read them (so on several
	// goroutines at once); input numbers the inputs in the order the
	// Inventory lists their objects. The objects Each returns are the ones
	// the Inventory keeps. It lets a caller check each file while it is
	// fresh and keep less of it.
	Each func(input int, objs []*Object) []*Object
}

// inputKind says how an input is read.
type inputKind int

const (
	manifestFile   inputKind = iota
	chartInput               // a chart directory or a packaged chart
	kustomizeInput           // a directory with a kustomization file
)

// input is one thing LoadFiles reads.
type input struct {
	path string
	kind inputKind
}

// manifestExts are the file endings a directory walk picks up.
var manifestExts = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// LoadFiles reads every manifest under paths (files, directories walked
// recursively, or "-" for standard input). A file that cannot be read or
// parsed becomes an error note naming the file and line; every other file
// is still read.
func LoadFiles(paths []string, opts LoadOptions) *Inventory {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	inv := &Inventory{}
	var files []input
	for _, p := range paths {
		if p == "-" {
			files = append(files, input{path: p})
			continue
		}
		found, err := expand(p)
		if err != nil {
			inv.Notes = append(inv.Notes, finding.Note{Level: finding.NoteError, File: p, Message: err.Error()})
			continue
		}
		files = append(files, found...)
	}
	results := make([]fileResult, len(files))
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker reuses its read buffer, and its decoder shares
			// repeated strings across the files it reads.
			var buf []byte
			dec := newFileDecoder()
			for i := range next {
				switch in := files[i]; in.kind {
				case chartInput:
					results[i] = loadChart(in.path, opts)
				case kustomizeInput:
					results[i] = loadKustomization(in.path, opts)
				default:
					results[i] = loadFile(in.path, opts, dec, &buf)
				}
				if opts.Each != nil {
					results[i].objects = opts.Each(i, results[i].objects)
				}
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, r := range results {
		inv.Files++
		inv.Objects = append(inv.Objects, r.objects...)
		inv.Notes = append(inv.Notes, r.notes...)
	}
	return inv
}

// expand lists the inputs at p: p itself when it is a file (any ending:
// the user named it; a .tgz is a packaged chart), or below a directory the
// manifests, and the Helm charts (a directory with Chart.yaml) and
// kustomizations (a directory with kustomization.yaml) as wholes, which
// are rendered rather than read as raw YAML.
func expand(p string) ([]input, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, unwrapPathError(err))
	}
	if !info.IsDir() {
		if isChartArchive(p) {
			return []input{{path: p, kind: chartInput}}, nil
		}
		return []input{{path: p}}, nil
	}
	var out []input
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir // .git and friends
			}
			switch {
			case isChartDir(path):
				out = append(out, input{path: path, kind: chartInput})
				return filepath.SkipDir
			case isKustomizationDir(path):
				out = append(out, input{path: path, kind: kustomizeInput})
				return filepath.SkipDir
			}
			return nil
		}
		if manifestExts[strings.ToLower(filepath.Ext(path))] {
			out = append(out, input{path: path})
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("walk %s: %w", p, err)
	}
	return out, nil
}

// loadChart renders a chart and reads what it made.
func loadChart(p string, opts LoadOptions) (res fileResult) {
	defer recoverRender(p, &res)
	files, err := renderChart(p, opts.Helm)
	if err != nil {
		return renderError(p, fmt.Errorf("helm chart %s: %w", p, err))
	}
	return parseRendered(files, opts.Limits)
}

// recoverRender turns a panic in a renderer (Helm or Kustomize, on input
// they did not expect) into an input error for that input alone.
func recoverRender(p string, res *fileResult) {
	if r := recover(); r != nil {
		*res = renderError(p, fmt.Errorf("rendering %s failed: %v", p, r))
	}
}

// loadKustomization builds a kustomization and reads what it made,
// pointing each object at its place in the file it came from.
func loadKustomization(p string, opts LoadOptions) (res fileResult) {
	defer recoverRender(p, &res)
	files, err := buildKustomization(p)
	if err != nil {
		return renderError(p, err)
	}
	res = parseRendered(files, opts.Limits)
	locateInBase(res.objects, opts.Limits)
	return res
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type fileResult struct {
	objects []*Object
	notes   []finding.Note
}

// loadFile reads and parses one file. *buf is a buffer to read into, kept
// for the next file: nothing decoded refers to the bytes read.
func loadFile(path string, opts LoadOptions, dec decoder, buf *[]byte) fileResult {
	data, err := readLimited(path, opts, (*buf)[:0])
	if err != nil {
		return fileResult{notes: []finding.Note{{Level: finding.NoteError, File: displayName(path), Message: err.Error()}}}
	}
	if cap(data) <= maxKeptBuffer {
		*buf = data
	}
	return parseFile(displayName(path), data, opts.Limits, dec)
}

// newFileDecoder returns the decoder for the documents of one file: the
// fast decoder, which hands what it does not handle to yamlDecoder.
var newFileDecoder = func() decoder { return newFastDecoder() }

func displayName(path string) string {
	if path == "-" {
		return "<stdin>"
	}
	return path
}

func readLimited(path string, opts LoadOptions, buf []byte) ([]byte, error) {
	max := opts.Limits.MaxFileBytes
	var r io.Reader
	var size int64
	if path == "-" {
		if opts.Stdin == nil {
			return nil, errors.New("no standard input")
		}
		r = opts.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, unwrapPathError(err)
		}
		defer f.Close()
		if info, err := f.Stat(); err == nil {
			if info.Size() > max {
				return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, info.Size(), max)
			}
			size = info.Size()
		}
		r = f
	}
	data, err := readSized(r, size, max, buf)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return data, nil
}

// ParseBytes reads the manifests in data as if from a file named name.
func ParseBytes(name string, data []byte, lim Limits) ([]*Object, []finding.Note) {
	if lim == (Limits{}) {
		lim = DefaultLimits
	}
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, []finding.Note{{Level: finding.NoteError, File: name, Message: fmt.Sprintf("%v: %d bytes, the limit is %d", ErrTooLarge, len(data), lim.MaxFileBytes)}}
	}
	r := parseFile(name, data, lim, newFileDecoder())
	return r.objects, r.notes
}

func parseFile(name string, data []byte, lim Limits, dec decoder) fileResult {
	var res fileResult
	if i := bytes.IndexByte(data, 0); i >= 0 {
		res.notes = append(res.notes, finding.Note{Level: finding.NoteError, File: name, Message: fmt.Sprintf("%v: NUL byte at offset %d; not a manifest", ErrBinary, i)})
		return res
	}
	data = normalizeLineBreaks(data)
	docs, offsets := splitDocs(data)
	for d, doc := range docs {
		raw, pos, err := dec.decode(doc, offsets[d], lim)
		if errors.Is(err, errFallback) {
			raw, pos, err = yamlDecoder{}.decode(doc, offsets[d], lim)
		}
		if err != nil {
			line := offsets[d] + 1
			var de *DocError
			if errors.As(err, &de) {
				line = de.Line
				err = de.Err
			}
			res.notes = append(res.notes, finding.Note{Level: finding.NoteError, File: name, Line: line, Message: err.Error()})
			continue
		}
		if raw == nil {
			continue
		}
		src := Source{File: name, Doc: d, pos: pos}
		objs, notes := objectsFrom(raw, src, 0)
		res.objects = append(res.objects, objs...)
		res.notes = append(res.notes, notes...)
	}
	return res
}

// normalizeLineBreaks turns lone carriage returns, which YAML counts as
// line breaks, into newlines, so that document splitting and line numbers
// agree with the YAML parser. CRLF is left alone.
func normalizeLineBreaks(data []byte) []byte {
	lone := false
	for i := bytes.IndexByte(data, '\r'); i >= 0; {
		if i+1 >= len(data) || data[i+1] != '\n' {
			lone = true
			break
		}
		j := bytes.IndexByte(data[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if !lone {
		return data
	}
	out := make([]byte, len(data))
	copy(out, data)
	for i := range out {
		if out[i] == '\r' && (i+1 >= len(out) || out[i+1] != '\n') {
			out[i] = '\n'
		}
	}
	return out
}

// objectsFrom turns one decoded document into objects, unpacking List kinds.
func objectsFrom(raw map[string]any, src Source, depth int) ([]*Object, []finding.Note) {
	src.Line = src.Place("").Line
	apiVersion, _ := raw["apiVersion"].(string)
	kind, _ := raw["kind"].(string)
	if apiVersion == "" || kind == "" {
		line := firstLine(src)
		return nil, []finding.Note{{Level: finding.NoteInfo, File: src.File, Line: line, Message: "skipped: not a Kubernetes object (no apiVersion and kind)"}}
	}
	if items, ok := raw["items"].([]any); ok && (kind == "List" || strings.HasSuffix(kind, "List")) && depth < 4 {
		var objs []*Object
		var notes []finding.Note
		for i, it := range items {
			m, ok := rootMap(it)
			item := src
			item.Prefix = src.Prefix.Key("items").Index(i)
			if !ok {
				notes = append(notes, finding.Note{Level: finding.NoteError, File: src.File, Line: item.Place("").Line, Message: fmt.Sprintf("%s item %d is not an object", kind, i)})
				continue
			}
			o, n := objectsFrom(m, item, depth+1)
			objs = append(objs, o...)
			notes = append(notes, n...)
		}
		return objs, notes
	}
	o := &Object{APIVersion: apiVersion, Kind: kind, Raw: raw, Source: src}
	typed := newTyped(apiVersion, kind)
	if typed == nil {
		// Kept as plain values: the fast decoder's mappings become maps.
		raw = plain(raw).(map[string]any)
		o.Raw = raw
	}
	if md := raw["metadata"]; md != nil {
		o.Name, _ = field(md, "name").(string)
		o.Namespace, _ = field(md, "namespace").(string)
		if typed == nil {
			o.Labels = stringMap(field(md, "labels"))
			o.Annotations = stringMap(field(md, "annotations"))
		}
	}
	if typed != nil {
		if err := toTyped(raw, typed); err != nil {
			line, msg := typeError(raw, typed, src, err)
			return nil, []finding.Note{{Level: finding.NoteError, File: src.File, Line: line, Message: fmt.Sprintf("%s %q: %s", kind, o.Name, msg)}}
		}
		o.Typed = typed
		// Share the typed object's maps rather than keep two copies.
		if m, err := meta.Accessor(typed); err == nil {
			o.Labels, o.Annotations = nilIfEmpty(m.GetLabels()), nilIfEmpty(m.GetAnnotations())
		}
		// The typed object says it all; keeping the plain values as well
		// doubled the memory of a scan. Unstructured() rebuilds them.
		o.Raw = nil
	}
	return []*Object{o}, nil
}

// typeError explains why a document does not fit its kind's schema. The
// unstructured converter's errors name no field, so the JSON decoder is
// asked again for the field, whose line is then looked up.
func typeError(raw map[string]any, typed kruntime.Object, src Source, convErr error) (int, string) {
	data, err := json.Marshal(plain(raw))
	if err != nil {
		return firstLine(src), convErr.Error()
	}
	var te *json.UnmarshalTypeError
	if err := json.Unmarshal(data, typed); errors.As(err, &te) && te.Field != "" {
		line := src.Place(FieldPath(te.Field)).Line
		return max(line, firstLine(src)), fmt.Sprintf("%s: cannot use a %s as %s", te.Field, te.Value, te.Type)
	} else if err != nil {
		return firstLine(src), err.Error()
	}
	return firstLine(src), convErr.Error()
}

func firstLine(src Source) int {
	if src.Line > 0 {
		return src.Line
	}
	return 1
}

func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		if s, ok := val.(string); ok {
			out[k] = s
		} else if val != nil {
			out[k] = fmt.Sprint(val)
		}
	}
	return out
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
