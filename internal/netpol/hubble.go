package netpol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"sync"

	jsoniter "github.com/json-iterator/go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The JSON of `hubble observe -o json`: one GetFlowsResponse per line,
// {"flow": {...}, "node_name": ..., "time": ...}, with the field names of
// cilium's api/v1/flow/flow.proto in protobuf JSON form. Older Hubble
// versions printed the Flow object itself; both are read. Lines that hold
// no flow (node status, lost events) are skipped.

type hubbleLine struct {
	Flow *hubbleFlow `json:"flow"`
	hubbleFlow
}

type hubbleFlow struct {
	Verdict string `json:"verdict"`
	IP      *struct {
		Source      string `json:"source"`
		Destination string `json:"destination"`
	} `json:"IP"`
	L4 *struct {
		TCP  *hubblePorts `json:"TCP"`
		UDP  *hubblePorts `json:"UDP"`
		SCTP *hubblePorts `json:"SCTP"`
	} `json:"l4"`
	Source      *hubbleEndpoint `json:"source"`
	Destination *hubbleEndpoint `json:"destination"`
	// IsReply is a google.protobuf.BoolValue: absent when unknown.
	IsReply *bool `json:"is_reply"`
	// Reply is the field is_reply replaced.
	Reply bool `json:"reply"`
}

type hubblePorts struct {
	DestinationPort uint32 `json:"destination_port"`
}

// hubbleJSON decodes Hubble lines. json-iterator (already a dependency of
// the Kubernetes libraries) decodes them about four times faster than
// encoding/json, which is what makes a million-line log quick to learn.
var hubbleJSON = jsoniter.ConfigCompatibleWithStandardLibrary

// hubbleEndpoint keeps labels and workloads raw: a log repeats a few
// endpoints many times, and each distinct one is decoded and checked once
// (see endpointCache).
type hubbleEndpoint struct {
	Namespace string          `json:"namespace"`
	Labels    json.RawMessage `json:"labels"`
	PodName   string          `json:"pod_name"`
	Workloads json.RawMessage `json:"workloads"`
}

type hubbleWorkload struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// endpointCache holds the endpoints one parser goroutine has decoded, by
// namespace and raw labels, and workload names by raw workloads.
type endpointCache struct {
	endpoints map[string]FlowEndpoint
	workloads map[string]FlowEndpoint
	key       []byte
}

func newEndpointCache() *endpointCache {
	return &endpointCache{endpoints: map[string]FlowEndpoint{}, workloads: map[string]FlowEndpoint{}}
}

// ParseHubble reads `hubble observe -o json` output. Lines are decoded in
// parallel; flows reach fn in input order.
func ParseHubble(r io.Reader, lim Limits, fn func(Flow) error) error {
	type chunk struct {
		first int // line number of the first line
		data  [][]byte
		flows []Flow
		err   error
		done  chan struct{}
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	todo := make(chan *chunk, workers)
	order := make(chan *chunk, workers*2)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cache := newEndpointCache()
			for c := range todo {
				for i, line := range c.data {
					f, ok, err := parseHubbleLine(c.first+i, line, lim, cache)
					if err != nil {
						c.err = err
						break
					}
					if ok {
						c.flows = append(c.flows, f)
					}
				}
				close(c.done)
			}
		}()
	}
	// Read and hand out chunks in a goroutine; consume in order here.
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		defer close(order)
		defer close(todo)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, min(256<<10, lim.MaxLine+1)), lim.MaxLine+1)
		n, records := 0, 0
		// Lines of a chunk share one buffer: one allocation per chunk.
		c := &chunk{first: 1, done: make(chan struct{})}
		var buf []byte
		var ends []int
		send := func() bool {
			c.data = make([][]byte, len(ends))
			start := 0
			for i, e := range ends {
				c.data[i] = buf[start:e:e]
				start = e
			}
			select {
			case order <- c:
			case <-stop:
				return false
			}
			select {
			case todo <- c:
			case <-stop:
				return false
			}
			return true
		}
		for sc.Scan() {
			n++
			if len(ends) == 0 {
				c.first = n
				buf = make([]byte, 0, 1<<20)
			}
			if records++; records > lim.MaxRecords {
				readErr <- flowError(n, "more than %d records", lim.MaxRecords)
				return
			}
			buf = append(buf, sc.Bytes()...)
			ends = append(ends, len(buf))
			if len(ends) == 512 || len(buf) >= 768<<10 {
				if !send() {
					return
				}
				c, ends = &chunk{done: make(chan struct{})}, ends[:0]
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				readErr <- flowError(n+1, "longer than %d bytes", lim.MaxLine)
			} else {
				readErr <- fmt.Errorf("read flows: line %d: %w", n+1, err)
			}
			return
		}
		if len(ends) > 0 {
			send()
		}
	}()
	var err error
	for c := range order {
		if err != nil {
			continue
		}
		<-c.done
		if c.err != nil {
			err = c.err
			close(stop)
			continue
		}
		for _, f := range c.flows {
			if err = fn(f); err != nil {
				close(stop)
				break
			}
		}
	}
	wg.Wait()
	if err != nil {
		return err
	}
	select {
	case err = <-readErr:
		return err
	default:
		return nil
	}
}

