package phases

import (
	"context"
	"errors"
	"fmt"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/step"
)

// goals are the phases a mode moves each unit through, in order.
func (e *Executor) goals() []Phase {
	switch e.o.Mode {
	case ModePrepare:
		return []Phase{Prepared}
	case ModeCommit:
		return []Phase{Committed}
	case ModeAbort:
		return []Phase{Aborted}
	case ModeRun:
		return []Phase{Prepared, Committed}
	case ModeRehearse:
		return []Phase{Prepared, Aborted}
	}
	return nil
}

// unit moves one unit through the mode's goals. ext are its dependencies
// that must already be committed before it is prepared (this command does
// not commit them).
func (e *Executor) unit(ctx context.Context, u *plan.Unit, ext []string) UnitResult {
	r := UnitResult{ID: u.ID, Phase: Planned}
	t := e.o.Targets(u)
	fail := func(err error) UnitResult {
		switch {
		case ctx.Err() != nil || errors.Is(err, ErrInterrupted):
			r.Outcome, r.Err = OutcomeInterrupted, err
		default:
			r.Outcome, r.Err = OutcomeFailed, err
			if r.Reason == "" {
				r.Reason = err.Error()
			}
		}
		return r
	}

	ph, err := e.settled(ctx, u, t)
	if err != nil {
		return fail(err)
	}
	r.Phase = ph
	goals := e.goals()
	if e.o.Mode == ModeRehearse {
		switch ph {
		case Planned, Validated, Aborted:
		default:
			rec, _, err := e.o.Journal.Unit(u.ID)
			if err != nil {
				return fail(e.jerr(err))
			}
			if !rec.Rehearsal || ph == Committed || ph == CommitFailed {
				r.Outcome = OutcomeSkipped
				r.Reason = "in phase " + string(ph) + ": a rehearsal leaves it alone"
				return r
			}
			// A rehearsal (this one, or one killed before it finished)
			// prepared it: a rehearsal is finished by aborting it.
			goals = []Phase{Aborted}
		}
	}
	validated := e.o.SkipPlatformValidate
	for _, goal := range goals {
	steps:
		for {
			st := Next(goal, ph)
			switch st.Action {
			case ActionDone:
				break steps
			case ActionWait:
				if ph, err = e.observe(ctx, u, t); err != nil {
					return fail(err)
				}
				r.Phase = ph
			case ActionSkip:
				if e.named() && ph != Blocked {
					// The operator named this unit and it cannot be done
					// (abort a committed unit, commit an unprepared one):
					// that is a failure, not a quiet skip.
					r.Reason = st.Reason
					return fail(fmt.Errorf("%s: %s", u.ID, st.Reason))
				}
				r.Outcome, r.Reason = OutcomeSkipped, st.Reason
				return r
			case ActionRefuse:
				r.Reason = st.Reason
				return fail(fmt.Errorf("%s: %s", u.ID, st.Reason))
			case ActionSend:
				// Drain: a unit in flight finishes the operation it is in,
				// except that a rehearsal undoes what it prepared.
				if r.Sent > 0 && e.draining() && !(e.o.Mode == ModeRehearse && st.Op == OpAbort) {
					r.Outcome, r.Err = OutcomeInterrupted, ErrInterrupted
					return r
				}
				if e.failed() != nil {
					return fail(e.failed())
				}
				if st.Op == OpPrepare {
					// The platform prepares a unit only once the units it
					// depends on are committed.
					d, dph, err := e.uncommitted(ctx, ext)
					if err != nil {
						return fail(fmt.Errorf("%s: read state of dependency: %w", u.ID, err))
					}
					if d != "" {
						return e.notReady(u, r, d, dph)
					}
				}
				if st.Op == OpPrepare && !validated {
					msgs, err := e.validate(ctx, u, t)
					if err != nil {
						return fail(err)
					}
					r.Messages = msgs
					validated = true
					if hasErrors(msgs) {
						r.Phase, r.Outcome, r.Err, r.Reason = Blocked, OutcomeBlocked, ErrValidation, "platform validation errors"
						if err := e.jerr(e.block(u.ID, msgs)); err != nil {
							return fail(err)
						}
						return r
					}
				}
				ph, err = e.send(ctx, u, t, st.Op, &r)
				r.Phase = ph
				if err != nil {
					return fail(err)
				}
			}
		}
	}
	r.Outcome = OutcomeDone
	return r
}

// uncommitted returns the first of deps that is not committed, and its
// phase; "" if all are.
func (e *Executor) uncommitted(ctx context.Context, deps []string) (string, Phase, error) {
	for _, d := range deps {
		ph, err := e.depPhase(ctx, d)
		if err != nil {
			return "", "", err
		}
		if ph != Committed {
			return d, ph, nil
		}
	}
	return "", "", nil
}

