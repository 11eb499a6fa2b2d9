package nodes

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// configz returns a KubeletConfigz object as LoadCluster makes it: the
// kubeadm kubelet's /configz answer with changes applied (a dotted path
// to a value; a nil value deletes the field).
func configz(t *testing.T, node string, changes map[string]any) *inventory.Object {
	t.Helper()
	data, err := os.ReadFile("testdata/configz-kubeadm.json")
	if err != nil {
		t.Fatal(err)
	}
	var cz struct {
		KubeletConfig map[string]any `json:"kubeletconfig"`
	}
	if err := json.Unmarshal(data, &cz); err != nil {
		t.Fatal(err)
	}
	for path, v := range changes {
		keys := strings.Split(path, ".")
		m := cz.KubeletConfig
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		if v == nil {
			delete(m, keys[len(keys)-1])
		} else {
			m[keys[len(keys)-1]] = v
		}
	}
	return configzObject(node, map[string]any{"kubeletconfig": cz.KubeletConfig})
}

func configzError(node, msg string) *inventory.Object {
	return configzObject(node, map[string]any{"error": msg})
}

func configzObject(node string, fields map[string]any) *inventory.Object {
	raw := map[string]any{"apiVersion": inventory.KubeletConfigzAPIVersion, "kind": inventory.KubeletConfigzKind, "metadata": map[string]any{"name": node}}
	for k, v := range fields {
		raw[k] = v
	}
	return &inventory.Object{APIVersion: inventory.KubeletConfigzAPIVersion, Kind: inventory.KubeletConfigzKind, Name: node, Raw: raw}
}

func nodeObjects(t *testing.T, names ...string) []*inventory.Object {
	var docs []string
	for _, n := range names {
		docs = append(docs, fmt.Sprintf("apiVersion: v1\nkind: Node\nmetadata: {name: %s}\n", n))
	}
	return parseDoc(t, "nodes.yaml", strings.Join(docs, "---\n"))
}

// kubeletAudit runs the live kubelet checks and kubelet-serving-cert-rotation
// and returns "check node" for findings and "check node: reason" for what
// was not assessed.
func kubeletAudit(inv *inventory.Inventory, checks ...string) (findings, notAssessed []string) {
	var cs []*audit.Check
	for _, id := range checks {
		cs = append(cs, audit.Lookup(Checks(), id))
	}
	res := audit.RunChecks(inv, nil, cs)
	for _, f := range res.Findings {
		findings = append(findings, f.Check+" "+f.Object.Name)
	}
	for _, n := range res.NotAssessed {
		notAssessed = append(notAssessed, n.CheckID+" "+n.Object.Name+": "+n.Reason)
	}
	return findings, notAssessed
}