// parseHubbleLine decodes one line; ok is false for a line that holds no
// flow, or a flow without the IP and layer 4 fields a policy needs.
func parseHubbleLine(n int, line []byte, lim Limits, cache *endpointCache) (Flow, bool, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return Flow{}, false, nil
	}
	var hl hubbleLine
	if err := hubbleJSON.Unmarshal(line, &hl); err != nil {
		return Flow{}, false, flowError(n, "%v", err)
	}
	hf := hl.Flow
	if hf == nil {
		hf = &hl.hubbleFlow
	}
	if hf.L4 == nil || (hf.IP == nil && hf.Source == nil) {
		return Flow{}, false, nil
	}
	f := Flow{Line: n, Verdict: hf.Verdict, Reply: hf.Reply || (hf.IsReply != nil && *hf.IsReply)}
	switch {
	case hf.L4.TCP != nil:
		f.Protocol, f.Port = corev1.ProtocolTCP, int32(hf.L4.TCP.DestinationPort)
	case hf.L4.UDP != nil:
		f.Protocol, f.Port = corev1.ProtocolUDP, int32(hf.L4.UDP.DestinationPort)
	case hf.L4.SCTP != nil:
		f.Protocol, f.Port = corev1.ProtocolSCTP, int32(hf.L4.SCTP.DestinationPort)
	default:
		return Flow{}, false, nil // ICMP: NetworkPolicy does not govern it
	}
	if hf.L4 != nil && (f.Port < 1 || f.Port > 65535) {
		return Flow{}, false, flowError(n, "destination port %d is not from 1 to 65535", f.Port)
	}
	var srcIP, dstIP string
	if hf.IP != nil {
		srcIP, dstIP = hf.IP.Source, hf.IP.Destination
	}
	var err error
	if f.Src, err = hubbleEndpointOf(n, "source", hf.Source, srcIP, lim, cache); err != nil {
		return Flow{}, false, err
	}
	if f.Dst, err = hubbleEndpointOf(n, "destination", hf.Destination, dstIP, lim, cache); err != nil {
		return Flow{}, false, err
	}
	return f, true, nil
}

// volatileLabels are labels that differ between pods of one workload or
// between its revisions, or that Cilium adds for itself: learned
// selectors never use them.
var volatileLabels = map[string]bool{
	"pod-template-hash":                        true,
	"controller-revision-hash":                 true,
	"pod-template-generation":                  true,
	"statefulset.kubernetes.io/pod-name":       true,
	"apps.kubernetes.io/pod-index":             true,
	"job-name":                                 true,
	"controller-uid":                           true,
	"batch.kubernetes.io/job-name":             true,
	"batch.kubernetes.io/controller-uid":       true,
	"batch.kubernetes.io/job-completion-index": true,
	"io.kubernetes.pod.namespace":              true,
	"io.cilium.k8s.policy.cluster":             true,
	"io.cilium.k8s.policy.serviceaccount":      true,
	"io.cilium.k8s.namespace.labels":           true,
}

