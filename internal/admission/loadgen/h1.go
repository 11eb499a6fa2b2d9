package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
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
// the request as http.Request writes it, through a 4 KiB buffer as the
// transport's, so that a body is written as the API server's client
// writes it (the first 4 KiB, then the rest).
type h1Conn struct {
	o      *Options
	addr   string // host:port
	dials  *atomic.Int64
	dialer *tls.Dialer
	conn   net.Conn // nil until dialled, and after an error
	r      *bufio.Reader
	w      *bufio.Writer
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
		c.w = bufio.NewWriter(readerFromConn{conn})
	}
	// The deadline bounds the request; ctx ending moves it to now.
	conn := c.conn
	if err := conn.SetDeadline(time.Now().Add(c.o.Timeout)); err != nil {
		c.close()
		return fmt.Errorf("setting the deadline: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	keep, err := c.roundTrip(ctx, answer)
	if !stop() || !keep {
		c.close()
	}
	return err
}

// roundTrip writes one request and reads its answer; keep is false when
// the connection cannot carry another.
func (c *h1Conn) roundTrip(ctx context.Context, answer *bytes.Buffer) (keep bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.o.URL, bytes.NewReader(c.o.Body))
	if err != nil {
		return false, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if err := req.Write(c.w); err != nil {
		return false, fmt.Errorf("sending: %w", err)
	}
	if err := c.w.Flush(); err != nil {
		return false, fmt.Errorf("sending: %w", err)
	}
	resp, err := http.ReadResponse(c.r, req)
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

// readerFromConn writes what a buffer holds no more of straight to the
// connection, as the transport's connection writer does, so that a body
// past the buffer goes in one write.
type readerFromConn struct{ net.Conn }

func (w readerFromConn) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(w.Conn, r)
}
