package step

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/retry"
)

// Boundary is a point of a changing call around its records.
type Boundary string

// Boundaries, in the order each attempt passes them.
const (
	BeforeIntent Boundary = "BeforeIntent"
	AfterIntent  Boundary = "AfterIntent"
	AfterCall    Boundary = "AfterCall"
	AfterOutcome Boundary = "AfterOutcome"
)

// Hook is called synchronously at every boundary of every changing call
// (for tests: the crash suites kill the process there). target is what the
// call is about (a unit id, a VM id), op the operation's name.
type Hook func(b Boundary, target, op string)

// Event is the one progress report of every journaled step: a target
// reached a state, a call was sent, retried or failed, a copy is running.
type Event struct {
	// Target is what the event is about: a unit id (phases) or a VM id
	// (the disk step).
	Target string
	// Part is the part of the target the event is about (a VM's disk),
	// "" for the whole target.
	Part string
	// State is the state the target reached (a unit's phase), "" when the
	// event does not report one.
	State string
	// Op is the operation the event is about, "" for a note.
	Op string
	// Attempt counts the sends of Op, from 1.
	Attempt int
	// Progress is the copy or hash in flight (atomic counters for a UI to
	// poll), nil when none.
	Progress *disks.Progress
	// Err is a transient fault or a failure, when the event reports one.
	Err error
	// Note is a short human explanation (a skip reason, "retrying").
	Note string
	// Final marks the one event per target that says how the command left
	// it (Outcome); a progress bar counts these.
	Final bool
	// Outcome is how the command left the target, on a Final event.
	Outcome string
	Time    time.Time
}

// Sentinel errors the engine's callers wrap, for their callers to branch.
var (
	// ErrGaveUp: transient faults outlasted the attempt limit.
	ErrGaveUp = errors.New("gave up after repeated transient faults")
	// ErrInterrupted: the command was interrupted.
	ErrInterrupted = errors.New("interrupted")
)

// StoreError marks a failure to write a record: without its record
// nothing may be sent (write-ahead), so the engine's callers stop.
type StoreError struct{ Err error }

func (e *StoreError) Error() string { return e.Err.Error() }
func (e *StoreError) Unwrap() error { return e.Err }

// IsStoreError reports whether err is (or wraps) a failed record write.
func IsStoreError(err error) bool {
	var se *StoreError
	return errors.As(err, &se)
}

// storeErr marks err as a StoreError unless it already is one.
func storeErr(err error) error {
	if err == nil || IsStoreError(err) {
		return err
	}
	return &StoreError{err}
}

// Policy is the option plumbing every journaled step shares.
type Policy struct {
	// MaxAttempts bounds the sends of one call (and the reads) answered
	// with a transient fault; 0 means 30.
	MaxAttempts int
	// TimeScale multiplies the engine's own waits (the backoff from 1s
	// capped at 30s, poll intervals), not the platform's Retry-After; 0
	// means 1.
	TimeScale float64
	// Jitter draws r in [0,1) to spread each backoff over its upper half
	// (retry.Jittered), so calls retrying one throttled service do not
	// come back in step; nil means math/rand. Tests fix it.
	Jitter func() float64
	// Sleep waits d or until ctx is done; nil means a timer. For tests.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now stamps records and events; nil means time.Now. For tests.
	Now func() time.Time
}

// Defaults fills the zero fields.
func (p *Policy) Defaults() {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 30
	}
	if p.TimeScale <= 0 {
		p.TimeScale = 1
	}
	if p.Jitter == nil {
		p.Jitter = rand.Float64 //nolint:gosec // jitter spreads retries; it protects nothing
	}
	if p.Sleep == nil {
		p.Sleep = retry.Sleep
	}
	if p.Now == nil {
		p.Now = time.Now
	}
}

// Scale is d multiplied by TimeScale.
func (p *Policy) Scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * p.TimeScale)
}

// Backoff is the wait before attempt+1 when the platform gave no
// Retry-After.
func (p *Policy) Backoff(attempt int) time.Duration {
	return retry.Jittered(attempt, p.TimeScale, p.Jitter())
}

// Wait waits retryAfter (the platform's, honoured however long) or, when
// it is 0, the backoff after attempt; it returns ctx's error if ctx ends
// first.
func (p *Policy) Wait(ctx context.Context, retryAfter time.Duration, attempt int) error {
	if retryAfter <= 0 {
		retryAfter = p.Backoff(attempt)
	}
	return p.Sleep(ctx, retryAfter)
}

// Read runs read, a call that changes nothing, until it is not a
// transient fault (cloud.IsTransient), up to MaxAttempts, waiting between
// as Wait does. The error is read's last (joined with ctx's when ctx
// ended): Classify tells a caller that must branch why it stopped.
func (p *Policy) Read(ctx context.Context, read func(context.Context) error) error {
	return retry.Do(ctx, retry.Policy{
		MaxAttempts: p.MaxAttempts, Scale: p.TimeScale, Transient: cloud.IsTransient, Sleep: p.Sleep, Rand: p.Jitter,
	}, read)
}

// Classify wraps the error Read returned with why it stopped: ctx ended
// (ErrInterrupted, err dropped: the read was abandoned) or transient
// faults outlasted the attempts (ErrGaveUp); any other error is returned
// as it is.
func Classify(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ErrInterrupted
	}
	if _, ok := cloud.IsTransient(err); ok {
		return fmt.Errorf("%w: %w", ErrGaveUp, err)
	}
	return err
}

// Engine runs steps: it owns the boundary hook and serialises events.
// Safe for concurrent use once built.
type Engine struct {
	policy Policy
	hook   Hook
	events func(Event)
	mu     sync.Mutex
}

// New returns an engine with p (zero fields defaulted); hook and events
// may be nil.
func New(p Policy, hook Hook, events func(Event)) *Engine {
	p.Defaults()
	return &Engine{policy: p, hook: hook, events: events}
}

// Policy is the engine's policy, defaults filled.
func (e *Engine) Policy() *Policy { return &e.policy }

// Emit stamps ev with the policy's clock and hands it to the events
// callback, one call at a time.
func (e *Engine) Emit(ev Event) {
	if e.events == nil {
		return
	}
	ev.Time = e.policy.Now().UTC()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events(ev)
}

// Boundary calls the hook, if any.
func (e *Engine) Boundary(b Boundary, target, op string) {
	if e.hook != nil {
		e.hook(b, target, op)
	}
}

// Initials is the boundary's short name ("BI", "AI", "AC", "AO"), for
// logs and tests.
func (b Boundary) Initials() string {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] >= 'A' && b[i] <= 'Z' {
			out = append(out, b[i])
		}
	}
	return string(out)
}
