package orchestrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// RunRequest is what a run (or one phase command) is asked to do.
type RunRequest struct {
	// Mode is the phase command: phases.ModeRun when empty.
	Mode phases.Mode
	// Units are the units named; nil means every unit of the plan.
	Units []string
	// ConvertDisks: then the disk step on the VMs of every unit that
	// committed.
	ConvertDisks bool
	// DisksOnly: the target has no classic side (Azure Stack Hub), so the
	// disk step is the whole run, over every VM; it confirms its VMs
	// itself.
	DisksOnly bool
}

// Run carries out a phase command, by default the whole plan (validate,
// prepare, commit wave by wave), and then, when asked, the disk step on
// the VMs of the units that committed. The disk step is journaled before
// the first change so resume continues it whichever step was interrupted.
// The disk step does not start after an interrupt or a refusal; after
// failed or blocked units it converts the VMs that did commit, and the
// worse of the two steps decides the outcome.
func Run(ctx context.Context, d Deps, r RunRequest) Outcome {
	var o Outcome
	if r.DisksOnly {
		st, err := d.Disks.Convert(ctx, DiskStep{})
		o.add(step(d, StepDisks, "", st, err))
		return o
	}
	mode := r.Mode
	if mode == "" {
		mode = phases.ModeRun
	}
	if d.Confirm != nil {
		if err := d.Confirm(ctx); err != nil {
			o.stop(d.failed(StepConfirm, "", err))
			return o
		}
	}
	if r.ConvertDisks {
		if err := d.Disks.Intend(ctx); err != nil {
			o.stop(d.failed(StepJournal, "", fmt.Errorf("journal: %w", err)))
			return o
		}
	}
	st, err := d.Phases.Run(ctx, mode, r.Units)
	ph := step(d, StepPhases, string(mode), st, err)
	o.add(ph)
	if !r.ConvertDisks || ends(ctx, ph) {
		return o
	}
	vms, err := d.Phases.CommittedVMs(ctx, "")
	if err != nil {
		o.stop(d.failed(StepPhases, "read the committed units", err))
		return o
	}
	if len(vms) == 0 {
		return o
	}
	st, err = d.Disks.Convert(ctx, DiskStep{VMs: vms, FromRun: true})
	o.add(step(d, StepDisks, "", st, err))
	return o
}

// Rehearse is the documented dry run: validate, prepare and abort each
// unit (nil: every unit), leaving the estate as it was.
func Rehearse(ctx context.Context, d Deps, units []string) Outcome {
	var o Outcome
	st, err := d.Phases.Run(ctx, phases.ModeRehearse, units)
	o.add(step(d, StepPhases, string(phases.ModeRehearse), st, err))
	return o
}

// Resume finishes whatever the journal records as unfinished, whichever
// command started it: every unfinished phase command, oldest first (a
// unit named by a later one is left to it: the operator's latest word on
// a unit wins), then the disk step (of a run: over the VMs of the units
// committed by now). It stops at an interrupt or a refusal; a failure of
// one command does not keep the next from being finished.
func Resume(ctx context.Context, d Deps) Outcome {
	var o Outcome
	runs, err := d.Journal.Unfinished()
	if err != nil {
		o.stop(d.failed(StepJournal, "", fmt.Errorf("resume: %w", err)))
		return o
	}
	rec, hasRec, err := d.Journal.DiskStep()
	if err != nil {
		o.stop(d.failed(StepJournal, "", fmt.Errorf("resume: %w", err)))
		return o
	}
	pendingDisks := hasRec && !rec.Finished
	if len(runs) == 0 && !pendingDisks {
		o.stop(StepOutcome{Step: StepJournal, Status: Refused, Err: phases.ErrNothingToResume})
		return o
	}
	// The inventory of the latest command: the disk step's VMs are those
	// of its plan.
	var inv string
	if len(runs) > 0 {
		inv = runs[len(runs)-1].InventoryPath
	} else if last, err := d.Journal.LastRun(); err == nil {
		inv = last.InventoryPath
	} else if !errors.Is(err, journal.ErrNoRun) {
		o.stop(d.failed(StepJournal, "", fmt.Errorf("resume: %w", err)))
		return o
	}
	for i, run := range runs {
		what := phases.Describe(run)
		d.emit(Event{Kind: EventResumingCommand, What: what})
		st, err := d.Phases.Resume(ctx, run, laterUnits(runs[i+1:]))
		ph := step(d, StepPhases, what, st, err)
		if ends(ctx, ph) {
			o.stop(ph)
			return o
		}
		o.add(ph)
	}
	if !pendingDisks {
		return o
	}
	d.emit(Event{Kind: EventResumingDisks, What: "the disk step"})
	vms := rec.VMs
	if rec.FromRun {
		if vms, err = d.Phases.CommittedVMs(ctx, inv); err != nil {
			o.stop(d.failed(StepPhases, "read the committed units", err))
			return o
		}
	}
	st, err := d.Disks.Convert(ctx, DiskStep{VMs: vms, FromRun: rec.FromRun, Resume: true, Inventory: inv})
	o.add(step(d, StepDisks, "", st, err))
	return o
}

// step is the outcome of a step that returned a status or an error.
func step(d Deps, s Step, what string, st Status, err error) StepOutcome {
	if err != nil {
		return d.failed(s, what, err)
	}
	return StepOutcome{Step: s, What: what, Status: st}
}

// ends reports whether the command stops after a step: interrupted (the
// operator asked for nothing new to start), refused (bad input: nothing
// more may change), or the context is gone.
func ends(ctx context.Context, st StepOutcome) bool {
	return st.Status == Interrupted || st.Status == Refused || ctx.Err() != nil
}

// laterUnits are the units named by later commands; a later command over
// every unit (run, rehearse) claims none, since it waits for the earlier
// ones.
func laterUnits(runs []journal.Run) map[string]bool {
	out := map[string]bool{}
	for _, r := range runs {
		for _, u := range r.Units {
			out[u] = true
		}
	}
	return out
}
