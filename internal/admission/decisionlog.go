package admission

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// Decision is one line of the decision log: a denial, a warning, an audit
// record or an authorization alert.
type Decision struct {
	Time time.Time `json:"time"`
	// Kind is admission, exec or authorization.
	Kind string `json:"kind"`
	// Result is denied, warned, audited or alert.
	Result      string   `json:"result"`
	Mode        string   `json:"mode"`
	Rule        string   `json:"rule"`
	User        string   `json:"user"`
	Groups      []string `json:"groups,omitempty"`
	Verb        string   `json:"verb"`
	Resource    string   `json:"resource,omitempty"`
	Subresource string   `json:"subresource,omitempty"`
	Path        string   `json:"path,omitempty"`
	Namespace   string   `json:"namespace,omitempty"`
	Name        string   `json:"name,omitempty"`
	Message     string   `json:"message,omitempty"`
	// DryRun marks admission requests that changed nothing.
	DryRun bool `json:"dryRun,omitempty"`
}

// Recorder takes decisions; DecisionLog is the one that writes them.
type Recorder interface {
	Record(Decision)
}

// admissionDecision fills a decision from an admission request (which may
// be nil when a validator runs outside a review, as in tests).
func admissionDecision(req *admissionv1.AdmissionRequest, kind, result, mode, rule, message string) Decision {
	d := Decision{Time: time.Now().UTC(), Kind: kind, Result: result, Mode: mode, Rule: rule, Message: message}
	if req == nil {
		return d
	}
	d.User, d.Groups = req.UserInfo.Username, req.UserInfo.Groups
	d.Verb = strings.ToLower(string(req.Operation))
	d.Resource = req.Resource.Resource
	if req.Resource.Group != "" {
		d.Resource += "." + req.Resource.Group
	}
	d.Subresource, d.Namespace, d.Name = req.SubResource, req.Namespace, req.Name
	d.DryRun = req.DryRun != nil && *req.DryRun
	return d
}

// DecisionLog writes decisions as JSON lines to a file, rotating it by
// size, or to a stream. Lines are buffered and flushed every second and on
// Close, so nothing recorded is lost on a graceful shutdown.
type DecisionLog struct {
	mu       sync.Mutex
	w        *bufio.Writer
	file     *os.File // nil when writing to a stream
	stream   io.Writer
	path     string
	size     int64
	maxBytes int64
	backups  int
	errs     int
	stop     chan struct{}
	done     chan struct{}
}

// OpenDecisionLog appends to path, rotating it to path.1 … path.N (N =
// backups) when it would grow past maxBytes; maxBytes <= 0 never rotates.
func OpenDecisionLog(path string, maxBytes int64, backups int) (*DecisionLog, error) {
	l := &DecisionLog{path: path, maxBytes: maxBytes, backups: max(backups, 1)}
	if err := l.open(); err != nil {
		return nil, err
	}
	l.start()
	return l, nil
}

// NewStreamLog writes decisions to w (e.g. standard output), without rotation.
func NewStreamLog(w io.Writer) *DecisionLog {
	l := &DecisionLog{stream: w, w: bufio.NewWriter(w)}
	l.start()
	return l
}

func (l *DecisionLog) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening the decision log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("opening the decision log: %w", err)
	}
	l.file, l.size, l.w = f, st.Size(), bufio.NewWriterSize(f, 64<<10)
	return nil
}

func (l *DecisionLog) start() {
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.mu.Lock()
				if err := l.w.Flush(); err != nil {
					l.errs++
				}
				l.mu.Unlock()
			case <-l.stop:
				return
			}
		}
	}()
}

// Record writes one decision. Write errors are counted (Errors), not
// returned: a full disk must not turn into denied requests.
func (l *DecisionLog) Record(d Decision) {
	line, err := json.Marshal(d)
	if err != nil {
		return
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return // closed
	}
	if l.file != nil && l.maxBytes > 0 && l.size > 0 && l.size+int64(len(line)) > l.maxBytes {
		if err := l.rotate(); err != nil {
			l.errs++
		}
	}
	n, err := l.w.Write(line)
	l.size += int64(n)
	if err != nil {
		l.errs++
	}
}

// rotate shifts path.(i) to path.(i+1), dropping the oldest, moves the
// current file to path.1 and starts an empty one.
func (l *DecisionLog) rotate() error {
	if err := l.w.Flush(); err != nil {
		return err
	}
	if err := l.file.Close(); err != nil {
		return err
	}
	for i := l.backups - 1; i >= 1; i-- {
		_ = os.Rename(fmt.Sprintf("%s.%d", l.path, i), fmt.Sprintf("%s.%d", l.path, i+1))
	}
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		return err
	}
	return l.open()
}

// Errors returns how many writes failed.
func (l *DecisionLog) Errors() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errs
}

// Close flushes what is buffered and closes the file. Records after Close
// are dropped.
func (l *DecisionLog) Close() error {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return nil
	}
	err := l.w.Flush()
	l.w = nil
	if l.file != nil {
		if serr := l.file.Sync(); err == nil {
			err = serr
		}
		if cerr := l.file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("closing the decision log: %w", err)
	}
	return nil
}
