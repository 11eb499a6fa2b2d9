package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, ms(i))
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.99, 0},
		{"one", []time.Duration{ms(7)}, 0.5, ms(7)},
		{"median of 100 is the 50th", hundred, 0.5, ms(50)},
		{"p99 of 100 is the 99th", hundred, 0.99, ms(99)},
		{"p99.9 of 100 is the largest", hundred, 0.999, ms(100)},
		{"max", hundred, 1, ms(100)},
		{"min", hundred, 0, ms(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quantile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

// tlsServer serves h over TLS with HTTP/2 enabled and counts the
// connections it accepts and the protocol of every request.
type tlsServer struct {
	*httptest.Server
	conns  atomic.Int64
	protos sync.Map // "HTTP/2.0" → true
}

func newTLSServer(t *testing.T, h http.HandlerFunc) *tlsServer {
	t.Helper()
	s := &tlsServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.protos.Store(r.Proto, true)
		h(w, r)
	}))
	s.EnableHTTP2 = true
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *tlsServer) clientTLS() *tls.Config {
	return s.Client().Transport.(*http.Transport).TLSClientConfig
}

// runAll runs o and fails t unless every one of the want measured
// requests was answered.
func runAll(t *testing.T, o Options, want int) *Result {
	t.Helper()
	res, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || len(res.Latencies) != want {
		t.Fatalf("got %d answers and %d errors (%v), want %d and none", len(res.Latencies), res.Errors, res.Err, want)
	}
	return res
}

