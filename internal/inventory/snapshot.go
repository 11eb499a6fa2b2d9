package inventory

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rampart-dev/rampart/internal/finding"
	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The header document of a snapshot.
const (
	SnapshotAPIVersion = "rampart.dev/v1alpha1"
	SnapshotKind       = "ClusterSnapshot"
	snapshotGroup      = "rampart.dev"
)

// ErrNotSnapshot is wrapped by LoadSnapshot's error for a file without a
// ClusterSnapshot header.
var ErrNotSnapshot = errors.New("not a rampart snapshot")

// WriteSnapshot writes inv as a multi-document YAML stream: a
// ClusterSnapshot header holding inv.Cluster, then each object as its own
// document, in inventory order. managedFields are left out, and Secrets are
// written without data, stringData or kubectl's last-applied annotation
// whatever the inventory holds, so a snapshot never carries a secret value.
func WriteSnapshot(w io.Writer, inv *Inventory) error {
	if inv == nil || inv.Cluster == nil {
		return errors.New("write snapshot: the inventory was not read from a cluster")
	}
	bw := bufio.NewWriter(w)
	enc := yaml.NewEncoder(bw)
	enc.SetIndent(2)
	if err := enc.Encode(snapshotHeader(inv.Cluster)); err != nil {
		return fmt.Errorf("write snapshot header: %w", err)
	}
	for _, o := range inv.Objects {
		doc, err := snapshotDoc(o)
		if err != nil {
			return fmt.Errorf("write snapshot: %s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
		}
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("write snapshot: %s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
		}
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

// snapshotHeader is the first document, with its fields in a fixed order.
func snapshotHeader(c *ClusterInfo) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
	}
	str := func(s string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	}
	add("apiVersion", str(SnapshotAPIVersion))
	add("kind", str(SnapshotKind))
	add("server", str(c.Server))
	add("version", str(c.Version))
	add("collectedAt", str(c.CollectedAt.UTC().Format(time.RFC3339Nano)))
	if len(c.NotAssessed) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, na := range c.NotAssessed {
			m := &yaml.Node{Kind: yaml.MappingNode}
			m.Content = append(m.Content, str("resource"), str(na.Resource))
			if na.Namespace != "" {
				m.Content = append(m.Content, str("namespace"), str(na.Namespace))
			}
			m.Content = append(m.Content, str("reason"), str(na.Reason))
			seq.Content = append(seq.Content, m)
		}
		add("notAssessed", seq)
	}
	return n
}

// snapshotDoc is the document of one object: its typed form (or Raw for a
// kind Rampart does not type) with apiVersion, kind and metadata first.
func snapshotDoc(o *Object) (*yaml.Node, error) {
	m, err := o.Unstructured()
	if err != nil {
		return nil, err
	}
	m = scrub(m, o.APIVersion, o.Kind)
	m["apiVersion"], m["kind"] = o.APIVersion, o.Kind
	pruned, _ := pruneNil(m)
	var n yaml.Node
	if err := n.Encode(pruned); err != nil {
		return nil, err
	}
	// Move apiVersion, kind and metadata to the front, as kubectl writes them.
	var head, rest []*yaml.Node
	for _, key := range []string{"apiVersion", "kind", "metadata"} {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				head = append(head, n.Content[i], n.Content[i+1])
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "apiVersion", "kind", "metadata":
		default:
			rest = append(rest, n.Content[i], n.Content[i+1])
		}
	}
	n.Content = append(head, rest...)
	return &n, nil
}

// scrub returns m without managedFields and, for a Secret, without values.
// It copies what it changes, so m (which may be an object's Raw) is left
// as it was.
func scrub(m map[string]any, apiVersion, kind string) map[string]any {
	secret := isSecret(apiVersion, kind)
	md, _ := m["metadata"].(map[string]any)
	_, hasMF := md["managedFields"]
	ann, _ := md["annotations"].(map[string]any)
	_, hasLA := ann[lastApplied]
	_, hasData := m["data"]
	_, hasString := m["stringData"]
	if !hasMF && !(secret && (hasLA || hasData || hasString)) {
		return copyMap(m)
	}
	out := copyMap(m)
	if md != nil {
		md = copyMap(md)
		delete(md, "managedFields")
		if secret && hasLA {
			ann = copyMap(ann)
			delete(ann, lastApplied)
			md["annotations"] = ann
		}
		out["metadata"] = md
	}
	if secret {
		delete(out, "data")
		delete(out, "stringData")
	}
	return out
}

func isSecret(apiVersion, kind string) bool {
	return apiVersion == "v1" && kind == "Secret"
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// pruneNil drops null fields (such as the creationTimestamp: null of an
// object that has none), which mean the same as absent ones. Maps and
// lists it changes are copied; it reports whether it changed v.
func pruneNil(v any) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, val := range t {
			p, changed := pruneNil(val)
			if p != nil && !changed {
				continue
			}
			if out == nil {
				out = copyMap(t)
			}
			if p == nil {
				delete(out, k)
			} else {
				out[k] = p
			}
		}
		if out == nil {
			return t, false
		}
		return out, true
	case []any:
		var out []any
		for i, val := range t {
			if p, changed := pruneNil(val); changed {
				if out == nil {
					out = append([]any(nil), t...)
				}
				out[i] = p
			}
		}
		if out == nil {
			return t, false
		}
		return out, true
	}
	return v, false
}

