package disks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// ErrBadRate is returned by ParseBandwidth for text that is not a rate.
var ErrBadRate = errors.New("not a byte rate")

// rateUnits maps suffixes (lower case, without a trailing "b" or "/s") to
// multipliers: SI powers of 1000 and IEC powers of 1024.
var rateUnits = map[string]float64{
	"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12,
	"ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30, "ti": 1 << 40,
}

// ParseBandwidth parses a byte rate such as "145MB", "16MiB", "1.5GB",
// "500k", "100MB/s" or "1048576" into bytes per second; "0" means no cap.
// SI suffixes (k, M, G, T) are powers of 1000, IEC (Ki, Mi, Gi, Ti) of 1024;
// the trailing "B" and "/s" are optional and case does not matter.
func ParseBandwidth(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "/s")
	t = strings.TrimSuffix(t, "b")
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	mult, ok := rateUnits[strings.TrimSpace(t[i:])]
	if !ok || i == 0 {
		return 0, fmt.Errorf("%q: %w (want a number with an optional k, M, G, T, Ki, Mi, Gi or Ti suffix)", s, ErrBadRate)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t[:i]), 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) || v*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q: %w", s, ErrBadRate)
	}
	return int64(math.Round(v * mult)), nil
}

// clock is the time source of a throttle; tests use a fake one.
type clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// throttle caps bytes written per second and write calls per second with
// token buckets that start empty, so a copy does not open with a burst.
// A nil limiter means no cap. Safe for concurrent use.
type throttle struct {
	clock clock
	bytes *rate.Limiter
	calls *rate.Limiter
}

func newThrottle(c clock, bytesPerSec int64, callsPerSec int) *throttle {
	t := &throttle{clock: c}
	now := c.Now()
	if bytesPerSec > 0 {
		// The burst must hold the largest single write, a whole chunk.
		t.bytes = emptyLimiter(now, float64(bytesPerSec), max(ChunkSize, int(min(bytesPerSec, math.MaxInt32))))
	}
	if callsPerSec > 0 {
		t.calls = emptyLimiter(now, float64(callsPerSec), callsPerSec)
	}
	return t
}

// emptyLimiter makes a limiter and spends its initial burst (rclone does the
// same) so tokens only accrue at the rate from now on.
func emptyLimiter(now time.Time, r float64, burst int) *rate.Limiter {
	l := rate.NewLimiter(rate.Limit(r), burst)
	l.AllowN(now, burst)
	return l
}

// wait blocks until n bytes in calls write calls may go, or ctx is done.
func (t *throttle) wait(ctx context.Context, n int64, calls int) error {
	if err := t.take(ctx, t.calls, int64(calls)); err != nil {
		return err
	}
	return t.take(ctx, t.bytes, n)
}

func (t *throttle) take(ctx context.Context, l *rate.Limiter, n int64) error {
	if l == nil {
		return nil
	}
	for n > 0 {
		k := min(n, int64(l.Burst()))
		now := t.clock.Now()
		r := l.ReserveN(now, int(k))
		if !r.OK() {
			return fmt.Errorf("rate limiter refused %d tokens", k)
		}
		if err := t.clock.Sleep(ctx, r.DelayFrom(now)); err != nil {
			r.CancelAt(t.clock.Now())
			return err
		}
		n -= k
	}
	return nil
}
