package finding

import "time"

// Audit is the cluster part of a report made by rampart audit: where the
// objects came from, how each NIST SP 800-190 countermeasure stands, the
// node inventory, and what could not be assessed.
type Audit struct {
	Server      string    `json:"server"`
	Version     string    `json:"version"`
	CollectedAt time.Time `json:"collectedAt"`
	// Snapshot is the snapshot file audited, empty for a live audit.
	Snapshot    string        `json:"snapshot,omitempty"`
	Sections    []Section     `json:"sections"`
	Nodes       []Node        `json:"nodes"`
	NotAssessed []NotAssessed `json:"notAssessed"`
	// KubeletConfig says from how many nodes the kubelet's configuration
	// was read (rampart audit --kubelet-config); nil when no kubelet was
	// asked.
	KubeletConfig *KubeletConfigRead `json:"kubeletConfig,omitempty"`
}

// KubeletConfigRead is how reading the kubelets' configuration went, and
// the warning that goes with it: the permission it needs is high-risk.
type KubeletConfigRead struct {
	// Nodes counts the nodes asked; Read those that answered.
	Nodes   int    `json:"nodes"`
	Read    int    `json:"read"`
	Warning string `json:"warning"`
}

// Section is the standing of one NIST SP 800-190 countermeasure (4.3.x).
type Section struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Status is "pass", "fail" or "not-assessed".
	Status   string `json:"status"`
	Checks   int    `json:"checks"`
	Failed   int    `json:"failed"`
	Findings int    `json:"findings"`
	// NotAssessed counts the checks that did not fail and were not
	// assessed, as a whole or for some object; Passed the rest.
	NotAssessed int `json:"notAssessed"`
	Passed      int `json:"passed"`
}

// Node is one row of the node inventory.
type Node struct {
	Name             string   `json:"name"`
	Ready            string   `json:"ready"`
	Conditions       []string `json:"conditions"`
	KubeletVersion   string   `json:"kubeletVersion"`
	Skew             string   `json:"skew"`
	ContainerRuntime string   `json:"containerRuntime"`
	OSArch           string   `json:"osArch"`
	Taints           []string `json:"taints"`
	Unschedulable    bool     `json:"unschedulable"`
	Roles            []string `json:"roles"`
	Age              string   `json:"age"`
}

// NotAssessed is a check that could not run, or could not decide for one
// object, and why.
type NotAssessed struct {
	Check string `json:"check"`
	// Object is what the check could not decide for; absent when the
	// check as a whole was not assessed.
	Object   *ObjectRef `json:"object,omitempty"`
	Resource string     `json:"resource"`
	Reason   string     `json:"reason"`
}
