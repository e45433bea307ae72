package phases

import (
	"errors"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/exitcode"
	"github.com/migrate-tool/migrate/pkg/step"
)

// Outcome is how a command left one unit.
type Outcome string

// Unit outcomes.
const (
	// OutcomeDone: the unit reached the command's goal (or was there).
	OutcomeDone Outcome = "done"
	// OutcomeFailed: an operation failed, or the unit needs the operator.
	OutcomeFailed Outcome = "failed"
	// OutcomeBlocked: validation errors; nothing was sent.
	OutcomeBlocked Outcome = "blocked"
	// OutcomeSkipped: not attempted; Reason says why (downstream of a
	// failed or blocked unit, dependencies not committed, not prepared).
	OutcomeSkipped Outcome = "skipped"
	// OutcomeInterrupted: in flight when the command was interrupted.
	OutcomeInterrupted Outcome = "interrupted"
	// OutcomeNotStarted: the command was interrupted before the unit
	// started.
	OutcomeNotStarted Outcome = "not started"
)

// Sentinel errors UnitResult.Err wraps, for callers that branch.
var (
	// ErrDependencyNotCommitted: a unit the platform needs committed first
	// is not.
	ErrDependencyNotCommitted = errors.New("dependency not committed")
	// ErrUpstream: a unit this one depends on failed or is blocked.
	ErrUpstream = errors.New("upstream unit not migrated")
	// ErrValidation: the platform's Validate reported errors.
	ErrValidation = errors.New("platform validation errors")
	// ErrGaveUp: transient faults outlasted the attempt limit (the
	// engine's, step.ErrGaveUp).
	ErrGaveUp = step.ErrGaveUp
	// ErrInterrupted: the command was interrupted (step.ErrInterrupted).
	ErrInterrupted = step.ErrInterrupted
)

// UnitResult is one unit's outcome.
type UnitResult struct {
	ID      string
	Phase   Phase
	Outcome Outcome
	// Reason explains a skip, a refusal or a failure in a few words.
	Reason string
	Err    error
	// Messages are the platform's Validate messages, when it ran.
	Messages []cloud.Message
	// Sent counts the changing calls sent for the unit in this command.
	Sent int
}

// Result is the outcome of one execution, units in plan order.
type Result struct {
	Units []UnitResult
	// Interrupted means the command stopped (drain or cancel) with work
	// half done: resume continues it.
	Interrupted bool
	Done        int
	Failed      int
	Blocked     int
	Skipped     int
}

// ExitCode maps r to the cli.md exit code (pkg/exitcode): an interrupted
// command before a failed one before blocked units.
func (r Result) ExitCode() int {
	codes := []int{exitcode.OK}
	if r.Interrupted {
		codes = append(codes, exitcode.Interrupted)
	}
	if r.Failed > 0 {
		codes = append(codes, exitcode.Failed)
	}
	if r.Blocked > 0 {
		codes = append(codes, exitcode.Blocked)
	}
	return exitcode.Worst(codes...)
}

func (r *Result) count() {
	r.Done, r.Failed, r.Blocked, r.Skipped = 0, 0, 0, 0
	for _, u := range r.Units {
		switch u.Outcome {
		case OutcomeDone:
			r.Done++
		case OutcomeFailed:
			r.Failed++
		case OutcomeBlocked:
			r.Blocked++
		case OutcomeSkipped:
			r.Skipped++
		case OutcomeInterrupted, OutcomeNotStarted:
			r.Interrupted = true
		}
	}
}
