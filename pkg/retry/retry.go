// Package retry holds the waiting that the executors share between the
// attempts of a call the cloud answered with a transient fault: a sleep
// bound to the caller's context, and the backoff used when the cloud gave
// no Retry-After. It does not loop: the callers decide what to read before
// sending again (never a blind resend of an irreversible call).
package retry

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx is done (then it returns ctx.Err()).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// First and Ceiling bound Backoff.
const (
	First   = time.Second
	Ceiling = 30 * time.Second
)

// Backoff is the wait after the given attempt (from 1) when the cloud gave
// no Retry-After: First doubling to Ceiling, multiplied by scale (tests
// shrink simulated time; scale <= 0 means 1).
func Backoff(attempt int, scale float64) time.Duration {
	d := First
	for i := 1; i < attempt && d < Ceiling; i++ {
		d *= 2
	}
	if d > Ceiling {
		d = Ceiling
	}
	if scale <= 0 {
		scale = 1
	}
	return time.Duration(float64(d) * scale)
}
