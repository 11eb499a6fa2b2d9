package admission

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/internal/policy"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Exec controls exec, attach and port-forward into pods (CONNECT on
// pods/exec, pods/attach, pods/portforward) and adding ephemeral containers
// (UPDATE on pods/ephemeralcontainers): the DenyEscalatingExec admission
// plugin Kubernetes removed, plus host networking and labelled pods.
type Exec struct {
	policy func() *policy.Policy
	pods   PodSource
	log    Recorder
}

// NewExec returns the exec handler; the target pod of a CONNECT comes from
// pods, the pod of an ephemeral-container update from the request.
func NewExec(pol func() *policy.Policy, pods PodSource, log Recorder) *Exec {
	return &Exec{policy: pol, pods: pods, log: log}
}

// podWait bounds the wait for a pod the watch has not delivered yet; it is
// well inside the request budget so the answer is ours, not the timeout's.
const podWait = 500 * time.Millisecond

var connectSubresources = map[string]bool{"exec": true, "attach": true, "portforward": true}

// Admit implements Handler.
func (h *Exec) Admit(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	if req.Resource.Group != "" || req.Resource.Resource != "pods" {
		return allow()
	}
	var facts PodFacts
	switch {
	case req.Operation == admissionv1.Connect && connectSubresources[req.SubResource]:
		if h.pods == nil || !h.pods.Synced() {
			return deny("rampart: " + errNotSynced.Error() + "; try again shortly")
		}
		wait, cancel := context.WithTimeout(ctx, podWait)
		f, ok := h.pods.Pod(wait, req.Namespace, req.Name)
		cancel()
		if !ok {
			// The API server answers 404 for a pod that does not exist;
			// one the watch has not delivered yet is refused, not guessed.
			return deny(fmt.Sprintf("rampart: pod %s/%s is not known to the webhook yet; try again", req.Namespace, req.Name))
		}
		facts = f
	case req.Operation == admissionv1.Update && req.SubResource == "ephemeralcontainers":
		raw := req.OldObject.Raw
		if len(raw) == 0 {
			raw = req.Object.Raw
		}
		pod := &corev1.Pod{}
		if err := decodeJSON(raw, pod); err != nil {
			return deny("rampart: cannot read the pod: " + err.Error())
		}
		facts = FactsOf(pod)
	default:
		return allow()
	}
	pol := h.policy()
	cfg := &pol.Webhook.Exec
	if cfg.Exempt.Match(req.UserInfo.Username, req.UserInfo.Groups) {
		return allow()
	}
	reasons := escalating(facts, cfg)
	if len(reasons) == 0 {
		return allow()
	}
	action := req.SubResource
	if action == "ephemeralcontainers" {
		action = "ephemeral containers"
	}
	msg := fmt.Sprintf("rampart: %s into pod %s/%s is not allowed: the pod %s", action, req.Namespace, req.Name, strings.Join(reasons, ", "))
	mode := cfg.ExecMode()
	result := map[string]string{policy.ModeBlock: "denied", policy.ModeWarn: "warned", policy.ModeAudit: "audited"}[mode]
	if h.log != nil {
		h.log.Record(admissionDecision(req, "exec", result, mode, "escalating-exec", msg))
	}
	switch mode {
	case policy.ModeBlock:
		return deny(msg)
	case policy.ModeWarn:
		return allow(msg)
	}
	return allow()
}

// escalating lists why a pod is off limits.
func escalating(f PodFacts, cfg *policy.Exec) []string {
	var out []string
	for _, d := range cfg.DenyList() {
		switch {
		case d == policy.DenyPrivileged && f.Privileged:
			out = append(out, "is privileged")
		case d == policy.DenyHostPID && f.HostPID:
			out = append(out, "shares the host's PID namespace")
		case d == policy.DenyHostIPC && f.HostIPC:
			out = append(out, "shares the host's IPC namespace")
		case d == policy.DenyHostNetwork && f.HostNetwork:
			out = append(out, "uses the host's network")
		}
	}
	if cfg.PodSelector != nil {
		// Validated when the policy was loaded.
		if sel, err := cfg.PodSelector.LabelSelector(); err == nil && sel.Matches(labels.Set(f.Labels)) {
			out = append(out, fmt.Sprintf("matches the protected pod selector %s", sel))
		}
	}
	return out
}
