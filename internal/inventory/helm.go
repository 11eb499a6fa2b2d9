package inventory

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/getter"
)

// HelmOptions are the `helm template` settings a chart is rendered with.
type HelmOptions struct {
	// ValueFiles are values files (-f), merged in order.
	ValueFiles []string
	// Set are --set key=value pairs, applied after the files.
	Set []string
	// ReleaseName is the release's name; default "release-name", as helm
	// template uses.
	ReleaseName string
	// Namespace is the release's namespace; default "default".
	Namespace string
	// KubeVersion is the Kubernetes version the chart sees
	// (.Capabilities.KubeVersion); default Helm's own default.
	KubeVersion string
}

// isChartDir reports whether dir holds a Helm chart.
func isChartDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil
}

// isChartArchive reports whether p names a packaged chart.
func isChartArchive(p string) bool {
	return strings.HasSuffix(p, ".tgz") || strings.HasSuffix(p, ".tar.gz")
}

// renderChart renders the chart at p (a directory or a packaged .tgz) in
// process with the Helm SDK, as `helm template` would, and returns one
// virtual file per template: its name is the template's path (under the
// chart directory, or inside the archive), its content the rendered text.
// An error is Helm's own, prefixed with the chart.
func renderChart(p string, opts HelmOptions) ([]renderedFile, error) {
	chrt, err := loader.Load(p)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	vals, err := (&values.Options{ValueFiles: opts.ValueFiles, Values: opts.Set}).MergeValues(getter.Providers{})
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	if err := chartutil.ProcessDependenciesWithMerge(chrt, vals); err != nil {
		return nil, fmt.Errorf("dependencies: %w", err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	if opts.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("kube version: %w", err)
		}
		caps.KubeVersion = *kv
	}
	rel := chartutil.ReleaseOptions{
		Name:      cmpOr(opts.ReleaseName, "release-name"),
		Namespace: cmpOr(opts.Namespace, "default"),
		Revision:  1,
		IsInstall: true,
	}
	rv, err := chartutil.ToRenderValues(chrt, vals, rel, caps)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	out, err := engine.Render(chrt, rv)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	names := make([]string, 0, len(out))
	for name, text := range out {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || strings.EqualFold(base, "NOTES.txt") || strings.TrimSpace(text) == "" {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	files := make([]renderedFile, 0, len(names))
	for _, name := range names {
		files = append(files, renderedFile{name: templateFile(p, chrt, name), data: []byte(out[name]), via: "helm template " + p})
	}
	return files, nil
}

// templateFile turns a rendered template's name ("mychart/templates/a.yaml",
// "mychart/charts/sub/templates/b.yaml") into the file a user edits: the
// path under the chart directory, or inside the archive for a packaged
// chart.
func templateFile(chartPath string, chrt *chart.Chart, name string) string {
	rest := strings.TrimPrefix(name, chrt.Name()+"/")
	if isChartArchive(chartPath) {
		return chartPath + "/" + rest
	}
	return filepath.Join(chartPath, filepath.FromSlash(rest))
}

// renderedFile is the output of a renderer (Helm, Kustomize), read as if
// it were a file named name.
type renderedFile struct {
	name string
	data []byte
	// via says how the file was made, e.g. "helm template charts/web".
	via string
}

// parseRendered parses rendered files as manifests.
func parseRendered(files []renderedFile, lim Limits) fileResult {
	var res fileResult
	dec := newFileDecoder()
	for _, f := range files {
		r := parseFile(f.name, f.data, lim, dec)
		for _, o := range r.objects {
			o.Source.Via = f.via
		}
		for i := range r.notes {
			r.notes[i].Message = fmt.Sprintf("%s (rendered by %s)", r.notes[i].Message, f.via)
		}
		res.objects = append(res.objects, r.objects...)
		res.notes = append(res.notes, r.notes...)
	}
	return res
}

func renderError(p string, err error) fileResult {
	return fileResult{notes: []finding.Note{{Level: finding.NoteError, File: p, Message: err.Error()}}}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