// The kubelets that allow anonymous requests, serve the read-only port or
// authorize everything are reported per node from their /configz; a node
// whose kubelet could not be asked is not assessed, with the reason; and a
// snapshot gives the same answers.
func TestLiveKubeletChecks(t *testing.T) {
	objs := nodeObjects(t, "n-forbidden", "n-late", "n-open", "n-secure")
	objs = append(objs,
		configz(t, "n-secure", map[string]any{"serverTLSBootstrap": true, "seccompDefault": true, "podPidsLimit": 4096}),
		configz(t, "n-open", map[string]any{"authentication.anonymous.enabled": true, "readOnlyPort": 10255, "authorization.mode": "AlwaysAllow"}),
		configzError("n-forbidden", `forbidden: User "auditor" cannot get resource "nodes/proxy" in API group "" at the cluster scope`),
	)
	inv := &inventory.Inventory{Objects: objs, Cluster: &inventory.ClusterInfo{Server: "https://k", Version: "v1.37.2", CollectedAt: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}}
	checks := []string{"kubelet-anonymous-auth", "kubelet-read-only-port", "kubelet-authz-always-allow"}
	fs, na := kubeletAudit(inv, checks...)
	wantF := []string{"kubelet-anonymous-auth n-open", "kubelet-authz-always-allow n-open", "kubelet-read-only-port n-open"}
	wantNA := []string{
		`kubelet-anonymous-auth n-forbidden: its kubelet configuration could not be read: forbidden: User "auditor" cannot get resource "nodes/proxy" in API group "" at the cluster scope`,
		"kubelet-anonymous-auth n-late: no configz record for this node (it joined after the kubelets were asked)",
		`kubelet-authz-always-allow n-forbidden: its kubelet configuration could not be read: forbidden: User "auditor" cannot get resource "nodes/proxy" in API group "" at the cluster scope`,
		"kubelet-authz-always-allow n-late: no configz record for this node (it joined after the kubelets were asked)",
		`kubelet-read-only-port n-forbidden: its kubelet configuration could not be read: forbidden: User "auditor" cannot get resource "nodes/proxy" in API group "" at the cluster scope`,
		"kubelet-read-only-port n-late: no configz record for this node (it joined after the kubelets were asked)",
	}
	if !slices.Equal(fs, wantF) {
		t.Errorf("findings:\n got  %q\n want %q", fs, wantF)
	}
	if !slices.Equal(na, wantNA) {
		t.Errorf("not assessed:\n got  %q\n want %q", na, wantNA)
	}
	res := audit.RunChecks(inv, nil, []*audit.Check{audit.Lookup(Checks(), "kubelet-read-only-port")})
	if len(res.Findings) != 1 || res.Findings[0].Message != `node "n-open" (its /configz): readOnlyPort: 10255 (configz): an unauthenticated port serves every Pod's spec, environment variables included` {
		t.Errorf("finding: %+v", res.Findings)
	}

	// The same through a snapshot.
	snap := filepath.Join(t.TempDir(), "snap.yaml")
	f, err := os.Create(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := inventory.WriteSnapshot(f, inv); err != nil {
		t.Fatal(err)
	}
	f.Close()
	back, err := inventory.LoadSnapshot(snap, inventory.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	fs2, na2 := kubeletAudit(back, checks...)
	if !slices.Equal(fs2, fs) || !slices.Equal(na2, na) {
		t.Errorf("snapshot audit differs:\n findings %q\n not assessed %q", fs2, na2)
	}
	res = audit.RunChecks(back, nil, []*audit.Check{audit.Lookup(Checks(), "kubelet-read-only-port")})
	if len(res.Findings) != 1 || res.Findings[0].Place.File != snap || res.Findings[0].Place.Line == 0 {
		t.Errorf("a snapshot finding does not point at the snapshot's line: %+v", res.Findings)
	}
}

// Every live kubelet check decides on a /configz: the kubeadm kubelet's
// configuration passes or fails each, and none is left undecided.
func TestLiveKubeletChecksDecide(t *testing.T) {
	for _, c := range ConfigChecks() {
		if InAudit(c) != auditConfigz {
			continue
		}
		inv := &inventory.Inventory{Objects: append(nodeObjects(t, "n1"), configz(t, "n1", nil)), Cluster: &inventory.ClusterInfo{Version: "v1.37.2"}}
		_, na := kubeletAudit(inv, c.ID)
		if len(na) != 0 {
			t.Errorf("%s: not assessed on a /configz: %q", c.ID, na)
		}
	}
}

// Without any configz record the kubelet checks are not assessed as a
// whole, saying how to read the kubelets and what that permission means.
func TestLiveKubeletChecksNotRead(t *testing.T) {
	inv := &inventory.Inventory{Objects: nodeObjects(t, "n1", "n2"), Cluster: &inventory.ClusterInfo{Version: "v1.37.2"}}
	res := audit.RunChecks(inv, nil, []*audit.Check{audit.Lookup(Checks(), "kubelet-anonymous-auth")})
	if len(res.Findings) != 0 || len(res.NotAssessed) != 1 {
		t.Fatalf("findings %+v, not assessed %+v", res.Findings, res.NotAssessed)
	}
	n := res.NotAssessed[0]
	if n.Object.Name != "" || n.Resource != "nodes/proxy" || !strings.Contains(n.Reason, "--kubelet-config") || !strings.Contains(n.Reason, "high-risk") {
		t.Errorf("not assessed: %+v", n)
	}
}
