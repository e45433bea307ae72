package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Record kinds in the log.
const (
	KindIntent  = "intent"
	KindOutcome = "outcome"
	KindPhase   = "phase"
)

// Result of an operation, as an outcome records it.
type Result string

// Outcome results. Reconciled closes an intent whose call's effect was
// unknown (the process died, or the context was cancelled) once the
// platform's state has been read.
const (
	ResultSucceeded  Result = "succeeded"
	ResultFailed     Result = "failed"
	ResultTransient  Result = "transient"
	ResultReconciled Result = "reconciled"
)

// maxErrorText bounds stored error text: a journal is not a log sink.
const maxErrorText = 1024

// Record is one log entry: an intent, an outcome, or a phase observed
// without an operation (validation, reconciliation, blocking).
type Record struct {
	Seq  uint64 `json:"seq"`
	Kind string `json:"kind"`
	Unit string `json:"unit"`
	Op   string `json:"op,omitempty"`
	// Attempt counts the intents of one operation on one unit in one run,
	// from 1.
	Attempt int `json:"attempt,omitempty"`
	// Intent is, for an outcome, the Seq of the intent it closes.
	Intent uint64 `json:"intent,omitempty"`
	Result Result `json:"result,omitempty"`
	// Phase is the phase the unit is in after this record; "" means
	// unknown (a transient fault: the caller reads the state next).
	Phase string `json:"phase,omitempty"`
	// Error is the error text of a failed or transient outcome. Callers
	// pass driver errors, which never carry credentials.
	Error string    `json:"error,omitempty"`
	Time  time.Time `json:"time"`
}

// UnitState is the journal's view of one unit.
type UnitState struct {
	Unit    string    `json:"unit"`
	Phase   string    `json:"phase"`
	Updated time.Time `json:"updated"`
	// Pending is the unit's intent without an outcome, if any.
	Pending *Record `json:"pending,omitempty"`
	// LastOp is the operation of the unit's latest intent: reconciliation
	// needs it to tell Aborted from Planned when the platform says None.
	LastOp string `json:"lastOp,omitempty"`
	// Error is the error text of the latest failed outcome, cleared by the
	// next success.
	Error string `json:"error,omitempty"`
	// Rehearsal is set when the latest intent was a rehearsal's: a unit
	// a rehearsal left Prepared is the rehearsal's to abort.
	Rehearsal bool `json:"rehearsal,omitempty"`
}

// Findings summarises the validation findings of one unit.
type Findings struct {
	Unit     string   `json:"unit"`
	Blocked  bool     `json:"blocked"`
	Errors   int      `json:"errors"`
	Warnings int      `json:"warnings"`
	Rules    []string `json:"rules,omitempty"`
}

// Run is the metadata of a command that changed the journal, so that
// resume can repeat it.
type Run struct {
	// ID numbers the commands of a journal from 1; 0 is the one run of a
	// journal written before commands were numbered.
	ID uint64 `json:"id,omitempty"`
	// Command is the phases mode: validate, prepare, commit, abort, run or
	// rehearse.
	Command string `json:"command"`
	// Units are the unit ids the operator named; empty means every unit.
	Units    []string `json:"units"`
	Rehearse bool     `json:"rehearse"`
	// InventoryPath and InventorySHA256 identify the inventory the run was
	// planned from; resume refuses a changed one.
	InventoryPath   string    `json:"inventoryPath"`
	InventorySHA256 string    `json:"inventorySha256"`
	Started         time.Time `json:"started"`
	// Resumes counts the resumes of this run.
	Resumes int `json:"resumes,omitempty"`
	// Finished is set when the run ended without interruption.
	Finished *time.Time `json:"finished,omitempty"`
	// Interrupted is set when the run ended with work half done.
	Interrupted bool `json:"interrupted,omitempty"`
	// Abandoned is set when the operator gave the command up (`migrate
	// resume --abandon`): resume no longer finishes it.
	Abandoned *time.Time `json:"abandoned,omitempty"`
}

// ErrBadRecord is matched (errors.Is) by every decoding error of a record
// that is JSON but not a valid journal record.
var ErrBadRecord = errors.New("bad journal record")

// DecodeRecord decodes and checks one log record.
func DecodeRecord(b []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, fmt.Errorf("decode journal record: %w", err)
	}
	switch {
	case r.Seq == 0:
		return Record{}, fmt.Errorf("%w: seq is 0", ErrBadRecord)
	case r.Unit == "":
		return Record{}, fmt.Errorf("%w %d: no unit", ErrBadRecord, r.Seq)
	}
	switch r.Kind {
	case KindIntent:
		if r.Op == "" || r.Attempt < 1 {
			return Record{}, fmt.Errorf("%w %d: intent without op or attempt", ErrBadRecord, r.Seq)
		}
	case KindOutcome:
		if r.Intent == 0 || r.Intent >= r.Seq {
			return Record{}, fmt.Errorf("%w %d: outcome of intent %d", ErrBadRecord, r.Seq, r.Intent)
		}
		switch r.Result {
		case ResultSucceeded, ResultFailed, ResultTransient, ResultReconciled:
		default:
			return Record{}, fmt.Errorf("%w %d: result %q", ErrBadRecord, r.Seq, r.Result)
		}
	case KindPhase:
		if r.Phase == "" {
			return Record{}, fmt.Errorf("%w %d: phase record without phase", ErrBadRecord, r.Seq)
		}
	default:
		return Record{}, fmt.Errorf("%w %d: kind %q", ErrBadRecord, r.Seq, r.Kind)
	}
	return r, nil
}

// DecodeUnit decodes and checks one unit record.
func DecodeUnit(b []byte) (UnitState, error) {
	var u UnitState
	if err := json.Unmarshal(b, &u); err != nil {
		return UnitState{}, fmt.Errorf("decode journal unit: %w", err)
	}
	if u.Unit == "" {
		return UnitState{}, fmt.Errorf("%w: unit record without unit", ErrBadRecord)
	}
	if u.Pending != nil && (u.Pending.Kind != KindIntent || u.Pending.Unit != u.Unit) {
		return UnitState{}, fmt.Errorf("%w: unit %s: pending record is not its intent", ErrBadRecord, u.Unit)
	}
	return u, nil
}

// DecodeRun decodes and checks the run metadata.
func DecodeRun(b []byte) (Run, error) {
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return Run{}, fmt.Errorf("decode journal run: %w", err)
	}
	if r.Command == "" {
		return Run{}, fmt.Errorf("%w: run without command", ErrBadRecord)
	}
	return r, nil
}

// DecodeFindings decodes and checks one findings summary.
func DecodeFindings(b []byte) (Findings, error) {
	var f Findings
	if err := json.Unmarshal(b, &f); err != nil {
		return Findings{}, fmt.Errorf("decode journal findings: %w", err)
	}
	if f.Unit == "" || f.Errors < 0 || f.Warnings < 0 {
		return Findings{}, fmt.Errorf("%w: findings without unit or with negative counts", ErrBadRecord)
	}
	return f, nil
}

func clip(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	return s[:maxErrorText] + "..."
}
