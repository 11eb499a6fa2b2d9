package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// h1Conn is a keep-alive HTTP/1.1 connection that its worker writes
// requests to and reads answers from itself. Through http.Transport every
// request passed from the caller's goroutine to the connection's writer
// and from its reader back, each hand-off waking a thread, which was a
// large part of the generator's CPU. What goes on the wire is the same:
// the request as http.Request writes it, in the writes the transport makes
// of it over TLS (its first 4 KiB buffer, then the rest in io.Copy's 32 KiB
// chunks), as the API server's client writes a body. Every request is the
// same, so its bytes are made once (h1Request): building and writing a
// request each time made the generator collect its garbage twice a second,
// each time delaying the requests it was sending.
type h1Conn struct {
	o      *Options
	req    *h1Request
	addr   string // host:port
	dials  *atomic.Int64
	dialer *tls.Dialer
	conn   net.Conn // nil until dialled, and after an error
	r      *bufio.Reader
}

// h1Request is the request every h1Conn sends: its bytes on the wire, and
// the request they were written from, which reading an answer needs.
type h1Request struct {
	wire []byte
	req  *http.Request
}

// transportBuffer is the size of http.Transport's connection write
// buffer; copyChunk is io.Copy's, in which the transport writes what its
// buffer no longer holds to a TLS connection.
const (
	transportBuffer = 4 << 10
	copyChunk       = 32 << 10
)

func newH1Request(o *Options) (*h1Request, error) {
	req, err := http.NewRequest(http.MethodPost, o.URL, bytes.NewReader(o.Body))
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Encoding", "gzip") // as the transport asks
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		return nil, fmt.Errorf("writing the request: %w", err)
	}
	req.Body = nil // written: reading an answer needs only the method
	return &h1Request{wire: wire.Bytes(), req: req}, nil
}

// send posts the body and reads the answer into answer, dialling first
// when the connection is not open.
func (c *h1Conn) send(ctx context.Context, answer *bytes.Buffer) error {
	if c.conn == nil {
		c.dials.Add(1)
		conn, err := c.dialer.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return fmt.Errorf("connecting: %w", err)
		}
		c.conn = conn
		c.r = bufio.NewReader(conn)
	}
	// The deadline bounds the request; ctx ending moves it to now.
	conn := c.conn
	if err := conn.SetDeadline(time.Now().Add(c.o.Timeout)); err != nil {
		c.close()
		return fmt.Errorf("setting the deadline: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	keep, err := c.roundTrip(answer)
	if !stop() || !keep {
		c.close()
	}
	return err
}

// roundTrip writes one request and reads its answer; keep is false when
// the connection cannot carry another.
func (c *h1Conn) roundTrip(answer *bytes.Buffer) (keep bool, err error) {
	wire, chunk := c.req.wire, transportBuffer
	for len(wire) > 0 {
		n := min(len(wire), chunk)
		if _, err := c.conn.Write(wire[:n]); err != nil {
			return false, fmt.Errorf("sending: %w", err)
		}
		wire, chunk = wire[n:], copyChunk
	}
	resp, err := http.ReadResponse(c.r, c.req.req)
	if err != nil {
		return false, fmt.Errorf("reading the answer: %w", err)
	}
	if err := readAnswer(resp, answer); err != nil {
		return false, err
	}
	return !resp.Close, judge(resp.StatusCode, answer.Bytes(), *c.o)
}

func (c *h1Conn) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}
