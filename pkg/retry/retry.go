// Package retry holds the one retry policy of the tool: a sleep bound to
// the caller's context, an exponential backoff with jitter used when the
// cloud gave no Retry-After (a Retry-After is honoured however long), and
// Do, the loop for reads. Changing calls are never looped here: their
// callers read the platform's state before sending again (never a blind
// resend of an irreversible call), and use Sleep and Jittered between.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
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

// Jittered is Backoff spread over its upper half: d/2 + r*d/2 for r in
// [0,1), so processes retrying the same throttled service do not come
// back in step ("equal jitter").
func Jittered(attempt int, scale, r float64) time.Duration {
	d := Backoff(attempt, scale)
	if r < 0 || r >= 1 {
		r = 0
	}
	return d/2 + time.Duration(r*float64(d/2))
}

// Policy configures Do.
type Policy struct {
	// MaxAttempts bounds the calls; 0 means 30.
	MaxAttempts int
	// Scale multiplies the backoff (not a Retry-After); 0 means 1.
	Scale float64
	// Transient reports whether err may succeed if tried again, and the
	// wait the service asked for (0: none given).
	Transient func(err error) (retryAfter time.Duration, ok bool)
	// Sleep waits; nil means Sleep. For tests.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand draws the jitter in [0,1); nil means math/rand/v2. For tests.
	Rand func() float64
}

// Do calls read until it succeeds, fails with an error that is not
// transient, MaxAttempts calls were made, or ctx ends (then the last
// error is joined with ctx's). Only for calls that change nothing.
func Do(ctx context.Context, p Policy, read func(context.Context) error) error {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 30
	}
	if p.Sleep == nil {
		p.Sleep = Sleep
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	for attempt := 1; ; attempt++ {
		err := read(ctx)
		if err == nil {
			return nil
		}
		after, ok := p.Transient(err)
		if !ok || attempt >= p.MaxAttempts {
			return err
		}
		if ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		if after <= 0 {
			after = Jittered(attempt, p.Scale, p.Rand())
		}
		if serr := p.Sleep(ctx, after); serr != nil {
			return errors.Join(err, serr)
		}
	}
}
