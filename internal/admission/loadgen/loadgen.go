// Package loadgen drives an HTTPS endpoint the way the API server drives an
// admission webhook, and measures the latency it sees: requests are due on
// a fixed schedule over long-lived connections, and each latency counts
// from when the request was due, not from when it was sent, so that a
// stall of the server or of the generator delays every request it holds
// up and shows in the tail (no coordinated omission). Each latency is also
// counted as the API server counts a webhook's, from when the request was
// sent, except that a request that waited for a free connection counts
// from when the pacer handed it out (Result.Sent): that leaves out the
// generator's own lateness but not the server's.
//
// A pacer hands each request, when it is due, to a fixed pool of workers
// (one per HTTP/1.1 connection, Streams per HTTP/2 one), and the first free
// worker sends it, so the
// schedule does not wait for answers (open loop) while any worker is
// free. When every worker waits on an answer, the next request is sent
// when one is free, and that wait counts in its latency and its lag.
// Workers cost less CPU than a goroutine per request, which grew a fresh
// stack and armed a fresh timer for every request; the pacer waits on a
// timerfd on Linux, where Go's own timers wake up to a millisecond late.
//
// By default requests go as the API server sends them to a webhook: over
// keep-alive HTTP/1.1 (k8s.io/apiserver's webhook client sets NextProtos to
// http/1.1 for every webhook not on localhost, kubernetes/kubernetes#75791),
// here over 25 connections, as many as client-go's transport keeps idle.
// The API server opens more while all are busy, which under load makes a
// TLS handshake on both sides for a few requests in a hundred; the
// generator does not, so that what it measures is the webhook's answers.
// HTTP/2 over a fixed number of connections is an option.
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
	"net"
	"net/http"
	"net/url"
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
	// Conns is the number of connections: with HTTP/1.1 (default 25, the
	// idle connections client-go's transport keeps) each carries one
	// request at a time; with HTTP/2 (default 1) each carries Streams.
	Conns int
	// Streams is, with HTTP/2, the requests each connection carries at
	// once (default 25).
	Streams int
	// HTTP2 sends over HTTP/2 instead of keep-alive HTTP/1.1.
	HTTP2 bool
	TLS   *tls.Config
	// Timeout bounds one request (default 10 s, the admission timeout
	// Rampart's manifests set for exec control).
	Timeout time.Duration
	// Check judges an answer; nil accepts any 200. body is valid only
	// during the call.
	Check func(body []byte) error
}

// Result is what one run measured.
type Result struct {
	// Latencies of the measured requests that succeeded, sorted, each from
	// when the request was due to when its answer was read.
	Latencies []time.Duration
	// Lag is how late the generator sent each measured request after it was
	// due, sorted: when it is large, the machine was busy or every
	// connection was waiting on an answer, and the tail is partly the
	// generator's.
	Lag []time.Duration
	// Sent are the latencies of the same requests counted as the API
	// server counts a webhook's (apiserver_admission_webhook_admission_duration_seconds)
	// and as load tools that time each request do: from when the request
	// was sent, so without the generator's own lateness; a request that
	// had to wait for a free connection counts from when the pacer handed
	// it out, so that a slow server's answers still hold up what waits
	// behind them. Sorted.
	Sent []time.Duration
	// Queued counts the measured requests that waited for a free
	// connection.
	Queued int
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
	return fmt.Sprintf("requests=%d errors=%d p50=%sms p90=%sms p99=%sms p99.9=%sms max=%sms lag-p99=%sms sent-p99=%sms queued=%d dials=%d",
		len(l), r.Errors, ms(Quantile(l, 0.5)), ms(Quantile(l, 0.9)), ms(Quantile(l, 0.99)), ms(Quantile(l, 0.999)),
		ms(Quantile(l, 1)), ms(Quantile(r.Lag, 0.99)), ms(Quantile(r.Sent, 0.99)), r.Queued, r.Dials)
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
	switch {
	case !o.HTTP2:
		o.Streams = 1 // an HTTP/1.1 connection carries one request at a time
	case o.Streams <= 0:
		o.Streams = 25
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("loadgen: URL %q is not an https URL", o.URL)
	}
	c, err := newClients(o, u)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	return &Generator{o: o, c: c, interval: time.Second / time.Duration(o.Rate)}, nil
}

