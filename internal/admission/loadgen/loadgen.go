// Package loadgen drives an HTTPS endpoint the way the API server drives an
// admission webhook, and measures the latency it sees: requests are sent
// open loop on a fixed schedule over long-lived connections, and each latency counts from when the request was due, not from when it
// was sent, so that a stall of the server or of the generator delays every
// request it holds up and shows in the tail (no coordinated omission).
//
// By default requests go as the API server sends them to a webhook: over
// keep-alive HTTP/1.1 (k8s.io/apiserver's webhook client sets NextProtos to
// http/1.1 for every webhook not on localhost, kubernetes/kubernetes#75791),
// opening a connection whenever all are busy and keeping up to 25 idle ones
// (client-go's transport). HTTP/2 over a fixed number of connections is an
// option.
//
// Load-testing tools that do this exist (wrk2, vegeta), but none is a Go
// module we already depend on, and a benchmark has to start the server as
// a child process and judge its answers; the generator is small.
package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options says what to send, how fast and over what.
type Options struct {
	URL  string
	Body []byte
	// Rate is requests per second.
	Rate int
	// Warmup is sent at Rate before the measurement and not counted: it
	// opens the connections and lets the server's caches and heap settle.
	Warmup time.Duration
	// Duration is how long the measured schedule lasts.
	Duration time.Duration
	// Conns is, with HTTP/1.1, the number of idle connections kept alive
	// (default 25, as client-go's transport); more are opened while more
	// requests are in flight. With HTTP/2 it is the number of connections
	// (default 1), each carrying many requests at once.
	Conns int
	// HTTP2 sends over HTTP/2 instead of keep-alive HTTP/1.1.
	HTTP2 bool
	TLS   *tls.Config
	// Timeout bounds one request (default 10 s, the admission timeout
	// Rampart's manifests set for exec control).
	Timeout time.Duration
	// Check judges an answer; nil accepts any 200.
	Check func(body []byte) error
}

// Result is what one run measured.
type Result struct {
	// Latencies of the measured requests that succeeded, sorted, each from
	// when the request was due to when its answer was read.
	Latencies []time.Duration
	// Lag is how late the generator sent each measured request after it was
	// due, sorted: when it is large, the generator (or the machine) and not
	// the server made the tail.
	Lag []time.Duration
	// Errors counts measured requests that failed; Err is the first.
	Errors int
	Err    error
	// Dials counts connections opened during the measurement (each a TLS
	// handshake); a steady state opens none.
	Dials int64
	// Elapsed is the wall time of the measured schedule and its stragglers.
	Elapsed time.Duration
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of sorted durations by the
// nearest-rank method, or 0 when there are none.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// String is a one-line summary in milliseconds.
func (r *Result) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }
	l := r.Latencies
	return fmt.Sprintf("requests=%d errors=%d p50=%sms p90=%sms p99=%sms p99.9=%sms max=%sms lag-p99=%sms dials=%d",
		len(l), r.Errors, ms(Quantile(l, 0.5)), ms(Quantile(l, 0.9)), ms(Quantile(l, 0.99)), ms(Quantile(l, 0.999)),
		ms(Quantile(l, 1)), ms(Quantile(r.Lag, 0.99)), r.Dials)
}

// Run sends the warm-up and then the measured schedule, and waits for every
// answer. It fails only when the options are unusable or ctx ends; failed
// requests are counted in the result.
func Run(ctx context.Context, o Options) (*Result, error) {
	g, err := New(o)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	if o.Warmup > 0 {
		if _, err := g.Run(ctx, o.Warmup); err != nil {
			return nil, err
		}
	}
	return g.Run(ctx, o.Duration)
}

// Generator keeps its connections across runs, so that a benchmark may
// measure second by second after one warm-up.
type Generator struct {
	o        Options
	c        *clients
	interval time.Duration
}

