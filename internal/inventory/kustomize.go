package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// isKustomizationDir reports whether dir holds a kustomization.
func isKustomizationDir(dir string) bool {
	return kustomizationFile(dir) != ""
}

// kustomizationFile returns the name of dir's kustomization file, or "".
func kustomizationFile(dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if info, err := os.Stat(filepath.Join(dir, name)); err == nil && !info.IsDir() {
			return name
		}
	}
	return ""
}

// buildKustomization builds the kustomization in dir in process with the
// Kustomize API, as `kustomize build` does (overlays, patches, generators;
// plugins and Helm inflation off, loading restricted to the kustomization's
// own tree and its bases). Each resulting object is returned as a virtual
// file named for the file it came from (Kustomize's origin annotation,
// requested for the build and removed from the output).
func buildKustomization(dir string) ([]renderedFile, error) {
	name := kustomizationFile(dir)
	if name == "" {
		return nil, fmt.Errorf("no kustomization file in %s", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fsys := originFS{FileSystem: filesys.MakeFsOnDisk(), top: filepath.Join(abs, name)}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, abs)
	if err != nil {
		return nil, fmt.Errorf("kustomize build: %w", err)
	}
	var files []renderedFile
	for _, r := range m.Resources() {
		file := filepath.Join(dir, name)
		if o, err := r.GetOrigin(); err == nil && o != nil && o.Path != "" && o.Repo == "" {
			file = filepath.Join(dir, filepath.FromSlash(o.Path))
		}
		if err := r.SetOrigin(nil); err != nil {
			return nil, fmt.Errorf("kustomize build: %w", err)
		}
		data, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("kustomize build: %w", err)
		}
		files = append(files, renderedFile{name: file, data: data, via: "kustomize build " + dir})
	}
	return files, nil
}

// originFS reads the top kustomization with originAnnotations added to its
// buildMetadata, so that every object says which file it came from; bases
// inherit the setting from the top. The user's files are not changed.
type originFS struct {
	filesys.FileSystem
	top string
}

func (f originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || filepath.Clean(path) != f.top {
		return data, err
	}
	var k map[string]any
	if err := yaml.Unmarshal(data, &k); err != nil || k == nil {
		return data, nil // let Kustomize report the error in its own words
	}
	meta, _ := k["buildMetadata"].([]any)
	for _, m := range meta {
		if m == types.OriginAnnotations {
			return data, nil
		}
	}
	k["buildMetadata"] = append(meta, types.OriginAnnotations)
	out, err := yaml.Marshal(k)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("add originAnnotations to %s", path), err)
	}
	return out, nil
}

// locateInBase points objects built by Kustomize at their place in the
// file they came from when it can be found there: same kind, and a name
// that the build kept or wrapped in a prefix and suffix. Otherwise the
// object keeps the positions of its built form.
func locateInBase(objs []*Object, lim Limits) {
	bases := map[string][]*Object{}
	for _, o := range objs {
		file := o.Source.File
		if _, ok := bases[file]; !ok {
			data, err := os.ReadFile(file)
			if err != nil || int64(len(data)) > lim.MaxFileBytes {
				bases[file] = nil
				continue
			}
			bases[file] = parseFile(file, data, lim, newFileDecoder()).objects
		}
		if b := baseObject(bases[file], o); b != nil {
			via := o.Source.Via
			o.Source = b.Source
			o.Source.Via = via
		}
	}
}

func baseObject(candidates []*Object, o *Object) *Object {
	var best *Object
	for _, b := range candidates {
		if b.Kind != o.Kind || b.Name == "" || !strings.Contains(o.Name, b.Name) {
			continue
		}
		if b.Name == o.Name {
			return b
		}
		if best == nil || len(b.Name) > len(best.Name) {
			best = b
		}
	}
	return best
}