func ok(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"ok":true}`)) }

func TestRunHTTP2OverFewConnections(t *testing.T) {
	s := newTLSServer(t, ok)
	res := runAll(t, Options{URL: s.URL, Body: []byte("{}"), Rate: 200, Warmup: 200 * time.Millisecond,
		Duration: 500 * time.Millisecond, Conns: 2, HTTP2: true, TLS: s.clientTLS()}, 100)
	if _, ok := s.protos.Load("HTTP/2.0"); !ok {
		t.Error("no request came over HTTP/2")
	}
	if _, ok := s.protos.Load("HTTP/1.1"); ok {
		t.Error("a request came over HTTP/1.1")
	}
	if got := s.conns.Load(); got != 2 {
		t.Errorf("server accepted %d connections, want 2", got)
	}
	if res.Dials != 0 {
		t.Errorf("%d connections opened during the measurement, want none after the warm-up", res.Dials)
	}
}

func TestRunHTTP1KeepAlive(t *testing.T) {
	s := newTLSServer(t, ok)
	runAll(t, Options{URL: s.URL, Body: []byte("{}"), Rate: 100, Warmup: 200 * time.Millisecond,
		Duration: 300 * time.Millisecond, Conns: 2, TLS: s.clientTLS()}, 30)
	if _, ok := s.protos.Load("HTTP/1.1"); !ok {
		t.Error("no request came over HTTP/1.1")
	}
	if _, ok := s.protos.Load("HTTP/2.0"); ok {
		t.Error("a request came over HTTP/2")
	}
	// Each of the two workers keeps its connection alive for all its
	// requests, warm-up included.
	if got := s.conns.Load(); got != 2 {
		t.Errorf("server accepted %d connections for 50 requests on 2 workers, want 2 kept alive", got)
	}
}

// A server that stalls holds up every request due during the stall: an
// open-loop generator charges each of them the time it waited, where a
// closed loop would have sent them late and seen one slow request.
func TestRunCountsStallsFromTheSchedule(t *testing.T) {
	var (
		mu sync.Mutex
		n  atomic.Int64
	)
	s := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if n.Add(1) == 50 {
			time.Sleep(200 * time.Millisecond)
		}
		ok(w, r)
	})
	// Over one HTTP/2 connection, so that the requests held up do not open
	// connections of their own, whose handshakes would add to the stall.
	res, err := Run(t.Context(), Options{URL: s.URL, Body: []byte("{}"), Rate: 200, Duration: time.Second, HTTP2: true, TLS: s.clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 {
		t.Fatal(res.Err)
	}
	// About 40 of 200 requests fall in the stall, waiting 200 ms down to 0:
	// the slowest 10% waited more than about 100 ms.
	if p90, p50 := Quantile(res.Latencies, 0.9), Quantile(res.Latencies, 0.5); p90 < 80*time.Millisecond || p50 > 50*time.Millisecond {
		t.Errorf("p50 %v, p90 %v: want the stall in the tail (p90 ≥ 80 ms) and not in the median", p50, p90)
	}
	if max := Quantile(res.Latencies, 1); max < 190*time.Millisecond {
		t.Errorf("max %v, want the whole stall", max)
	}
}

func TestRunCountsFailures(t *testing.T) {
	s := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad content type", http.StatusUnsupportedMediaType)
			return
		}
		_, _ = w.Write([]byte("nope"))
	})
	errNope := errors.New("answer says nope")
	res, err := Run(t.Context(), Options{URL: s.URL, Body: []byte("{}"), Rate: 100, Duration: 100 * time.Millisecond, TLS: s.clientTLS(),
		Check: func(body []byte) error {
			if string(body) == "nope" {
				return errNope
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 10 || !errors.Is(res.Err, errNope) || len(res.Latencies) != 0 {
		t.Errorf("errors %d (%v), %d answers: want every answer judged failed by Check", res.Errors, res.Err, len(res.Latencies))
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	if _, err := Run(context.Background(), Options{URL: "https://127.0.0.1:1", Rate: 0, Duration: time.Second}); err == nil {
		t.Error("rate 0 accepted")
	}
	if _, err := Run(context.Background(), Options{URL: "https://127.0.0.1:1", Rate: 10}); err == nil {
		t.Error("duration 0 accepted")
	}
	if _, err := Run(context.Background(), Options{URL: "http://127.0.0.1:1", Rate: 10, Duration: time.Second}); err == nil {
		t.Error("plain http accepted")
	}
}

func TestRunStopsWithContext(t *testing.T) {
	s := newTLSServer(t, ok)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, Options{URL: s.URL, Body: []byte("{}"), Rate: 10, Duration: time.Minute, TLS: s.clientTLS()})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want the context's", err)
	}
}

// A benchmark adds up its one-second runs; the merged result is sorted, so
// that its quantiles are those of all requests.
func TestResultAdd(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	errFirst := errors.New("first")
	total := &Result{}
	total.Add(&Result{Latencies: ms(1, 5, 9), Lag: ms(0, 1, 2), Errors: 1, Err: errFirst, Dials: 2, Elapsed: time.Second})
	total.Add(&Result{Latencies: ms(2, 3, 40), Lag: ms(0, 0, 7), Errors: 2, Err: errors.New("second"), Elapsed: time.Second})
	if want := ms(1, 2, 3, 5, 9, 40); !slices.Equal(total.Latencies, want) {
		t.Errorf("latencies %v, want %v", total.Latencies, want)
	}
	if got := Quantile(total.Latencies, 0.5); got != 3*time.Millisecond {
		t.Errorf("median %v, want 3ms", got)
	}
	if total.Errors != 3 || total.Err != errFirst || total.Dials != 2 || total.Elapsed != 2*time.Second || Quantile(total.Lag, 1) != 7*time.Millisecond {
		t.Errorf("merged %+v", total)
	}
}

// inFlight counts the requests a handler is serving at once.
type inFlight struct {
	now, most atomic.Int64
}

func (f *inFlight) serve(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := f.now.Add(1)
		defer f.now.Add(-1)
		for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
		}
		h(w, r)
	}
}

func slow(d time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		ok(w, r)
	}
}

// Answers slower than the schedule do not hold it up: requests are sent
// when due, on other connections, while earlier ones wait.
func TestRunSendsWhileAnswersWait(t *testing.T) {
	var f inFlight
	s := newTLSServer(t, f.serve(slow(30*time.Millisecond)))
	res := runAll(t, Options{URL: s.URL, Body: []byte("{}"), Rate: 200, Warmup: 200 * time.Millisecond,
		Duration: 500 * time.Millisecond, Conns: 25, TLS: s.clientTLS()}, 100)
	// 30 ms answers every 5 ms: six at once, on six connections.
	if most := f.most.Load(); most < 3 {
		t.Errorf("at most %d requests in flight, want the schedule kept while answers wait", most)
	}
	if p50 := Quantile(res.Lag, 0.5); p50 > 10*time.Millisecond {
		t.Errorf("median lag %v: requests waited for answers to others", p50)
	}
}

// The generator holds Conns connections and no more: when every one waits
// on an answer, the next request waits for one, and the wait counts in
// its latency and lag.
func TestRunHoldsItsConnections(t *testing.T) {
	var f inFlight
	s := newTLSServer(t, f.serve(slow(20*time.Millisecond)))
	// Three connections answer 150 requests a second; 200 are due.
	res := runAll(t, Options{URL: s.URL, Body: []byte("{}"), Rate: 200, Warmup: 100 * time.Millisecond,
		Duration: 500 * time.Millisecond, Conns: 3, TLS: s.clientTLS()}, 100)
	if got := s.conns.Load(); got != 3 {
		t.Errorf("server accepted %d connections, want 3", got)
	}
	if most := f.most.Load(); most > 3 {
		t.Errorf("%d requests in flight at once over 3 connections", most)
	}
	if res.Dials != 0 {
		t.Errorf("%d connections opened during the measurement, want none after the warm-up", res.Dials)
	}
	// The queue grows by 50 requests a second: the last waited about
	// 100 ms beyond their 20 ms answer.
	if max, lag := Quantile(res.Latencies, 1), Quantile(res.Lag, 1); max < 80*time.Millisecond || lag < 50*time.Millisecond {
		t.Errorf("max latency %v, max lag %v: want the wait for a connection counted", max, lag)
	}
}

// A connection the server closes after an answer is opened again for the
// next request, and no request fails for it.
func TestRunReconnectsWhenTheServerCloses(t *testing.T) {
	var n atomic.Int64
	s := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%3 == 0 {
			w.Header().Set("Connection", "close")
		}
		ok(w, r)
	})
	res := runAll(t, Options{URL: s.URL, Body: []byte("{}"), Rate: 100, Duration: 300 * time.Millisecond, Conns: 1, TLS: s.clientTLS()}, 30)
	// One connection at first and one after each of the 10 closes but the last.
	if res.Dials != 10 || s.conns.Load() != 10 {
		t.Errorf("%d dials, %d connections accepted, want 10", res.Dials, s.conns.Load())
	}
}

// wireConn is a connection, as a TLS one (it has no ReadFrom), that
// records each write and answers with a 200 once size bytes have come (or
// after a second, when fewer come).
type wireConn struct {
	net.Conn // nil: only the methods below are called
	mu       sync.Mutex
	writes   [][]byte
	written  int
	size     int
	answered chan struct{}
	once     sync.Once
	answer   *strings.Reader
}

func newWireConn(size int) *wireConn {
	return &wireConn{size: size, answered: make(chan struct{}), answer: strings.NewReader("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")}
}

func (c *wireConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, slices.Clone(p))
	if c.written += len(p); c.written >= c.size {
		c.once.Do(func() { close(c.answered) })
	}
	return len(p), nil
}

func (c *wireConn) Read(p []byte) (int, error) {
	select {
	case <-c.answered:
	case <-time.After(time.Second):
	}
	return c.answer.Read(p)
}

func (c *wireConn) recorded() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.writes)
}

func (c *wireConn) sizes() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int
	for _, w := range c.writes {
		out = append(out, len(w))
	}
	return out
}

func (c *wireConn) SetDeadline(time.Time) error      { return nil }
func (c *wireConn) SetReadDeadline(time.Time) error  { return nil }
func (c *wireConn) SetWriteDeadline(time.Time) error { return nil }
func (c *wireConn) Close() error                     { return nil }
func (c *wireConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *wireConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }

// sentRequest is what a server reads of a request.
type sentRequest struct {
	Method, URL string
	Header      http.Header
	Body        []byte
}

func readRequest(t *testing.T, writes [][]byte) sentRequest {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(bytes.Join(writes, nil))))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sentRequest{Method: req.Method, URL: req.Host + req.RequestURI, Header: req.Header, Body: body}
}

// The generator sends what http.Transport sends over TLS, in the same
// writes: a small request in one, a large one as the transport's first
// 4 KiB buffer and then the rest in 32 KiB chunks.
func TestH1WritesAsTheTransport(t *testing.T) {
	for _, size := range []int{2, 10 << 10, 100 << 10} {
		o := Options{URL: "https://webhook.example:8443/validate", Body: bytes.Repeat([]byte("x"), size), Timeout: time.Second}
		req, err := newH1Request(&o)
		if err != nil {
			t.Fatal(err)
		}
		// The transport, over a connection it takes for TLS.
		transportConn := newWireConn(len(req.wire))
		client := &http.Client{Transport: &http.Transport{DialTLSContext: func(context.Context, string, string) (net.Conn, error) {
			return transportConn, nil
		}}}
		treq, _ := http.NewRequest(http.MethodPost, o.URL, bytes.NewReader(o.Body))
		treq.Header.Set("Content-Type", "application/json")
		treq.Header.Set("Accept", "application/json")
		resp, err := client.Do(treq)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()

		conn := newWireConn(len(req.wire))
		c := &h1Conn{o: &o, req: req, conn: conn, r: bufio.NewReader(conn)}
		if err := c.send(context.Background(), &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		// The same request (the header's order may differ)...
		got, want := readRequest(t, conn.recorded()), readRequest(t, transportConn.recorded())
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d-byte body: sent\n%+v\nthe transport sends\n%+v", size, got, want)
		}
		// ...in the same writes.
		if got, want := conn.sizes(), transportConn.sizes(); !slices.Equal(got, want) {
			t.Errorf("%d-byte body: writes of %v bytes, the transport's %v", size, got, want)
		}
	}
}

// sleeper is a sender whose answer takes d.
func sleeper(d time.Duration) sender {
	return func(context.Context, *bytes.Buffer) error {
		time.Sleep(d)
		return nil
	}
}

// A request sent late while a connection was free counts from when it was
// due in Latencies and from when it was sent in Sent: the lateness is the
// generator's, not the server's.
func TestSentLeavesOutTheGeneratorsLateness(t *testing.T) {
	senders := []sender{}
	for range 10 {
		senders = append(senders, sleeper(time.Millisecond))
	}
	// All ten were due 500 ms before the generator handed them out.
	res, err := schedule(t.Context(), senders, Options{}, time.Now().Add(-500*time.Millisecond), time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sent) != 10 || len(res.Latencies) != 10 || res.Queued != 0 {
		t.Fatalf("%d sent, %d latencies, %d queued; want 10, 10 and none queued", len(res.Sent), len(res.Latencies), res.Queued)
	}
	if least := Quantile(res.Latencies, 0); least < 490*time.Millisecond {
		t.Errorf("least latency %v, want the 491 ms or more since each was due", least)
	}
	if most := Quantile(res.Sent, 1); most < time.Millisecond || most > 250*time.Millisecond {
		t.Errorf("largest latency from sending %v, want the 1 ms answer and not the lateness", most)
	}
}

// When the generator is so late that it hands out more requests at once
// than there are free connections, those that wait for one count from
// when they were handed out: the wait is the server's, the lateness
// before it the generator's.
func TestSentLeavesOutTheLatenessOfABurst(t *testing.T) {
	five := sleeper(5 * time.Millisecond)
	res, err := schedule(t.Context(), []sender{five, five}, Options{}, time.Now().Add(-500*time.Millisecond), time.Millisecond, 6)
	if err != nil {
		t.Fatal(err)
	}
	if res.Queued != 4 {
		t.Errorf("%d queued, want the 4 beyond the 2 connections", res.Queued)
	}
	// The last two waited for two answers each: 15 ms from being handed out.
	if most := Quantile(res.Sent, 1); most < 10*time.Millisecond || most > 250*time.Millisecond {
		t.Errorf("largest latency from sending %v, want the wait for a connection (about 15 ms) and not the lateness", most)
	}
}

// A request that waited for a free connection counts that wait in Sent:
// the server's slow answers held it up.
func TestSentCountsTheWaitForAConnection(t *testing.T) {
	// One connection answers in 20 ms; ten requests are due 5 ms apart,
	// so request k is answered about 15k + 20 ms after it was due.
	res, err := schedule(t.Context(), []sender{sleeper(20 * time.Millisecond)}, Options{}, time.Now(), 5*time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	if res.Queued != 9 {
		t.Errorf("%d queued, want the 9 after the first", res.Queued)
	}
	if least := Quantile(res.Sent, 0); least < 20*time.Millisecond {
		t.Errorf("least latency from sending %v, want at least the 20 ms answer", least)
	}
	if second := Quantile(res.Sent, 0.2); second < 30*time.Millisecond {
		t.Errorf("second least latency from sending %v, want the 15 ms wait for the connection counted (about 35 ms)", second)
	}
	if most := Quantile(res.Sent, 1); most < 100*time.Millisecond {
		t.Errorf("largest latency from sending %v, want the wait for the connection counted (about 155 ms)", most)
	}
}

// A connection counts as free again once its answer is read: requests
// due after that do not wait.
func TestSentFreesTheConnection(t *testing.T) {
	res, err := schedule(t.Context(), []sender{sleeper(time.Millisecond)}, Options{}, time.Now(), 20*time.Millisecond, 5)
	if err != nil {
		t.Fatal(err)
	}
	if res.Queued != 0 {
		t.Errorf("%d queued, want none: each 1 ms answer was read 19 ms before the next request was due", res.Queued)
	}
}
