package admission

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/rampart-dev/rampart/internal/policy"
)

// Paths the server answers on.
const (
	PathWorkloads = "/admit/workloads"
	PathExec      = "/admit/exec"
	PathAuthorize = "/authorize"
	PathHealthz   = "/healthz"
	PathReadyz    = "/readyz"
	PathMetrics   = "/metrics"
)

// DefaultBudget is the per-request time budget: well under the 10 s
// admission timeout Rampart's manifests set (and the API server's 30 s
// maximum), so that a slow decision is answered by failure policy, not by
// the API server giving up.
const DefaultBudget = 2 * time.Second

// Config is what a Server needs.
type Config struct {
	Policy *policy.Policy
	// Pods back exec control; nil denies every exec into a pod (fail closed).
	Pods PodSource
	// Namespaces back namespaceSelector rules; may be nil.
	Namespaces NamespaceLabels
	// Self is the webhook's own identity, exempt from authorization rules.
	Self policy.Subjects
	Log  Recorder
	// Budget bounds each decision; DefaultBudget when zero.
	Budget time.Duration
	Logger *slog.Logger
}

// Server holds the handlers; its policy can be swapped while it serves.
type Server struct {
	cfg     Config
	policy  atomic.Pointer[policy.Policy]
	metrics *Metrics
	mux     *http.ServeMux
}

// NewServer builds the handlers.
func NewServer(cfg Config) *Server {
	if cfg.Budget <= 0 {
		cfg.Budget = DefaultBudget
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Policy == nil {
		cfg.Policy = policy.Default()
	}
	s := &Server{cfg: cfg, metrics: NewMetrics(), mux: http.NewServeMux()}
	if l, ok := cfg.Log.(*DecisionLog); ok {
		s.metrics.watchLog(l)
	}
	s.policy.Store(cfg.Policy)
	pol := s.policy.Load
	s.mux.Handle(PathWorkloads, &reviewEndpoint{kind: "workloads", handler: NewWorkloads(pol, cfg.Log).Handler(), decode: decodeWorkloadReview, budget: cfg.Budget, fail: FailOpen, metrics: s.metrics})
	s.mux.Handle(PathExec, &reviewEndpoint{kind: "exec", handler: NewExec(pol, cfg.Pods, cfg.Log), budget: cfg.Budget, fail: FailClosed, metrics: s.metrics})
	s.mux.Handle(PathAuthorize, NewAuthorizer(pol, cfg.Namespaces, cfg.Self, cfg.Log, cfg.Budget, s.metrics))
	s.mux.HandleFunc(PathHealthz, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	s.mux.HandleFunc(PathReadyz, s.readyz)
	s.mux.Handle(PathMetrics, s.metrics)
	return s
}

// SetPolicy swaps the policy; requests after the call use the new one.
func (s *Server) SetPolicy(p *policy.Policy) { s.policy.Store(p) }

// Metrics returns the server's metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Handler returns the HTTP handler of every path.
func (s *Server) Handler() http.Handler { return s.mux }

// readyz is ready once the caches have synced: before that, exec control
// could only deny.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.Pods != nil && !s.cfg.Pods.Synced() {
		http.Error(w, "pod cache not synced", http.StatusServiceUnavailable)
		return
	}
	if s.cfg.Namespaces != nil && !s.cfg.Namespaces.Synced() {
		http.Error(w, "namespace cache not synced", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// Serve answers on l over TLS until ctx ends, then stops accepting, lets
// requests in flight finish (up to grace) and returns.
func (s *Server) Serve(ctx context.Context, l net.Listener, tlsConfig *tls.Config, grace time.Duration) error {
	// HTTP/1.1 only: the API server calls webhooks over keep-alive
	// HTTP/1.1 anyway (k8s.io/apiserver sets NextProtos to http/1.1 for
	// every webhook not on localhost, kubernetes/kubernetes#75791), Go's
	// HTTP/1.1 server answers on the connection's own goroutine where
	// HTTP/2 hands every request and frame between goroutines, and HTTP/2's
	// stream resets are a denial-of-service surface (CVE-2023-44487) that a
	// webhook has no need for; controller-runtime turns it off for the same
	// reason.
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	srv := &http.Server{
		Protocols:         protocols,
		Handler:           s.mux,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      s.cfg.Budget + 5*time.Second,
		IdleTimeout:       90 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(l, "", "") }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}