// notReady reports a unit skipped because dependency d is not committed.
// The platform's own Validate is not asked either: it refuses a unit whose
// dependencies have not migrated (a storage account whose disks still
// belong to classic VMs), which says nothing about the unit itself. A
// rehearsal, which commits nothing, reports such units as validated
// offline only.
func (e *Executor) notReady(u *plan.Unit, r UnitResult, d string, dph Phase) UnitResult {
	r.Outcome = OutcomeSkipped
	r.Err = fmt.Errorf("%s: %w: %s is %s", u.ID, ErrDependencyNotCommitted, d, dph)
	r.Reason = "depends on " + d + ", which is " + string(dph) + ": commit it first"
	if e.o.Mode == ModeRehearse {
		r.Reason = "validated offline only: the platform validates and prepares it once " + d + " is committed"
		return r
	}
	if e.named() {
		r.Outcome = OutcomeFailed
	}
	return r
}

// named reports whether the operator named the units of a single-phase
// command (prepare, commit or abort UNIT...): a named unit that cannot be
// moved fails the command instead of being skipped.
func (e *Executor) named() bool {
	switch e.o.Mode {
	case ModePrepare, ModeCommit, ModeAbort:
		return len(e.o.Units) > 0
	}
	return false
}

// send sends op through the engine (step.Engine.Do): an intent on disk
// before the call, an outcome after it. After a transient fault the engine
// reads the platform (observe) and sends again only if the state machine
// says the operation is still needed. An intent a stopped run left open is
// reconciled by settled and observe before the state machine asks for a
// send, so the engine is given none.
func (e *Executor) send(ctx context.Context, u *plan.Unit, t cloud.Target, op Op, r *UnitResult) (Phase, error) {
	during, succeeded, _, goal := opPhases(op)
	rec := &unitRecord{j: e.o.Journal, unit: u.ID, op: op}
	var read Phase
	out, err := e.eng.Do(ctx, step.Step{
		Target: u.ID, Op: string(op), Record: rec,
		Event: Event{Target: u.ID, State: string(during)},
		Send: func(ctx context.Context) error {
			r.Sent++
			return e.call(ctx, op, t)
		},
		Read: func(ctx context.Context) (bool, error) {
			ph, err := e.observe(ctx, u, t)
			if err != nil {
				return false, err
			}
			read = ph
			st := Next(goal, ph)
			return !(st.Action == ActionSend && st.Op == op), nil
		},
	})
	if err != nil {
		if step.IsStoreError(err) {
			return during, e.jerr(err)
		}
		return during, err
	}
	switch out.Result {
	case step.Sent:
		e.event(Event{Target: u.ID, State: string(succeeded), Op: string(op), Attempt: out.Attempt})
		return succeeded, nil
	case step.Reconciled:
		return read, nil
	case step.Interrupted:
		return during, fmt.Errorf("%s %s: %w", op, u.ID, ErrInterrupted)
	case step.GaveUp:
		ph, _ := e.observe(ctx, u, t)
		if ph == "" {
			ph = during
		}
		return ph, fmt.Errorf("%s %s: %w (%d attempts): %w", op, u.ID, ErrGaveUp, out.Attempt, out.Err)
	}
	if rec.failed != "" {
		return rec.failed, fmt.Errorf("%s %s: %w", op, u.ID, out.Err)
	}
	ph, oerr := e.observe(ctx, u, t)
	if oerr != nil {
		ph = during
	}
	return ph, fmt.Errorf("%s %s: %w", op, u.ID, out.Err)
}

// unitRecord keeps one operation's intents and outcomes in the unit's
// typed journal records (step.Record).
type unitRecord struct {
	j    *journal.Journal
	unit string
	op   Op
	seq  uint64
	// failed is the phase the platform's refusal of the operation left
	// the unit in, once one is recorded.
	failed Phase
}

func (r *unitRecord) Intent(attempt int) error {
	during, _, _, _ := opPhases(r.op)
	seq, err := r.j.Intent(r.unit, string(r.op), attempt, string(during))
	r.seq = seq
	return err
}

// Outcome records the call's result: a refusal by the platform
// (cloud.OperationError) moves the unit to the operation's failed phase;
// any other error leaves the phase to the next read.
func (r *unitRecord) Outcome(_ int, err error) error {
	_, succeeded, failed, _ := opPhases(r.op)
	var opErr *cloud.OperationError
	switch _, transient := cloud.IsTransient(err); {
	case err == nil:
		return r.j.Outcome(r.unit, r.seq, journal.ResultSucceeded, string(succeeded), "")
	case errors.As(err, &opErr):
		r.failed = failed
		return r.j.Outcome(r.unit, r.seq, journal.ResultFailed, string(failed), err.Error())
	case transient:
		return r.j.Outcome(r.unit, r.seq, journal.ResultTransient, "", err.Error())
	default:
		return r.j.Outcome(r.unit, r.seq, journal.ResultFailed, "", err.Error())
	}
}

