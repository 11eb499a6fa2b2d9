package netpol

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Flow is one observed connection attempt.
type Flow struct {
	// Line is where the record starts in its input (1-based).
	Line     int
	Src, Dst FlowEndpoint
	Protocol corev1.Protocol
	Port     int32
	// Verdict is Hubble's (FORWARDED, DROPPED, AUDIT ...); "" in
	// Rampart's own formats, which record allowed traffic only.
	Verdict string
	// Reply marks the answer half of a connection, which policies never
	// need to allow (they are stateful).
	Reply bool
}

// FlowEndpoint is one end of a flow: pods (namespace and labels) or an
// address outside the cluster's pods.
type FlowEndpoint struct {
	// Namespace is empty for an address outside the cluster's pods.
	Namespace string
	Labels    map[string]string
	// Name names the workload (or pod) for people; optional.
	Name string
	Kind string
	IP   netip.Addr
	// Node marks the local node (host-network pods, kubelet probes):
	// traffic from it is always allowed, so it is never learned.
	Node bool
	// key is the namespace and labels as the input wrote them, a cheap
	// identity for caching; empty when unknown.
	key string
}

// Pod reports whether the endpoint is pods of the cluster.
func (e FlowEndpoint) Pod() bool { return e.Namespace != "" }

// Limits bound what the flow parsers accept.
type Limits struct {
	// MaxLine is the longest line (Hubble JSON, JSON lines) or CSV record.
	MaxLine int
	// MaxRecords is the most flow records read from one input.
	MaxRecords int
	// MaxLabels is the most labels one endpoint may carry.
	MaxLabels int
}

// DefaultLimits are generous for real exports and stop runaway inputs.
var DefaultLimits = Limits{MaxLine: 1 << 20, MaxRecords: 50_000_000, MaxLabels: 256}

// ErrFlowInput is wrapped by every error about malformed flow input.
var ErrFlowInput = errors.New("invalid flow input")

// flowError makes an error naming the line.
func flowError(line int, format string, a ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrFlowInput, line, fmt.Sprintf(format, a...))
}

// Flow formats.
const (
	FormatAuto   = "auto"
	FormatHubble = "hubble"
	FormatCSV    = "csv"
	FormatJSON   = "json"
)

// ParseFlows reads flows in format (FormatAuto sniffs the first record)
// and calls fn for each, stopping at the first error fn or the input
// returns.
func ParseFlows(r io.Reader, format string, lim Limits, fn func(Flow) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if format == FormatAuto || format == "" {
		var err error
		if format, err = sniff(br); err != nil {
			return err
		}
	}
	switch format {
	case FormatHubble:
		return ParseHubble(br, lim, fn)
	case FormatCSV:
		return ParseFlowsCSV(br, lim, fn)
	case FormatJSON:
		return ParseFlowsJSON(br, lim, fn)
	}
	return fmt.Errorf("unknown flow format %q (want auto, hubble, csv or json)", format)
}

// sniff guesses the format from the first bytes: JSON with "flow" or
// Hubble's field names is Hubble's, other JSON is Rampart's, anything
// else CSV.
func sniff(br *bufio.Reader) (string, error) {
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("read flows: %w", err)
	}
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case len(head) == 0:
		return FormatCSV, nil
	case head[0] == '[':
		return FormatJSON, nil
	case head[0] == '{':
		if bytes.Contains(head, []byte(`"src"`)) && !bytes.Contains(head, []byte(`"flow"`)) {
			return FormatJSON, nil
		}
		return FormatHubble, nil
	}
	return FormatCSV, nil
}

// lines calls fn with each non-blank line and its number, refusing lines
// longer than lim.MaxLine.
func lines(r io.Reader, lim Limits, fn func(n int, line []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, lim.MaxLine+1)), lim.MaxLine+1)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return flowError(n+1, "longer than %d bytes", lim.MaxLine)
		}
		return fmt.Errorf("read flows: line %d: %w", n+1, err)
	}
	return nil
}

