//go:build !linux

package loadgen

import (
	"context"
	"time"
)

// pacer waits on a Go timer where there is no timerfd; see pace_linux.go
// for why Linux does not.
type pacer struct{ timer *time.Timer }

func newPacer() (*pacer, error) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &pacer{timer: t}, nil
}

func (p *pacer) wait(ctx context.Context, due time.Time) error {
	d := time.Until(due)
	if d <= 0 {
		return ctx.Err()
	}
	p.timer.Reset(d)
	select {
	case <-ctx.Done():
		p.timer.Stop()
		return ctx.Err()
	case <-p.timer.C:
		return nil
	}
}

func (p *pacer) close() { p.timer.Stop() }
