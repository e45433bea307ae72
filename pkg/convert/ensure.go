package convert

import (
	"context"
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/retry"
)

// intent durably records that op is about to be sent to target.
func (w *vmWork) intent(op, target string, attempt int) error {
	w.e.boundary(BeforeIntent, w.plan.ID, op)
	now := w.e.o.Now().UTC()
	*w.slot(target) = &intentRec{Op: op, Target: target, Attempt: attempt, Time: now}
	w.rec.Log = append(w.rec.Log, logRecord{Kind: "intent", Op: op, Target: target, Attempt: attempt, Time: now})
	if err := w.save(); err != nil {
		return err
	}
	w.e.boundary(AfterIntent, w.plan.ID, op)
	w.e.event(Event{VM: w.plan.ID, Op: op, Attempt: attempt, Note: target})
	return nil
}

// outcome durably closes the open intent with err's result; the caller
// has applied a success's effect to the record already, so both land in
// one transaction.
func (w *vmWork) outcome(op, target string, attempt int, err error) error {
	result, text := "succeeded", ""
	if err != nil {
		result, text = "failed", err.Error()
		if _, ok := cloud.IsTransient(err); ok {
			result = "transient"
		}
	}
	*w.slot(target) = nil
	w.rec.Log = append(w.rec.Log, logRecord{Kind: "outcome", Op: op, Target: target, Attempt: attempt, Result: result, Error: clip(text), Time: w.e.o.Now().UTC()})
	if err := w.save(); err != nil {
		return err
	}
	w.e.boundary(AfterOutcome, w.plan.ID, op)
	return nil
}

// closeReconciled closes an open intent whose effect the cloud shows.
func (w *vmWork) closeReconciled(op, target string, apply func()) error {
	attempt := 0
	slot := w.slot(target)
	if *slot != nil {
		attempt = (*slot).Attempt
	}
	apply()
	*slot = nil
	w.rec.Log = append(w.rec.Log, logRecord{Kind: "outcome", Op: op, Target: target, Attempt: attempt, Result: "reconciled", Time: w.e.o.Now().UTC()})
	w.e.event(Event{VM: w.plan.ID, Op: op, Note: "reconciled from the cloud's state: " + target})
	return w.save()
}

func clip(s string) string {
	if len(s) > 1024 {
		return s[:1024] + "..."
	}
	return s
}

// ensure brings target to the state op makes, write-ahead: an open intent
// for it is reconciled by check (a read) before anything is sent; then
// intent, call, outcome (with apply's change to the record); a transient
// fault is retried after its Retry-After, reading check first since the
// call may have taken effect (a lost response). check nil means the call
// is sent again.
func (w *vmWork) ensure(ctx context.Context, op, target string, check func(context.Context) (bool, error), do func(context.Context) error, apply func()) error {
	attempt := 0
	slot := w.slot(target)
	if p := *slot; p != nil {
		attempt = p.Attempt
		if p.Op != op || p.Target != target {
			// Not this step's intent: a step settles its own before
			// moving on, so this is an older build's record. Note it.
			w.note(p.Op, "open intent on "+p.Target+" superseded by "+op)
			*slot = nil
			attempt = 0
		} else {
			done, err := w.checkRetry(ctx, check)
			if err != nil {
				return fmt.Errorf("reconcile %s %s: %w", op, target, err)
			}
			if done {
				return w.closeReconciled(op, target, apply)
			}
		}
	}
	for {
		attempt++
		if err := w.intent(op, target, attempt); err != nil {
			return err
		}
		var err error
		w.unlocked(ctx, func(ctx context.Context) { err = do(ctx) })
		w.e.boundary(AfterCall, w.plan.ID, op)
		if err != nil && ctx.Err() != nil {
			// The effect is unknown: the intent stays open for the
			// next run to reconcile.
			return fmt.Errorf("%s %s: %w", strings.ToLower(op), target, err)
		}
		if err == nil {
			apply()
		}
		if oerr := w.outcome(op, target, attempt, err); oerr != nil {
			return oerr
		}
		if err == nil {
			return nil
		}
		after, ok := cloud.IsTransient(err)
		if !ok || attempt >= w.e.o.MaxAttempts {
			return fmt.Errorf("%s %s (attempt %d): %w", strings.ToLower(op), target, attempt, err)
		}
		w.e.event(Event{VM: w.plan.ID, Op: op, Attempt: attempt, Err: err, Note: "retrying"})
		if after <= 0 {
			after = w.e.o.backoff(attempt)
		}
		var serr error
		w.unlocked(ctx, func(ctx context.Context) { serr = w.e.o.Sleep(ctx, after) })
		if serr != nil {
			return serr
		}
		done, err := w.checkRetry(ctx, check)
		if err != nil {
			return fmt.Errorf("read after a fault on %s %s: %w", op, target, err)
		}
		if done {
			apply()
			w.note(op, "the faulted call had taken effect: "+target)
			return w.save()
		}
	}
}

func (w *vmWork) checkRetry(ctx context.Context, check func(context.Context) (bool, error)) (bool, error) {
	if check == nil {
		return false, nil
	}
	var done bool
	err := w.retry(ctx, "read", func(ctx context.Context) error {
		var err error
		done, err = check(ctx)
		return err
	})
	return done, err
}

// retry runs a call that changes nothing (a read, opening data) until it
// is not a transient fault, up to MaxAttempts.
func (w *vmWork) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	var err error
	w.unlocked(ctx, func(ctx context.Context) {
		err = retry.Do(ctx, retry.Policy{
			MaxAttempts: w.e.o.MaxAttempts, Scale: w.e.o.TimeScale, Transient: cloud.IsTransient, Sleep: w.e.o.Sleep,
		}, fn)
	})
	// what names the read for a reader of this code; callers wrap err.
	_ = what
	return err
}

// slot is where the open intent on target is kept: a disk's own (its
// managed disk, its snapshots), since a VM's disks move in parallel, else
// the VM's.
func (w *vmWork) slot(target string) **intentRec {
	if name, ok := diskOfTarget(target); ok {
		if dr := w.rec.Disks[keyOf(name)]; dr != nil {
			return &dr.Pending
		}
	}
	return &w.rec.Pending
}

// diskOfTarget is the disk a disk-level target names.
func diskOfTarget(target string) (string, bool) {
	for _, prefix := range []string{"disk/", "snapshot/"} {
		if rest, ok := strings.CutPrefix(target, prefix); ok {
			if i := strings.LastIndexByte(rest, '/'); i >= 0 {
				return rest[i+1:], true
			}
		}
	}
	return "", false
}

// unlocked runs fn, which waits on the cloud or moves data and touches
// no record, without the VM's lock, so the VM's other disks go on. Code of
// a vmWork holds w.mu everywhere else: every change to the record and
// every save happen under it. fn's context says the lock is released, so
// a call inside fn that would release it again (a retried read inside a
// copy) runs as it is.
func (w *vmWork) unlocked(ctx context.Context, fn func(context.Context)) {
	if ctx.Value(unlockedKey{}) == w {
		fn(ctx)
		return
	}
	w.mu.Unlock()
	defer w.mu.Lock()
	fn(context.WithValue(ctx, unlockedKey{}, w))
}

type unlockedKey struct{}