// Run sends Rate requests per second for d and waits for their answers.
func (g *Generator) Run(ctx context.Context, d time.Duration) (*Result, error) {
	g.c.dials.Store(0)
	start := time.Now()
	res, err := schedule(ctx, g.c.senders(g.o), g.o, start, g.interval, int(d/g.interval))
	if err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(start)
	res.Dials = g.c.dials.Load()
	return res, nil
}

// Close closes the connections.
func (g *Generator) Close() { g.c.close() }

// Add merges other into r.
func (r *Result) Add(other *Result) {
	r.Latencies = mergeSorted(r.Latencies, other.Latencies)
	r.Lag = mergeSorted(r.Lag, other.Lag)
	r.Sent = mergeSorted(r.Sent, other.Sent)
	r.Queued += other.Queued
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

// clients are the connections requests are spread over.
type clients struct {
	// h1 are the HTTP/1.1 connections, each with one worker.
	h1 []*h1Conn
	// h2 are the HTTP/2 connections, each a transport of its own that
	// holds at most one connection, with streams workers.
	h2      []*http.Client
	streams int
	dials   atomic.Int64
}

func newClients(o Options, u *url.URL) (*clients, error) {
	c := &clients{streams: o.Streams}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tlsConfig := o.TLS.Clone()
	if tlsConfig == nil {
		tlsConfig = &tls.Config{}
	}
	if !o.HTTP2 {
		tlsConfig.NextProtos = []string{"http/1.1"}
		addr := u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), "443")
		}
		req, err := newH1Request(&o)
		if err != nil {
			return nil, err
		}
		for range o.Conns {
			c.h1 = append(c.h1, &h1Conn{o: &o, req: req, addr: addr, dials: &c.dials, dialer: &tls.Dialer{NetDialer: dialer, Config: tlsConfig}})
		}
		return c, nil
	}
	// The transport offers the protocols it was told to use.
	tlsConfig.NextProtos = nil
	for range o.Conns {
		t := &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c.dials.Add(1)
				return dialer.DialContext(ctx, network, addr)
			},
			TLSClientConfig:     tlsConfig.Clone(),
			TLSHandshakeTimeout: 5 * time.Second,
			IdleConnTimeout:     90 * time.Second,
			MaxConnsPerHost:     1,
			Protocols:           new(http.Protocols),
		}
		t.Protocols.SetHTTP2(true)
		c.h2 = append(c.h2, &http.Client{Transport: t, Timeout: o.Timeout})
	}
	return c, nil
}

// sender sends one request and reads its answer into answer.
type sender func(ctx context.Context, answer *bytes.Buffer) error

// senders are the workers' senders: one per HTTP/1.1 connection, streams
// per HTTP/2 connection.
func (c *clients) senders(o Options) []sender {
	var out []sender
	for _, h := range c.h1 {
		out = append(out, h.send)
	}
	for _, client := range c.h2 {
		for range c.streams {
			out = append(out, func(ctx context.Context, answer *bytes.Buffer) error { return send(ctx, client, o, answer) })
		}
	}
	return out
}

func (c *clients) close() {
	for _, h := range c.h1 {
		h.close()
	}
	for _, h := range c.h2 {
		h.CloseIdleConnections()
	}
}

// run is one schedule: n requests, the i-th due at start + i·interval.
type run struct {
	o        Options
	start    time.Time
	interval time.Duration
	n        int
	// due carries each request's index when it is due, from the pacer to
	// the first free worker; it holds all n, so the pacer never waits on
	// a worker.
	due chan int
	// free counts the workers with no request handed to them; the pacer
	// takes one for each request and a worker gives it back when its
	// answer is read, so a request handed out when it falls below zero
	// waits for a connection (queued). handed is how late after its due
	// time the pacer handed each request out.
	free     atomic.Int64
	queued   []bool
	handed   []time.Duration
	stopped  atomic.Bool // ctx ended before every request was sent
	lat, lag []time.Duration
	failed   []error
}

