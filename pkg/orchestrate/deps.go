package orchestrate

import (
	"context"

	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// Phases runs phase commands on the journal the orchestrated command
// holds. Each method prints the result of what it ran (the caller's
// printer); none is safe for concurrent use with another.
type Phases interface {
	// Run carries out mode over units (nil: every unit of the plan). The
	// status is the result's (its units done, blocked, failed or
	// interrupted); an error means it could not run to a result.
	Run(ctx context.Context, mode phases.Mode, units []string) (Status, error)
	// Resume finishes one recorded unfinished command, leaving out the
	// units in skip; a command left with no unit is marked finished.
	Resume(ctx context.Context, run journal.Run, skip map[string]bool) (Status, error)
	// CommittedVMs are the classic ids of the VMs whose units are
	// Committed, as status reads them (the journal reconciled with the
	// platform). inventory is the path of the inventory the recorded
	// command used, "" for the command's own.
	CommittedVMs(ctx context.Context, inventory string) ([]string, error)
}

// DiskStep is one run of the disk step.
type DiskStep struct {
	// VMs are the VMs to convert; nil means every VM of the inventory.
	VMs []string
	// FromRun: the disk step of a run, over the VMs of the units that
	// committed.
	FromRun bool
	// Resume: the step continues one the journal records (its options
	// are the recorded ones).
	Resume bool
	// Inventory is the inventory the recorded command used ("" for the
	// command's own).
	Inventory string
}

// Disks runs the disk step.
type Disks interface {
	// Intend journals, before anything changes, that this command goes
	// on with the disk step, with its options, so that resume continues
	// it whichever step was interrupted.
	Intend(ctx context.Context) error
	// Convert runs the disk step and prints its result. The status is
	// the result's (a VM failed, one interrupted); an error means it
	// could not run to a result. The step marks its record finished when
	// every VM is done.
	Convert(ctx context.Context, step DiskStep) (Status, error)
}

// DiskRecord is what the journal keeps of the last disk step.
type DiskRecord struct {
	// Finished: ended with every VM done, or given up.
	Finished bool
	// FromRun: the disk step of a run, over the VMs of the units that
	// committed (VMs is then empty).
	FromRun bool
	VMs     []string
}

// Journal is what orchestration reads of the journal the command holds.
type Journal interface {
	// Unfinished are the phase commands not finished nor abandoned,
	// oldest first.
	Unfinished() ([]journal.Run, error)
	// LastRun is the last phase command recorded; journal.ErrNoRun when
	// there is none.
	LastRun() (journal.Run, error)
	// DiskStep is the record of the last disk step; false when there is
	// none.
	DiskStep() (DiskRecord, bool, error)
}

// EventKind is what an Event reports.
type EventKind int

// The events.
const (
	// EventResumingCommand: resume continues the phase command What
	// describes.
	EventResumingCommand EventKind = iota + 1
	// EventResumingDisks: resume continues the disk step.
	EventResumingDisks
)

// Event reports a step starting, for the operator.
type Event struct {
	Kind EventKind
	What string
}

// Deps are what the orchestrated commands work with. Phases, Journal and
// Classify are needed by every command; Disks by those with a disk step.
type Deps struct {
	Phases  Phases
	Disks   Disks
	Journal Journal
	// Confirm, when set, is the one question before an irreversible
	// change, asked once before anything changes; an error (refused,
	// cancelled at the prompt) ends the command with nothing changed.
	Confirm func(ctx context.Context) error
	// Events, when set, receives the events; it must not block.
	Events func(Event)
	// Classify says how a command ends when a step returns an error
	// rather than a result (bad input: Refused; cancelled: Interrupted).
	// It is never given nil.
	Classify func(error) Status
}

func (d Deps) emit(e Event) {
	if d.Events != nil {
		d.Events(e)
	}
}

// failed is the outcome of a step that returned err.
func (d Deps) failed(step Step, what string, err error) StepOutcome {
	return StepOutcome{Step: step, What: what, Status: d.Classify(err), Err: err}
}