// checkLabels validates labels as Kubernetes does, since learned
// policies select on them.
func checkLabels(line int, l map[string]string, lim Limits) error {
	if len(l) > lim.MaxLabels {
		return flowError(line, "%d labels on one endpoint (at most %d)", len(l), lim.MaxLabels)
	}
	for _, k := range slices.Sorted(maps.Keys(l)) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			return flowError(line, "label key %q: %s", k, msgs[0])
		}
		if msgs := validation.IsValidLabelValue(l[k]); len(msgs) > 0 {
			return flowError(line, "label %s value %q: %s", k, l[k], msgs[0])
		}
	}
	return nil
}

func checkEndpoint(line int, side string, e FlowEndpoint, lim Limits) error {
	if e.Pod() {
		if msgs := validation.IsDNS1123Label(e.Namespace); len(msgs) > 0 {
			return flowError(line, "%s namespace %q: %s", side, e.Namespace, msgs[0])
		}
		return checkLabels(line, e.Labels, lim)
	}
	if !e.IP.IsValid() && !e.Node {
		return flowError(line, "%s has neither a namespace nor an IP address", side)
	}
	return nil
}

func parseProtocol(line int, s string) (corev1.Protocol, error) {
	p := corev1.Protocol(strings.ToUpper(strings.TrimSpace(s)))
	if p == "" {
		p = corev1.ProtocolTCP
	}
	if protoIndex(p) < 0 {
		return "", flowError(line, "protocol %q is not TCP, UDP or SCTP", s)
	}
	return p, nil
}

func parsePort(line int, s string) (int32, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return 0, flowError(line, "port %q is not a number from 1 to 65535", s)
	}
	return int32(n), nil
}

