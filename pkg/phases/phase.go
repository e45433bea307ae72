package phases

import (
	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// Phase is a unit's phase as status reports it (cli.md).
type Phase string

// The phases of cli.md.
const (
	Planned       Phase = "Planned"
	Validated     Phase = "Validated"
	Preparing     Phase = "Preparing"
	Prepared      Phase = "Prepared"
	PrepareFailed Phase = "PrepareFailed"
	Committing    Phase = "Committing"
	Committed     Phase = "Committed"
	CommitFailed  Phase = "CommitFailed"
	Aborting      Phase = "Aborting"
	Aborted       Phase = "Aborted"
	AbortFailed   Phase = "AbortFailed"
	Blocked       Phase = "Blocked"
)

// Op is a driver operation the executor sends.
type Op string

// Operations. Only Prepare, Commit and Abort change anything, so only they
// are journaled as intents.
const (
	OpValidate Op = "Validate"
	OpPrepare  Op = "Prepare"
	OpCommit   Op = "Commit"
	OpAbort    Op = "Abort"
)

// Action is what the state machine says to do next.
type Action int

// Actions of a Step.
const (
	// ActionDone: the unit has reached the goal (or is past it).
	ActionDone Action = iota
	// ActionSend: send Step.Op.
	ActionSend
	// ActionWait: an operation is running on the platform; poll State.
	ActionWait
	// ActionSkip: the goal cannot be reached in this command and nothing is
	// wrong with the unit (it needs an earlier step, or is past the point
	// of no return): reported as skipped with Step.Reason.
	ActionSkip
	// ActionRefuse: the unit is in a state that needs the operator; reported
	// as failed with Step.Reason.
	ActionRefuse
)

// Step is one decision of the state machine.
type Step struct {
	Action Action
	Op     Op
	Reason string
}

// Next is the per-unit state machine: what moves a unit in phase from
// toward goal (Prepared, Committed or Aborted). It follows the platform's
// rules (drivers.md): Prepare runs from None and again from PrepareFailed;
// Commit from Prepared and again from CommitFailed; Abort from Prepared,
// PrepareFailed and AbortFailed, never after Commit.
func Next(goal, from Phase) Step {
	switch from {
	case Preparing, Committing, Aborting:
		return Step{Action: ActionWait}
	case Blocked:
		return Step{Action: ActionSkip, Reason: "blocked by validation findings"}
	}
	switch goal {
	case Prepared:
		switch from {
		case Planned, Validated, Aborted, PrepareFailed:
			return Step{Action: ActionSend, Op: OpPrepare}
		case Prepared, Committed, CommitFailed:
			return Step{Action: ActionDone}
		case AbortFailed:
			return Step{Action: ActionRefuse, Reason: "abort failed earlier: run abort again before preparing"}
		}
	case Committed:
		switch from {
		case Prepared, CommitFailed:
			return Step{Action: ActionSend, Op: OpCommit}
		case Committed:
			return Step{Action: ActionDone}
		case Planned, Validated, Aborted, PrepareFailed:
			return Step{Action: ActionSkip, Reason: "not prepared: prepare it first"}
		case AbortFailed:
			return Step{Action: ActionRefuse, Reason: "abort failed earlier: run abort again, then prepare"}
		}
	case Aborted:
		switch from {
		case Prepared, PrepareFailed, AbortFailed:
			return Step{Action: ActionSend, Op: OpAbort}
		case Aborted:
			return Step{Action: ActionDone}
		case Planned, Validated:
			// Like commit of an unprepared unit: there is nothing to
			// abort, and "done" would tell the operator something
			// happened (issue 11, section 2). Named, it fails the
			// command; in a whole-plan abort it is skipped.
			return Step{Action: ActionSkip, Reason: "never prepared: there is nothing to abort"}
		case Committed:
			return Step{Action: ActionSkip, Reason: "committed: commit is irreversible"}
		case CommitFailed:
			return Step{Action: ActionSkip, Reason: "commit failed: it can only be retried, not aborted"}
		}
	}
	return Step{Action: ActionRefuse, Reason: "no way from " + string(from) + " to " + string(goal)}
}

// transitional reports whether the platform is running an operation.
func transitional(s cloud.State) bool {
	return s == cloud.StatePreparing || s == cloud.StateCommitting || s == cloud.StateAborting
}

// PhaseOf maps the platform's state to a phase. The platform says None both
// for a unit never touched and for one aborted; the journal's record of the
// unit (its last operation and phase) tells which.
func PhaseOf(s cloud.State, rec journal.UnitState) Phase {
	switch s {
	case cloud.StateNone:
		switch {
		case rec.LastOp == string(OpAbort) || Phase(rec.Phase) == Aborted:
			return Aborted
		case Phase(rec.Phase) == Validated:
			return Validated
		default:
			return Planned
		}
	case cloud.StatePreparing:
		return Preparing
	case cloud.StatePrepared:
		return Prepared
	case cloud.StatePrepareFailed:
		return PrepareFailed
	case cloud.StateCommitting:
		return Committing
	case cloud.StateCommitted:
		return Committed
	case cloud.StateCommitFailed:
		return CommitFailed
	case cloud.StateAborting:
		return Aborting
	case cloud.StateAbortFailed:
		return AbortFailed
	}
	return Phase(s)
}

// during and outcome phases of each changing operation.
func opPhases(op Op) (during, succeeded, failed, goal Phase) {
	switch op {
	case OpPrepare:
		return Preparing, Prepared, PrepareFailed, Prepared
	case OpCommit:
		return Committing, Committed, CommitFailed, Committed
	default:
		return Aborting, Aborted, AbortFailed, Aborted
	}
}
