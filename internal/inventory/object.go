// Package inventory holds the objects Rampart analyses, whatever they came
// from, each with the place it was read from.
package inventory

import (
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
	pos    *Positions
}

// Place returns where the field at path (relative to the object) is, or
// its nearest ancestor that is present in the input.
func (s Source) Place(path FieldPath) finding.Place {
	p := finding.Place{File: s.File, Line: s.Line, Path: string(path)}
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
	// Raw is the object as plain JSON-compatible values.
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
}
