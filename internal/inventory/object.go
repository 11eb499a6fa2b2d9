// Package inventory holds the objects Rampart analyses, whatever they came
// from, each with the place it was read from.
package inventory

import (
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
	"k8s.io/apimachinery/pkg/runtime"
)

// Source is where an object was read from.
type Source struct {
	File string
	// Doc is the 0-based index of the document in the file.
	Doc int
	// Line is the line the object starts on.
	Line int
	// Prefix is the object's own path inside its document, e.g. "items[2]"
	// for an item of a List; empty for a top-level object.
	Prefix FieldPath
	// Via says how the object was rendered from File, e.g. "helm template
	// charts/web"; empty for a manifest read as it is.
	Via string
	pos *Positions
}

// Place returns where the field at path (relative to the object) is, or
// its nearest ancestor that is present in the input.
func (s Source) Place(path FieldPath) finding.Place {
	p := finding.Place{File: s.File, Line: s.Line, Path: string(path), Via: s.Via}
	full := path
	if s.Prefix != "" {
		full = s.Prefix
		if path != "" {
			if path[0] == '[' {
				full += path
			} else {
				full += "." + path
			}
		}
	}
	if pos, ok := s.pos.Nearest(string(full)); ok && pos.Line > 0 {
		if int(pos.Line) >= s.Line {
			p.Line, p.Column = int(pos.Line), int(pos.Col)
		}
	}
	return p
}

// Object is one Kubernetes object.
type Object struct {
	APIVersion  string
	Kind        string
	Namespace   string
	Name        string
	Labels      map[string]string
	Annotations map[string]string
	// Raw is the object as plain JSON-compatible values, for kinds that
	// have no typed form; nil when Typed is set (Unstructured gives any
	// object as plain values).
	Raw map[string]any
	// Typed is the object decoded into its k8s.io/api type, or nil when the
	// kind is not one Rampart knows.
	Typed  runtime.Object
	Source Source
}

// Ref returns the reference findings use for this object.
func (o *Object) Ref() finding.ObjectRef {
	return finding.ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// Place returns the place of a field of this object.
func (o *Object) Place(path FieldPath) finding.Place { return o.Source.Place(path) }

// Inventory is the set of objects one run analyses.
type Inventory struct {
	Objects []*Object
	// Files counts the inputs read.
	Files int
	// Notes record input problems and skipped documents.
	Notes []finding.Note
	// Cluster is set when the objects were read from a live cluster or
	// from a snapshot of one; nil for manifests.
	Cluster *ClusterInfo
}

// ClusterInfo describes the cluster an inventory was read from.
type ClusterInfo struct {
	// Server is the API server's URL, without credentials.
	Server string `json:"server"`
	// Version is the API server's gitVersion, e.g. v1.37.2.
	Version string `json:"version"`
	// CollectedAt is when the objects were read.
	CollectedAt time.Time `json:"collectedAt"`
	// NotAssessed lists what could not be read (for example for lack of
	// permission); analyses of those kinds are reported as not assessed
	// rather than as passing.
	NotAssessed []NotAssessed `json:"notAssessed,omitempty"`
}

// NotAssessed is a kind (optionally in one namespace) that could not be read.
type NotAssessed struct {
	// Resource is the plural resource with its group, e.g. "secrets" or
	// "clusterroles.rbac.authorization.k8s.io".
	Resource  string `json:"resource"`
	Namespace string `json:"namespace,omitempty"`
	Reason    string `json:"reason"`
}

// Assessed reports whether the resource (as in NotAssessed.Resource) was
// read in full.
func (c *ClusterInfo) Assessed(resource string) bool {
	if c == nil {
		return true
	}
	for _, n := range c.NotAssessed {
		if n.Resource == resource {
			return false
		}
	}
	return true
}

// ByKind returns the objects of one kind, in inventory order.
func (inv *Inventory) ByKind(kind string) []*Object {
	var out []*Object
	for _, o := range inv.Objects {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}