// New returns a generator; it connects on the first request.
func New(o Options) (*Generator, error) {
	if o.Rate <= 0 || o.Duration <= 0 {
		return nil, errors.New("loadgen: rate and duration must be positive")
	}
	if o.Conns <= 0 {
		o.Conns = 25
		if o.HTTP2 {
			o.Conns = 1
		}
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	return &Generator{o: o, c: newClients(o), interval: time.Second / time.Duration(o.Rate)}, nil
}

// Run sends Rate requests per second for d and waits for their answers.
func (g *Generator) Run(ctx context.Context, d time.Duration) (*Result, error) {
	g.c.dials.Store(0)
	start := time.Now()
	res, err := g.c.schedule(ctx, g.o, g.interval, int(d/g.interval))
	if err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(start)
	res.Dials = g.c.dials.Load()
	return res, nil
}

// Close closes the idle connections.
func (g *Generator) Close() { g.c.close() }

// Add merges other into r.
func (r *Result) Add(other *Result) {
	r.Latencies = mergeSorted(r.Latencies, other.Latencies)
	r.Lag = mergeSorted(r.Lag, other.Lag)
	r.Errors += other.Errors
	if r.Err == nil {
		r.Err = other.Err
	}
	r.Dials += other.Dials
	r.Elapsed += other.Elapsed
}

func mergeSorted(a, b []time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(a)+len(b))
	out = append(append(out, a...), b...)
	slices.Sort(out)
	return out
}

// clients are the transports requests are spread over.
type clients struct {
	http  []*http.Client
	dials atomic.Int64
	next  atomic.Uint64
}

func newClients(o Options) *clients {
	c := &clients{}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tlsConfig := o.TLS.Clone()
	if tlsConfig != nil {
		// The transport offers the protocols it was told to use.
		tlsConfig.NextProtos = nil
	}
	newTransport := func() *http.Transport {
		t := &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c.dials.Add(1)
				return dialer.DialContext(ctx, network, addr)
			},
			TLSClientConfig:     tlsConfig.Clone(),
			TLSHandshakeTimeout: 5 * time.Second,
			IdleConnTimeout:     90 * time.Second,
			Protocols:           new(http.Protocols),
		}
		if !o.HTTP2 {
			t.Protocols.SetHTTP1(true)
			t.MaxIdleConnsPerHost = o.Conns
		} else {
			// One connection per transport, so that Conns transports hold
			// Conns connections, each multiplexing its share of requests.
			t.Protocols.SetHTTP2(true)
			t.MaxConnsPerHost = 1
		}
		return t
	}
	n := 1
	if o.HTTP2 {
		n = o.Conns
	}
	for range n {
		c.http = append(c.http, &http.Client{Transport: newTransport(), Timeout: o.Timeout})
	}
	return c
}

func (c *clients) close() {
	for _, h := range c.http {
		h.CloseIdleConnections()
	}
}

// schedule sends n requests, the i-th due at start + i·interval, each on a
// goroutine of its own so that a slow answer never delays the next send.
func (c *clients) schedule(ctx context.Context, o Options, interval time.Duration, n int) (*Result, error) {
	lat := make([]time.Duration, n)
	lag := make([]time.Duration, n)
	failed := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return nil, ctx.Err()
			case <-time.After(wait):
			}
		}
		client := c.http[c.next.Add(1)%uint64(len(c.http))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			lag[i] = time.Since(due)
			failed[i] = send(ctx, client, o)
			lat[i] = time.Since(due)
		}()
	}
	wg.Wait()
	res := &Result{}
	for i := range n {
		if failed[i] != nil {
			res.Errors++
			if res.Err == nil {
				res.Err = failed[i]
			}
			continue
		}
		res.Latencies = append(res.Latencies, lat[i])
		res.Lag = append(res.Lag, lag[i])
	}
	slices.Sort(res.Latencies)
	slices.Sort(res.Lag)
	return res, nil
}

func send(ctx context.Context, client *http.Client, o Options) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.URL, bytes.NewReader(o.Body))
	if err != nil {
		return fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	if o.Check != nil {
		return o.Check(body)
	}
	return nil
}