// parseLabelList reads "k=v;k2=v2" (commas accepted too).
func parseLabelList(line int, s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, flowError(line, "label %q is not key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// csvColumns are the columns of Rampart's CSV flow format; protocol and
// port, and for each side a namespace or an IP, are required.
var csvColumns = []string{"src_namespace", "src_labels", "src_name", "src_ip", "dst_namespace", "dst_labels", "dst_name", "dst_ip", "protocol", "port"}

// ParseFlowsCSV reads Rampart's CSV flow format: a header naming some of
// csvColumns (any order), then one flow per record. Labels are written
// "key=value;key=value". Lines starting with # are comments.
func ParseFlowsCSV(r io.Reader, lim Limits, fn func(Flow) error) error {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return csvError(err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(csvColumns, h) {
			line, _ := cr.FieldPos(i)
			return flowError(line, "unknown column %q (columns: %s)", h, strings.Join(csvColumns, ", "))
		}
		col[h] = i
	}
	if _, ok := col["port"]; !ok {
		return flowError(1, "no port column (columns: %s)", strings.Join(csvColumns, ", "))
	}
	records := 0
	seen := map[string]map[string]string{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if records++; records > lim.MaxRecords {
			return flowError(line, "more than %d records", lim.MaxRecords)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				if len(rec[i]) > lim.MaxLine {
					return ""
				}
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		f := Flow{Line: line}
		for _, side := range []struct {
			p string
			e *FlowEndpoint
		}{{"src", &f.Src}, {"dst", &f.Dst}} {
			side.e.Namespace, side.e.Name = get(side.p+"_namespace"), get(side.p+"_name")
			side.e.key = side.e.Namespace + "\x00" + get(side.p+"_labels")
			if ip := get(side.p + "_ip"); ip != "" {
				if side.e.IP, err = netip.ParseAddr(ip); err != nil {
					return flowError(line, "%s_ip %q is not an IP address", side.p, ip)
				}
			}
			// Endpoints repeat: parse and check each distinct one once.
			if l, ok := seen[side.e.key]; ok && side.e.Pod() {
				side.e.Labels = l
				continue
			}
			if side.e.Labels, err = parseLabelList(line, get(side.p+"_labels")); err != nil {
				return err
			}
			if err := checkEndpoint(line, side.p, *side.e, lim); err != nil {
				return err
			}
			if side.e.Pod() && len(seen) < 1<<16 {
				seen[side.e.key] = side.e.Labels
			}
		}
		if f.Protocol, err = parseProtocol(line, get("protocol")); err != nil {
			return err
		}
		if f.Port, err = parsePort(line, get("port")); err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
	}
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return flowError(pe.Line, "%v", pe.Err)
	}
	return fmt.Errorf("read flows: %w", err)
}

// jsonFlow is one record of Rampart's JSON flow format.
type jsonFlow struct {
	Src      *jsonEndpoint `json:"src"`
	Dst      *jsonEndpoint `json:"dst"`
	Protocol string        `json:"protocol"`
	Port     int           `json:"port"`
}

type jsonEndpoint struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
	Name      string            `json:"name"`
	IP        string            `json:"ip"`
}

// ParseFlowsJSON reads Rampart's JSON flow format: a JSON array of flow
// objects, or one flow object per line, each
// {"src": {"namespace", "labels", "name", "ip"}, "dst": {...}, "protocol", "port"}.
func ParseFlowsJSON(r io.Reader, lim Limits, fn func(Flow) error) error {
	br := bufio.NewReader(r)
	head, _ := br.Peek(512)
	if t := bytes.TrimLeft(head, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '[' {
		return parseJSONArray(br, lim, fn)
	}
	return lines(br, lim, func(n int, line []byte) error {
		var jf jsonFlow
		if err := json.Unmarshal(line, &jf); err != nil {
			return flowError(n, "%v", err)
		}
		return emitJSON(n, jf, lim, fn)
	})
}

func parseJSONArray(r io.Reader, lim Limits, fn func(Flow) error) error {
	lr := &lineCounter{r: r}
	dec := json.NewDecoder(lr)
	// errLine is the line of a decoding error: where the syntax error
	// is, else where the decoder stopped.
	errLine := func(err error) int {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return lr.line(max(se.Offset-1, 0))
		}
		return lr.line(dec.InputOffset())
	}
	if _, err := dec.Token(); err != nil {
		return flowError(errLine(err), "%v", err)
	}
	records := 0
	for dec.More() {
		var jf jsonFlow
		if err := dec.Decode(&jf); err != nil {
			return flowError(errLine(err), "%v", err)
		}
		// The line a record ends on; records are usually one line each.
		line := lr.line(max(dec.InputOffset()-1, 0))
		if records++; records > lim.MaxRecords {
			return flowError(line, "more than %d records", lim.MaxRecords)
		}
		if err := emitJSON(line, jf, lim, fn); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return flowError(errLine(err), "%v", err)
	}
	return nil
}

// lineCounter remembers where lines start, to turn decoder offsets into
// line numbers.
type lineCounter struct {
	r      io.Reader
	off    int64
	starts []int64
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			l.starts = append(l.starts, l.off+int64(i)+1)
		}
	}
	l.off += int64(n)
	return n, err
}

func (l *lineCounter) line(off int64) int {
	i, _ := slices.BinarySearch(l.starts, off+1)
	return i + 1
}

func emitJSON(line int, jf jsonFlow, lim Limits, fn func(Flow) error) error {
	f := Flow{Line: line}
	for _, side := range []struct {
		name string
		j    *jsonEndpoint
		e    *FlowEndpoint
	}{{"src", jf.Src, &f.Src}, {"dst", jf.Dst, &f.Dst}} {
		if side.j == nil {
			return flowError(line, "no %s", side.name)
		}
		side.e.Namespace, side.e.Labels, side.e.Name = side.j.Namespace, side.j.Labels, side.j.Name
		if side.j.IP != "" {
			ip, err := netip.ParseAddr(side.j.IP)
			if err != nil {
				return flowError(line, "%s.ip %q is not an IP address", side.name, side.j.IP)
			}
			side.e.IP = ip
		}
		if err := checkEndpoint(line, side.name, *side.e, lim); err != nil {
			return err
		}
	}
	var err error
	if f.Protocol, err = parseProtocol(line, jf.Protocol); err != nil {
		return err
	}
	if jf.Port < 1 || jf.Port > 65535 {
		return flowError(line, "port %d is not from 1 to 65535", jf.Port)
	}
	f.Port = int32(jf.Port)
	return fn(f)
}
