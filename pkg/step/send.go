package step

import (
	"context"
	"fmt"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

// Record keeps one step's intents and outcomes durably: the phases'
// typed journal records, the disk step's per-VM document. The engine calls
// it from the goroutine running the step, never concurrently for one step;
// an error is a failed write, and the engine stops the step (a
// StoreError) since nothing may be sent without its record.
type Record interface {
	// Intent durably records that the call is about to be sent as the
	// given attempt (from 1).
	Intent(attempt int) error
	// Outcome durably closes attempt's intent with the call's result: err
	// nil is a success (the record applies its effect in the same write);
	// otherwise the record classifies err (cloud.IsTransient, a refusal).
	Outcome(attempt int, err error) error
	// Reconciled durably records that a read found the call's effect.
	// With open, it closes the intent a stopped run left open (attempt is
	// that intent's); without, the call answered with a transient fault
	// had taken effect (attempt is its attempt, whose outcome is already
	// recorded).
	Reconciled(attempt int, open bool) error
}

// Step is one changing call on one target.
type Step struct {
	// Target and Op name the call for the boundary hook and the events.
	Target, Op string
	// Open is the attempt of the intent a stopped run left open for this
	// call, 0 if none: it is reconciled by Read before anything is sent.
	Open   int
	Record Record
	// Read reads the platform: done reports that the call's effect is
	// there, so nothing is to be sent. It runs for an open intent before
	// anything is sent, and after a transient fault before the call is
	// sent again. It retries its own transient faults (Policy.Read, or a
	// read built on it): the engine calls it once and stops the step at
	// its error. nil means the call may be sent again as it is: only for
	// a call that is idempotent or resumes from its own checkpoint.
	Read func(ctx context.Context) (done bool, err error)
	// Send is the call.
	Send func(ctx context.Context) error
	// Once ends the step at the call's first failure, transient or not (a
	// copy, which resumes from its checkpoint on the next run instead).
	Once bool
	// Event is what the events of each attempt say besides Op, Attempt
	// and Err (Target, Part, State, Note).
	Event Event
	// Unlocked runs fn (the call, a wait, a read: nothing that touches
	// the record) without the caller's locks; nil runs fn as it is.
	Unlocked func(ctx context.Context, fn func(context.Context))
}

// Result is how a step ended.
type Result int

// Results of Engine.Do.
const (
	// Sent: the call succeeded and its outcome is recorded.
	Sent Result = iota + 1
	// Reconciled: a read found the call's effect (an open intent, or a
	// call answered with a transient fault) and the record says so.
	Reconciled
	// Failed: the call failed for good; its outcome is recorded.
	Failed
	// GaveUp: transient faults outlasted Policy.MaxAttempts; the last
	// outcome is recorded.
	GaveUp
	// Interrupted: the context ended. Ended during the call, its intent
	// stays open for the next run to reconcile; during a wait, nothing is
	// open.
	Interrupted
)

// Outcome is how a step ended and the call's last error (Failed, GaveUp,
// Interrupted).
type Outcome struct {
	Result  Result
	Attempt int
	Err     error
}

// Do runs s write-ahead (see the package doc). The error is a failed
// record write (StoreError) or a failed read (wrapped with the call it was
// for); everything about the call itself is in the Outcome.
func (e *Engine) Do(ctx context.Context, s Step) (Outcome, error) {
	unlocked := s.Unlocked
	if unlocked == nil {
		unlocked = func(ctx context.Context, fn func(context.Context)) { fn(ctx) }
	}
	read := func(ctx context.Context) (bool, error) {
		if s.Read == nil {
			return false, nil
		}
		var done bool
		var err error
		unlocked(ctx, func(ctx context.Context) { done, err = s.Read(ctx) })
		return done, err
	}
	attempt := s.Open
	if s.Open > 0 {
		done, err := read(ctx)
		if err != nil {
			return Outcome{}, fmt.Errorf("reconcile %s %s: %w", s.Op, s.Target, err)
		}
		if done {
			return Outcome{Result: Reconciled, Attempt: attempt}, storeErr(s.Record.Reconciled(attempt, true))
		}
	}
	for {
		attempt++
		e.Boundary(BeforeIntent, s.Target, s.Op)
		if err := s.Record.Intent(attempt); err != nil {
			return Outcome{}, storeErr(err)
		}
		e.Boundary(AfterIntent, s.Target, s.Op)
		e.Emit(s.event(attempt, nil, ""))
		var err error
		unlocked(ctx, func(ctx context.Context) { err = s.Send(ctx) })
		e.Boundary(AfterCall, s.Target, s.Op)
		if ctx.Err() != nil {
			// The effect is unknown: the intent stays open for the next
			// run to reconcile.
			if err == nil {
				err = ctx.Err()
			}
			return Outcome{Result: Interrupted, Attempt: attempt, Err: err}, nil
		}
		if oerr := s.Record.Outcome(attempt, err); oerr != nil {
			return Outcome{}, storeErr(oerr)
		}
		e.Boundary(AfterOutcome, s.Target, s.Op)
		if err == nil {
			return Outcome{Result: Sent, Attempt: attempt}, nil
		}
		after, transient := cloud.IsTransient(err)
		if !transient || s.Once {
			return Outcome{Result: Failed, Attempt: attempt, Err: err}, nil
		}
		e.Emit(s.event(attempt, err, "transient fault, retrying"))
		if attempt >= e.policy.MaxAttempts {
			return Outcome{Result: GaveUp, Attempt: attempt, Err: err}, nil
		}
		var serr error
		unlocked(ctx, func(ctx context.Context) { serr = e.policy.Wait(ctx, after, attempt) })
		if serr != nil {
			return Outcome{Result: Interrupted, Attempt: attempt, Err: serr}, nil
		}
		// The call may or may not have taken effect (a lost response):
		// the platform decides whether it is sent again.
		done, rerr := read(ctx)
		if rerr != nil {
			return Outcome{}, fmt.Errorf("read after a fault on %s %s: %w", s.Op, s.Target, rerr)
		}
		if done {
			return Outcome{Result: Reconciled, Attempt: attempt}, storeErr(s.Record.Reconciled(attempt, false))
		}
	}
}

func (s *Step) event(attempt int, err error, note string) Event {
	ev := s.Event
	ev.Op, ev.Attempt, ev.Err = s.Op, attempt, err
	if note != "" {
		ev.Note = note
	}
	return ev
}