// LoadSnapshot reads a snapshot written by WriteSnapshot. Objects are read
// as manifests are, so they carry their place in the snapshot file; the
// header becomes inv.Cluster. A file without a ClusterSnapshot header is
// refused with an error wrapping ErrNotSnapshot. A Secret that carries
// data or stringData (a hand-edited snapshot) has them dropped, with a note.
func LoadSnapshot(path string, lim Limits) (*Inventory, error) {
	if lim == (Limits{}) {
		lim = DefaultLimits
	}
	data, err := readSnapshotFile(path, lim.MaxFileBytes)
	if err != nil {
		return nil, err
	}
	objs, notes := ParseBytes(path, data, lim)
	inv := &Inventory{Files: 1, Notes: notes}
	var header *Object
	for _, o := range objs {
		if o.Kind == SnapshotKind && groupOf(o.APIVersion) == snapshotGroup {
			if header != nil {
				return nil, fmt.Errorf("%s:%d: a second ClusterSnapshot header (the first is on line %d); is this two snapshots joined?", path, o.Source.Line, header.Source.Line)
			}
			header = o
			continue
		}
		if isSecret(o.APIVersion, o.Kind) {
			if note, ok := dropSecretValues(o); ok {
				inv.Notes = append(inv.Notes, note)
			}
		}
		inv.Objects = append(inv.Objects, o)
	}
	if header == nil {
		msg := fmt.Sprintf("%s is not a rampart snapshot: no ClusterSnapshot header (make one with rampart snapshot)", path)
		for _, n := range notes {
			if n.Level == finding.NoteError {
				msg += fmt.Sprintf("; first problem: line %d: %s", n.Line, n.Message)
				break
			}
		}
		return nil, newSentinel(ErrNotSnapshot, nil, "%s", msg)
	}
	if header.APIVersion != SnapshotAPIVersion {
		return nil, fmt.Errorf("%s:%d: snapshot version %s is not one this rampart reads (%s)", path, header.Source.Line, header.APIVersion, SnapshotAPIVersion)
	}
	info, err := clusterInfoFrom(header.Raw)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: ClusterSnapshot header: %w", path, header.Source.Line, err)
	}
	inv.Cluster = info
	return inv, nil
}

func readSnapshotFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > max {
		return nil, fmt.Errorf("read snapshot %s: %w: %d bytes, the limit is %d", path, ErrTooLarge, info.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("read snapshot %s: %w: more than %d bytes", path, ErrTooLarge, max)
	}
	return data, nil
}

func groupOf(apiVersion string) string {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return ""
	}
	return gv.Group
}

// clusterInfoFrom reads the header's fields.
func clusterInfoFrom(raw map[string]any) (*ClusterInfo, error) {
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var h struct {
		Server      string        `json:"server"`
		Version     string        `json:"version"`
		CollectedAt string        `json:"collectedAt"`
		NotAssessed []NotAssessed `json:"notAssessed"`
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, err
	}
	info := &ClusterInfo{Server: h.Server, Version: h.Version, NotAssessed: h.NotAssessed}
	if h.CollectedAt == "" {
		return nil, errors.New("no collectedAt")
	}
	if info.CollectedAt, err = time.Parse(time.RFC3339Nano, h.CollectedAt); err != nil {
		return nil, fmt.Errorf("collectedAt: %w", err)
	}
	return info, nil
}

// dropSecretValues removes the values a snapshot's Secret should not have.
func dropSecretValues(o *Object) (finding.Note, bool) {
	dropped := false
	if _, ok := o.Raw["data"]; ok {
		delete(o.Raw, "data")
		dropped = true
	}
	if _, ok := o.Raw["stringData"]; ok {
		delete(o.Raw, "stringData")
		dropped = true
	}
	if md, ok := o.Raw["metadata"].(map[string]any); ok {
		if ann, ok := md["annotations"].(map[string]any); ok {
			if _, ok := ann[lastApplied]; ok {
				delete(ann, lastApplied)
				dropped = true
			}
		}
	}
	delete(o.Annotations, lastApplied)
	if s, ok := o.Typed.(*corev1.Secret); ok {
		if _, ok := s.Annotations[lastApplied]; ok || s.Data != nil || s.StringData != nil {
			dropped = true
		}
		s.Data, s.StringData = nil, nil
		delete(s.Annotations, lastApplied)
	}
	if !dropped {
		return finding.Note{}, false
	}
	return finding.Note{
		Level:   finding.NoteInfo,
		File:    o.Source.File,
		Line:    o.Source.Line,
		Message: fmt.Sprintf("Secret %s/%s carries values in the snapshot; they were dropped (a snapshot holds Secret metadata only)", o.Namespace, o.Name),
	}, true
}