// Reconciled has nothing to write: observe, the read, already made the
// journal agree with the platform.
func (r *unitRecord) Reconciled(int, bool) error { return nil }

func (e *Executor) call(ctx context.Context, op Op, t cloud.Target) error {
	switch op {
	case OpPrepare:
		return e.o.Driver.Prepare(ctx, t)
	case OpCommit:
		return e.o.Driver.Commit(ctx, t)
	default:
		return e.o.Driver.Abort(ctx, t)
	}
}

// state reads a unit's platform state, retrying transient faults.
func (e *Executor) state(ctx context.Context, id string, t cloud.Target) (cloud.State, error) {
	var s cloud.State
	err := e.eng.Policy().Read(ctx, func(ctx context.Context) error {
		var err error
		s, err = e.o.Driver.State(ctx, t)
		if errors.Is(err, cloud.ErrNotFound) && e.commitSent(id) {
			// Commit removes the classic resource: on the real platform a
			// committed unit is no longer found. After a Commit was sent,
			// not found means committed.
			s, err = cloud.StateCommitted, nil
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read state of %s: %w", id, step.Classify(ctx, err))
	}
	return s, nil
}

// commitSent reports whether the journal shows a Commit sent to unit id.
func (e *Executor) commitSent(id string) bool {
	rec, ok, err := e.o.Journal.Unit(id)
	return err == nil && ok && commitRecorded(rec)
}

// observe reads the unit's platform state, waiting while an operation runs
// on it, and makes the journal agree: an open intent is closed as
// reconciled, a differing phase is corrected. The platform wins.
func (e *Executor) observe(ctx context.Context, u *plan.Unit, t cloud.Target) (Phase, error) {
	j := e.o.Journal
	for polls := 0; ; polls++ {
		s, err := e.state(ctx, u.ID, t)
		if err != nil {
			return "", err
		}
		if transitional(s) {
			if polls >= e.o.MaxPolls {
				return "", fmt.Errorf("%s: still %s after %d polls", u.ID, s, polls)
			}
			if polls == 0 {
				e.event(Event{Target: u.ID, State: string(PhaseOf(s, journal.UnitState{})), Note: "waiting for the platform"})
			}
			if err := e.eng.Policy().Sleep(ctx, e.eng.Policy().Scale(e.o.PollInterval)); err != nil {
				return "", fmt.Errorf("%s: %w", u.ID, ErrInterrupted)
			}
			continue
		}
		rec, _, err := j.Unit(u.ID)
		if err != nil {
			return "", e.jerr(err)
		}
		ph := PhaseOf(s, rec)
		switch {
		case rec.Pending != nil:
			err = j.Outcome(u.ID, rec.Pending.Seq, journal.ResultReconciled, string(ph), "reconciled from platform state "+string(s))
		case Phase(rec.Phase) != ph:
			err = j.SetPhase(u.ID, string(ph), "read from the platform")
		}
		if err != nil {
			return "", e.jerr(err)
		}
		return ph, nil
	}
}

// depPhase is the platform phase of a dependency outside the command,
// read once per command.
func (e *Executor) depPhase(ctx context.Context, id string) (Phase, error) {
	e.mu.Lock()
	ph, ok := e.deps[id]
	e.mu.Unlock()
	if ok {
		return ph, nil
	}
	du := e.lookup(id)
	if du == nil {
		return "", fmt.Errorf("%w: %s", ErrUnknownUnit, id)
	}
	rec, _, err := e.o.Journal.Unit(du.ID)
	if err != nil {
		return "", e.jerr(err)
	}
	if committed(rec) {
		ph = Committed
	} else {
		s, err := e.state(ctx, du.ID, e.o.Targets(du))
		if err != nil {
			return "", err
		}
		ph = PhaseOf(s, rec)
	}
	e.mu.Lock()
	e.deps[id] = ph
	e.mu.Unlock()
	return ph, nil
}

// committed reports whether the journal knows the unit is committed: an
// outcome or a platform read said so, and no intent is open. Commit is
// irreversible, so that knowledge cannot go stale, and a resume over a
// large estate need not read the state of every unit it finished.
func committed(rec journal.UnitState) bool {
	return Phase(rec.Phase) == Committed && rec.Pending == nil
}

// settled is observe, except that a unit the journal knows is committed is
// not read again.
func (e *Executor) settled(ctx context.Context, u *plan.Unit, t cloud.Target) (Phase, error) {
	rec, _, err := e.o.Journal.Unit(u.ID)
	if err != nil {
		return "", e.jerr(err)
	}
	if committed(rec) {
		return Committed, nil
	}
	return e.observe(ctx, u, t)
}