// StableLabels returns the labels of l that select a workload's pods
// whatever their revision: without volatileLabels and Cilium's own.
func StableLabels(l map[string]string) map[string]string {
	out := make(map[string]string, len(l))
	for k, v := range l {
		if volatileLabels[k] || strings.HasPrefix(k, "io.cilium.") {
			continue
		}
		out[k] = v
	}
	return out
}

// hubbleEndpointOf converts an endpoint: Kubernetes labels ("k8s:key=value")
// become labels; reserved identities ("reserved:world", "reserved:host")
// become addresses or the node.
func hubbleEndpointOf(n int, side string, he *hubbleEndpoint, ip string, lim Limits, cache *endpointCache) (FlowEndpoint, error) {
	var addr netip.Addr
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return FlowEndpoint{}, flowError(n, "%s IP %q is not an IP address", side, ip)
		}
		addr = a
	}
	if he == nil {
		e := FlowEndpoint{IP: addr}
		return e, checkEndpoint(n, side, e, lim)
	}
	cache.key = append(append(append(cache.key[:0], he.Namespace...), 0), he.Labels...)
	e, ok := cache.endpoints[string(cache.key)] // no allocation on a hit
	if !ok {
		var err error
		if e, err = decodeHubbleEndpoint(n, side, he, lim); err != nil {
			return e, err
		}
		e.key = string(cache.key)
		if len(cache.endpoints) < 1<<16 {
			cache.endpoints[e.key] = e
		}
	}
	e.IP = addr
	if e.Pod() {
		e.Name, e.Kind = he.PodName, ""
		if len(he.Workloads) > 0 {
			w, ok := cache.workloads[string(he.Workloads)]
			if !ok {
				var ws []hubbleWorkload
				if err := hubbleJSON.Unmarshal(he.Workloads, &ws); err != nil {
					return e, flowError(n, "%s workloads: %v", side, err)
				}
				if len(ws) > 0 {
					w.Name, w.Kind = ws[0].Name, ws[0].Kind
				}
				if len(cache.workloads) < 1<<16 {
					cache.workloads[string(he.Workloads)] = w
				}
			}
			if w.Name != "" {
				e.Name, e.Kind = w.Name, w.Kind
			}
		}
		return e, nil
	}
	return e, checkEndpoint(n, side, e, lim)
}

// decodeHubbleEndpoint decodes and checks the labels and workload of an
// endpoint.
func decodeHubbleEndpoint(n int, side string, he *hubbleEndpoint, lim Limits) (FlowEndpoint, error) {
	var e FlowEndpoint
	var raw []string
	if len(he.Labels) > 0 {
		if err := hubbleJSON.Unmarshal(he.Labels, &raw); err != nil {
			return e, flowError(n, "%s labels: %v", side, err)
		}
	}
	if len(raw) > lim.MaxLabels {
		return e, flowError(n, "%s has %d labels (at most %d)", side, len(raw), lim.MaxLabels)
	}
	ns := he.Namespace
	labels := map[string]string{}
	for _, l := range raw {
		src, kv, ok := strings.Cut(l, ":")
		if !ok {
			src, kv = "k8s", l
		}
		switch src {
		case "reserved":
			switch kv {
			case "host":
				e.Node = true
			case "world", "world-ipv4", "world-ipv6", "remote-node", "kube-apiserver":
				ns = ""
			}
			continue
		case "k8s":
		default:
			continue // cidr:, container:, unspec: and others select nothing in Kubernetes
		}
		k, v, _ := strings.Cut(kv, "=")
		if k == "io.kubernetes.pod.namespace" && ns == "" && he.Namespace == "" {
			ns = v
		}
		labels[k] = v
	}
	if e.Node || ns == "" {
		return e, nil
	}
	e.Namespace, e.Labels = ns, labels
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return e, flowError(n, "%s namespace %q: %s", side, ns, msgs[0])
	}
	return e, checkLabels(n, StableLabels(labels), lim)
}