// schedule sends n requests, the i-th due at start + i·interval, from one
// worker per sender.
func schedule(ctx context.Context, senders []sender, o Options, start time.Time, interval time.Duration, n int) (*Result, error) {
	p, err := newPacer()
	if err != nil {
		return nil, err
	}
	defer p.close()
	r := &run{o: o, start: start, interval: interval, n: n, due: make(chan int, n),
		lat: make([]time.Duration, n), lag: make([]time.Duration, n), failed: make([]error, n),
		queued: make([]bool, n), handed: make([]time.Duration, n)}
	var wg sync.WaitGroup
	r.free.Store(int64(len(senders)))
	for _, send := range senders {
		wg.Go(func() { r.work(ctx, send) })
	}
	var paceErr error
	wg.Go(func() { paceErr = r.pace(ctx, p) })
	wg.Wait()
	if paceErr != nil {
		return nil, paceErr
	}
	if r.stopped.Load() {
		return nil, ctx.Err()
	}
	res := &Result{}
	for i := range n {
		if r.failed[i] != nil {
			res.Errors++
			if res.Err == nil {
				res.Err = r.failed[i]
			}
			continue
		}
		res.Latencies = append(res.Latencies, r.lat[i])
		res.Lag = append(res.Lag, r.lag[i])
		if r.queued[i] {
			res.Queued++
			res.Sent = append(res.Sent, r.lat[i]-r.handed[i])
		} else {
			res.Sent = append(res.Sent, r.lat[i]-r.lag[i])
		}
	}
	slices.Sort(res.Latencies)
	slices.Sort(res.Lag)
	slices.Sort(res.Sent)
	return res, nil
}

// pace hands each request to the workers when it is due, and stops them
// when every request has been handed out or ctx ends.
func (r *run) pace(ctx context.Context, p *pacer) error {
	defer close(r.due)
	for i := range r.n {
		due := r.start.Add(time.Duration(i) * r.interval)
		if err := p.wait(ctx, due); err != nil {
			r.stopped.Store(true)
			if ctx.Err() != nil {
				return nil // reported as ctx's error
			}
			return err
		}
		r.queued[i] = r.free.Add(-1) < 0
		r.handed[i] = time.Since(due)
		r.due <- i
	}
	return nil
}

// work sends each request it takes from the pacer, until the pacer has
// handed out all or ctx ends.
func (r *run) work(ctx context.Context, send sender) {
	var answer bytes.Buffer
	for i := range r.due {
		if ctx.Err() != nil {
			r.stopped.Store(true)
			return
		}
		due := r.start.Add(time.Duration(i) * r.interval)
		r.lag[i] = time.Since(due)
		r.failed[i] = send(ctx, &answer)
		r.lat[i] = time.Since(due)
		r.free.Add(1)
	}
}

// send posts the body over HTTP/2 and reads the answer into answer,
// reused from one request to the next.
func send(ctx context.Context, client *http.Client, o Options, answer *bytes.Buffer) error {
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
	if err := readAnswer(resp, answer); err != nil {
		return err
	}
	return judge(resp.StatusCode, answer.Bytes(), o)
}

// readAnswer reads the body of resp into answer and closes it.
func readAnswer(resp *http.Response, answer *bytes.Buffer) error {
	defer resp.Body.Close()
	answer.Reset()
	if _, err := answer.ReadFrom(resp.Body); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	return nil
}

// judge fails an answer that is not a 200 or that Check refuses.
func judge(status int, body []byte, o Options) error {
	if status != http.StatusOK {
		return fmt.Errorf("status %d: %s", status, bytes.TrimSpace(body))
	}
	if o.Check != nil {
		return o.Check(body)
	}
	return nil
}
