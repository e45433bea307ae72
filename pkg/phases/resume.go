package phases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// InventoryChangedError means resume was asked to continue a run with an
// inventory that is not the one the run was planned from.
type InventoryChangedError struct {
	// Path is the inventory the run recorded.
	Path string
	// Recorded and Current are the SHA-256 fingerprints.
	Recorded, Current string
}

func (e *InventoryChangedError) Error() string {
	return fmt.Sprintf("inventory %s changed since the interrupted run (sha256 %.12s, now %.12s): resume continues a run only with the inventory it was planned from; start a new command instead", e.Path, e.Recorded, e.Current)
}

// ErrNothingToResume means the journal records no command to resume.
var ErrNothingToResume = errors.New("nothing to resume: no command recorded in the state directory")

// ResumeOptions turns base into the options that resume the oldest
// unfinished command the journal records; see ResumeCommand.
func ResumeOptions(base Options) (Options, error) {
	if base.Journal == nil {
		return Options{}, errors.New("phases: Journal is required")
	}
	runs, err := base.Journal.Unfinished()
	if err != nil {
		return Options{}, err
	}
	if len(runs) == 0 {
		return Options{}, ErrNothingToResume
	}
	return ResumeCommand(base, runs[0])
}

// ResumeCommand turns base into the options that resume run, one of the
// journal's unfinished commands: its mode and units, after checking
// base.Inventory's fingerprint against the recorded one
// (*InventoryChangedError). Use it with New to keep Drain.
func ResumeCommand(base Options, run journal.Run) (Options, error) {
	if base.Journal == nil {
		return Options{}, errors.New("phases: Journal is required")
	}
	if run.InventorySHA256 != "" && run.InventorySHA256 != base.Inventory.SHA256 {
		return Options{}, &InventoryChangedError{Path: run.InventoryPath, Recorded: run.InventorySHA256, Current: base.Inventory.SHA256}
	}
	base.Mode = Mode(run.Command)
	base.Units = run.Units
	base.Inventory = InventoryRef{Path: run.InventoryPath, SHA256: run.InventorySHA256}
	base.resumed = true
	base.resumeID = run.ID
	return base, nil
}

// Describe says in words which recorded command resume continues, e.g.
// "migrate run (started 2026-11-22T01:02:03Z, interrupted, resumed 1 time)".
func Describe(run journal.Run) string {
	what := "migrate " + run.Command
	if run.Command == string(ModeRehearse) {
		what = "migrate run --rehearse"
	}
	if len(run.Units) > 0 {
		what += " " + strings.Join(run.Units, " ")
	}
	state := "stopped before it finished"
	if run.Interrupted {
		state = "interrupted"
	}
	s := fmt.Sprintf("%s (started %s, %s", what, run.Started.UTC().Format(time.RFC3339), state)
	if run.Resumes > 0 {
		s += fmt.Sprintf(", resumed %d time(s) before", run.Resumes)
	}
	return s + ")"
}

// Resume re-runs the command recorded in the journal on its units, after
// reconciliation: units already at the command's goal are read, not sent
// anything; the rest continue from the phase the platform reports.
func Resume(ctx context.Context, base Options) (Result, error) {
	o, err := ResumeOptions(base)
	if err != nil {
		return Result{}, err
	}
	return Execute(ctx, o)
}
