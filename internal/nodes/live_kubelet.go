package nodes

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"weak"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// nodesProxy is the permission (and what the audit lacks without it) that
// reading a kubelet's /configz through the API server needs.
const nodesProxy = "nodes/proxy"

// notRead is why the kubelet checks are not assessed when the audit did
// not ask the kubelets.
const notRead = "the kubelets' configuration was not read: rampart audit --kubelet-config (or rampart snapshot --kubelet-config) reads each node's /configz through the API server; " +
	"it needs get on nodes/proxy, a high-risk permission (exec into any Pod of the node through the kubelet API)"

// nodeRef is the reference of the Node called name.
func nodeRef(name string) finding.ObjectRef {
	return finding.ObjectRef{APIVersion: "v1", Kind: "Node", Name: name}
}

// kubeletTarget is one node and what its /configz gave: a configuration,
// or why there is none.
type kubeletTarget struct {
	node    string
	kubelet *KubeletConfig
	why     string
}

// kubeletTargets pairs each Node with its KubeletConfigz record, in node
// name order. It returns nil when the inventory holds no record at all
// (the kubelets were not asked). The live checks run in parallel on one
// inventory and each needs every node's decoded configuration: it is
// decoded once per inventory (and again if the inventory grows), and the
// result is only read.
func kubeletTargets(inv *inventory.Inventory) []kubeletTarget {
	key := weak.Make(inv)
	v, _ := targetCache.LoadOrStore(key, &targetEntry{})
	e := v.(*targetEntry)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.done || e.n != len(inv.Objects) {
		if !e.done {
			runtime.AddCleanup(inv, func(k weak.Pointer[inventory.Inventory]) { targetCache.Delete(k) }, key)
		}
		e.targets, e.n, e.done = decodeTargets(inv), len(inv.Objects), true
	}
	return e.targets
}

// targetCache holds each inventory's decoded kubelet configurations,
// weakly, so that they go with the inventory.
var targetCache sync.Map // weak.Pointer[inventory.Inventory] -> *targetEntry

type targetEntry struct {
	mu      sync.Mutex
	done    bool
	n       int
	targets []kubeletTarget
}

func decodeTargets(inv *inventory.Inventory) []kubeletTarget {
	records := map[string]*inventory.Object{}
	names := map[string]bool{}
	for _, o := range inv.Objects {
		switch {
		case o.Kind == inventory.KubeletConfigzKind && o.APIVersion == inventory.KubeletConfigzAPIVersion:
			records[o.Name] = o
			names[o.Name] = true
		case o.Kind == "Node" && o.APIVersion == "v1":
			names[o.Name] = true
		}
	}
	if len(records) == 0 {
		return nil
	}
	out := make([]kubeletTarget, 0, len(names))
	for name := range names {
		t := kubeletTarget{node: name}
		if rec := records[name]; rec == nil {
			t.why = "no configz record for this node (it joined after the kubelets were asked)"
		} else if k, why := EffectiveKubelet(rec); why != "" {
			t.why = "its kubelet configuration could not be read: " + why
		} else {
			t.kubelet = k
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].node < out[j].node })
	return out
}

// liveKubeletCheck runs a kubelet CIS check on each node's effective
// configuration, from its /configz. A node whose configuration could not
// be read is not assessed, with the reason, never passed.
func liveKubeletCheck(c *Check) *audit.Check {
	return c.auditCheck(" In audit it reads each node's effective configuration from the kubelet's /configz through the API server (rampart audit --kubelet-config, which needs get on nodes/proxy, itself a high-risk permission); a node whose kubelet could not be asked is not assessed.", []string{"nodes"}, func(inv *inventory.Inventory, _ *audit.Config) audit.Assessment {
		var a audit.Assessment
		targets := kubeletTargets(inv)
		if targets == nil {
			a.NotAssessed = append(a.NotAssessed, audit.Unassessed{Resource: nodesProxy, Reason: notRead})
			return a
		}
		for _, t := range targets {
			ref := nodeRef(t.node)
			if t.kubelet == nil {
				a.NotAssessed = append(a.NotAssessed, audit.Unassessed{Object: ref, Reason: t.why})
				continue
			}
			for _, r := range safeEval(c, &Config{Kubelet: t.kubelet}) {
				switch r.Status {
				case NotAssessed:
					a.NotAssessed = append(a.NotAssessed, audit.Unassessed{Object: ref, Reason: r.Message})
				case Fail:
					f := liveFinding(c, r, ref)
					f.Message = fmt.Sprintf("node %q (its /configz): %s", t.node, f.Message)
					if f.Place.File == "" {
						// A live answer has no file, and the setting's
						// path is not a field of the Node.
						f.Place = finding.Place{}
					}
					a.Findings = append(a.Findings, f)
				}
			}
		}
		return a
	})
}

// ProxyWarning is what a report says whenever kubelets were asked through
// the node proxy.
const ProxyWarning = "reading it needs get on nodes/proxy, which is itself a high-risk permission: it reaches the whole kubelet API, exec into any Pod of the node included; grant it to the auditing identity for the audit only"

// KubeletConfigRead counts the nodes whose kubelet was asked for its
// configuration and those that answered; asked is 0 when none was.
func KubeletConfigRead(inv *inventory.Inventory) (asked, read int) {
	for _, o := range inv.Objects {
		if o.Kind != inventory.KubeletConfigzKind || o.APIVersion != inventory.KubeletConfigzAPIVersion {
			continue
		}
		asked++
		if _, why := EffectiveKubelet(o); why == "" {
			read++
		}
	}
	return asked, read
}
