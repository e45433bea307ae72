package phases

import (
	"context"
	"errors"
	"fmt"

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

// ResumeOptions turns base into the options that resume the command the
// journal recorded: its mode and units, after checking base.Inventory's
// fingerprint against the recorded one (*InventoryChangedError). Use it
// with New to keep Drain; Resume does both.
func ResumeOptions(base Options) (Options, error) {
	if base.Journal == nil {
		return Options{}, errors.New("phases: Journal is required")
	}
	run, err := base.Journal.Run()
	if errors.Is(err, journal.ErrNoRun) {
		return Options{}, ErrNothingToResume
	}
	if err != nil {
		return Options{}, err
	}
	if run.InventorySHA256 != "" && run.InventorySHA256 != base.Inventory.SHA256 {
		return Options{}, &InventoryChangedError{Path: run.InventoryPath, Recorded: run.InventorySHA256, Current: base.Inventory.SHA256}
	}
	base.Mode = Mode(run.Command)
	base.Units = run.Units
	base.Inventory = InventoryRef{Path: run.InventoryPath, SHA256: run.InventorySHA256}
	base.resumed = true
	return base, nil
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
