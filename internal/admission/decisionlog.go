package admission

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
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
// size, or to a stream. Record only queues a decision: one goroutine
// encodes and writes them, so that a slow disk or a full pipe never holds
// an admission request (a queue that is full drops the decision and counts
// it, see Dropped). Lines are flushed every second and on Close, so nothing
// queued is lost on a graceful shutdown.
//
// The writer takes what is queued every drainEvery, or at once when the
// queue is half full, rather than waking for each decision: waking it
// woke a second thread for each warning at 1,000 reviews a second, which
// on a small virtual machine cost more than writing the line.
type DecisionLog struct {
	queue chan Decision
	kick  chan struct{} // wakes the writer early; holds one wake-up
	every time.Duration // drainEvery, but in tests
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once

	// closing is held to read closed while queueing, and to set it, so
	// that a decision is either queued before the writer's last drain or
	// counted as dropped.
	closing sync.RWMutex
	closed  bool
	errs    atomic.Int64
	dropped atomic.Int64

	// Owned by the writer goroutine, then by Close.
	w        *bufio.Writer
	file     *os.File // nil when writing to a stream
	line     bytes.Buffer
	enc      *json.Encoder
	path     string
	size     int64
	maxBytes int64
	backups  int
}

// queueSize bounds the decisions waiting to be written: at 1,000 warnings
// a second it is eight seconds of a stalled disk.
const queueSize = 8192

// drainEvery is how often the writer takes the queued decisions: at 1,000
// decisions a second the queue holds 50 of the 8,192 it can.
const drainEvery = 50 * time.Millisecond

// OpenDecisionLog appends to path, rotating it to path.1 … path.N (N =
// backups) when it would grow past maxBytes; maxBytes <= 0 never rotates.
func OpenDecisionLog(path string, maxBytes int64, backups int) (*DecisionLog, error) {
	l := &DecisionLog{path: path, maxBytes: maxBytes, backups: max(backups, 1), every: drainEvery}
	if err := l.open(); err != nil {
		return nil, err
	}
	l.start()
	return l, nil
}

// NewStreamLog writes decisions to w (e.g. standard output), without rotation.
func NewStreamLog(w io.Writer) *DecisionLog { return newStreamLog(w, drainEvery) }

func newStreamLog(w io.Writer, every time.Duration) *DecisionLog {
	l := &DecisionLog{w: bufio.NewWriterSize(w, 64<<10), every: every}
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
	l.queue = make(chan Decision, queueSize)
	l.kick = make(chan struct{}, 1)
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	l.enc = json.NewEncoder(&l.line)
	go l.run()
}

// run writes queued decisions until Close, then what is still queued.
func (l *DecisionLog) run() {
	defer close(l.done)
	drain := time.NewTicker(l.every)
	defer drain.Stop()
	lastFlush := time.Now()
	for {
		select {
		case <-drain.C:
		case <-l.kick:
		case <-l.stop:
			l.drain()
			return
		}
		l.drain()
		if time.Since(lastFlush) >= time.Second {
			if err := l.w.Flush(); err != nil {
				l.errs.Add(1)
			}
			lastFlush = time.Now()
		}
	}
}

// drain writes the decisions queued now.
func (l *DecisionLog) drain() {
	for range len(l.queue) {
		l.write(<-l.queue)
	}
}

// Record queues one decision. It never blocks: when the queue is full the
// decision is dropped and counted. Write errors are counted (Errors), not
// returned: a full disk must not turn into denied requests.
func (l *DecisionLog) Record(d Decision) {
	l.closing.RLock()
	queued := false
	if !l.closed {
		select {
		case l.queue <- d:
			queued = true
		default:
		}
	}
	l.closing.RUnlock()
	if !queued {
		l.dropped.Add(1)
		return
	}
	if len(l.queue) >= queueSize/2 {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

func (l *DecisionLog) write(d Decision) {
	l.line.Reset()
	if err := l.enc.Encode(d); err != nil { // one line, newline included
		l.errs.Add(1)
		return
	}
	if l.file != nil && l.maxBytes > 0 && l.size > 0 && l.size+int64(l.line.Len()) > l.maxBytes {
		if err := l.rotate(); err != nil {
			l.errs.Add(1)
		}
	}
	n, err := l.w.Write(l.line.Bytes())
	l.size += int64(n)
	if err != nil {
		l.errs.Add(1)
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
func (l *DecisionLog) Errors() int { return int(l.errs.Load()) }

// Dropped returns how many decisions were dropped because the queue was
// full (the disk or the stream could not keep up) or the log was closed.
func (l *DecisionLog) Dropped() int { return int(l.dropped.Load()) }

// Close writes what is queued, flushes and closes the file. Records after
// Close are dropped.
func (l *DecisionLog) Close() error {
	first := false
	l.once.Do(func() {
		first = true
		l.closing.Lock()
		l.closed = true
		l.closing.Unlock()
		close(l.stop)
	})
	<-l.done
	if !first {
		return nil
	}
	err := l.w.Flush()
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
