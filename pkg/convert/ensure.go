package convert

import (
	"context"
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/step"
)

// vmStep keeps one call's intents and outcomes in the VM's document
// (step.Record): in the slot of its target (the VM's, or a disk's) and in
// the VM's log. Its methods run under w.mu.
type vmStep struct {
	w          *vmWork
	op, target string
	// apply makes a success's effect on the record, so it lands in the
	// same write as the outcome.
	apply func()
}

func (s *vmStep) Intent(attempt int) error {
	now := s.w.e.now().UTC()
	*s.w.slot(s.target) = &intentRec{Op: s.op, Target: s.target, Attempt: attempt, Time: now}
	s.w.rec.Log = append(s.w.rec.Log, logRecord{Kind: "intent", Op: s.op, Target: s.target, Attempt: attempt, Time: now})
	return s.w.save()
}

func (s *vmStep) Outcome(attempt int, err error) error {
	result, text := "succeeded", ""
	switch _, transient := cloud.IsTransient(err); {
	case err == nil:
		s.apply()
	case transient:
		result, text = "transient", err.Error()
	default:
		result, text = "failed", err.Error()
	}
	*s.w.slot(s.target) = nil
	s.w.rec.Log = append(s.w.rec.Log, logRecord{Kind: "outcome", Op: s.op, Target: s.target, Attempt: attempt, Result: result, Error: clip(text), Time: s.w.e.now().UTC()})
	return s.w.save()
}

func (s *vmStep) Reconciled(attempt int, open bool) error {
	s.apply()
	if open {
		*s.w.slot(s.target) = nil
		s.w.rec.Log = append(s.w.rec.Log, logRecord{Kind: "outcome", Op: s.op, Target: s.target, Attempt: attempt, Result: "reconciled", Time: s.w.e.now().UTC()})
		s.w.e.event(Event{Target: s.w.plan.ID, Op: s.op, Note: "reconciled from the cloud's state: " + s.target})
	} else {
		s.w.note(s.op, "the faulted call had taken effect: "+s.target)
	}
	return s.w.save()
}

// closeReconciled closes an open intent whose effect the cloud shows.
func (w *vmWork) closeReconciled(op, target string, apply func()) error {
	attempt := 0
	if p := *w.slot(target); p != nil {
		attempt = p.Attempt
	}
	return (&vmStep{w: w, op: op, target: target, apply: apply}).Reconciled(attempt, true)
}

func clip(s string) string {
	if len(s) > 1024 {
		return s[:1024] + "..."
	}
	return s
}

// ensure brings target to the state op makes through the engine
// (step.Engine.Do): an open intent for it is reconciled by check (a read)
// before anything is sent; then intent, call, outcome (with apply's change
// to the record); a transient fault is retried after its Retry-After (or
// the backoff), reading check first since the call may have taken effect
// (a lost response). check nil means the call is sent again as it is.
func (w *vmWork) ensure(ctx context.Context, op, target string, check func(context.Context) (bool, error), do func(context.Context) error, apply func()) error {
	open := 0
	slot := w.slot(target)
	if p := *slot; p != nil {
		if p.Op != op || p.Target != target {
			// Not this step's intent: a step settles its own before
			// moving on, so this is an older build's record. Note it.
			w.note(p.Op, "open intent on "+p.Target+" superseded by "+op)
			*slot = nil
		} else {
			open = p.Attempt
		}
	}
	var read func(context.Context) (bool, error)
	if check != nil {
		read = func(ctx context.Context) (bool, error) {
			var done bool
			err := w.e.eng.Policy().Read(ctx, func(ctx context.Context) error {
				var err error
				done, err = check(ctx)
				return err
			})
			return done, err
		}
	}
	return w.do(ctx, step.Step{Op: op, Open: open, Read: read, Send: do}, target, apply)
}

// copyLeg journals one copy: intent, the copy, outcome with its hash. An
// interrupted copy leaves its intent open (and its checkpoint) for the
// next run, which sends it again (it resumes from the checkpoint); a
// failed one fails the VM.
func (w *vmWork) copyLeg(ctx context.Context, op, target string, run func(context.Context) (string, error), done func(sum string)) error {
	open := 0
	if p := *w.slot(target); p != nil {
		open = p.Attempt
	}
	var sum string
	return w.do(ctx, step.Step{Op: op, Open: open, Once: true, Send: func(ctx context.Context) error {
		var err error
		sum, err = run(ctx)
		return err
	}}, target, func() { done(sum) })
}

// do runs s for the VM, its records in target's slot, and words the call's
// failure.
func (w *vmWork) do(ctx context.Context, s step.Step, target string, apply func()) error {
	s.Target, s.Unlocked = w.plan.ID, w.unlocked
	s.Record = &vmStep{w: w, op: s.Op, target: target, apply: apply}
	s.Event = Event{Target: w.plan.ID, Note: target}
	out, err := w.e.eng.Do(ctx, s)
	if err != nil {
		return err
	}
	switch out.Result {
	case step.Sent, step.Reconciled:
		return nil
	case step.Failed, step.GaveUp:
		if !s.Once {
			return fmt.Errorf("%s %s (attempt %d): %w", strings.ToLower(s.Op), target, out.Attempt, out.Err)
		}
	}
	return fmt.Errorf("%s %s: %w", strings.ToLower(s.Op), target, out.Err)
}

// retry runs a call that changes nothing (a read, opening data) until it
// is not a transient fault, up to MaxAttempts (step.Policy.Read).
func (w *vmWork) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	var err error
	w.unlocked(ctx, func(ctx context.Context) { err = w.e.eng.Policy().Read(ctx, fn) })
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
