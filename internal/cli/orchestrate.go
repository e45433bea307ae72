package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/migrate-tool/migrate/pkg/orchestrate"
	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// finish maps an orchestrated command's outcome to its exit code: the one
// place where how a run, a rehearsal or a resume ended becomes a code. The
// steps printed their own results; an error that decided the outcome is
// printed by Main.
func finish(o orchestrate.Outcome) error {
	if o.Status == orchestrate.Done {
		return nil
	}
	// The code is the outcome's; the message Main prints is the step's,
	// as it would have printed the step's own error.
	// A step's ExitError without a message already said what happened.
	err := o.Err
	if ee := (*ExitError)(nil); errors.As(err, &ee) && ee.Err == nil {
		err = nil
	}
	return &ExitError{Code: codeOf(o.Status), Err: err}
}

// finishStep is finish for a command of one step: an error stays the
// step's own.
func finishStep(st orchestrate.Status, err error) error {
	if err != nil {
		return err
	}
	return finish(orchestrate.Outcome{Status: st})
}

// codeOf is cli.md's exit code of a status.
func codeOf(s orchestrate.Status) int {
	switch s {
	case orchestrate.Done:
		return ExitOK
	case orchestrate.Refused:
		return ExitBadInput
	case orchestrate.Blocked:
		return ExitBlocked
	case orchestrate.Interrupted:
		return ExitInterrupted
	}
	return ExitFailed
}

// statusOf classifies an error a step returned instead of a result, by
// the command line's one error map (exitCode).
func statusOf(err error) orchestrate.Status {
	switch exitCode(err) {
	case ExitOK:
		return orchestrate.Done
	case ExitBadInput:
		return orchestrate.Refused
	case ExitBlocked:
		return orchestrate.Blocked
	case ExitInterrupted:
		return orchestrate.Interrupted
	}
	return orchestrate.Failed
}

// deps are the orchestration's dependencies over the journal j the
// command holds; s, when set, is the session of a run (its plan, driver
// and units).
func (a *app) deps(j *journal.Journal, s *session) orchestrate.Deps {
	return orchestrate.Deps{
		Phases:   &phaseSteps{a: a, s: s, j: j, explicit: a.cfg.Inventory},
		Journal:  journalRecords{j},
		Classify: statusOf,
		Events: func(e orchestrate.Event) {
			fmt.Fprintf(a.io.ErrOut, "migrate: resuming %s\n", e.What)
		},
	}
}

// phaseSteps runs phase commands for the orchestration.
type phaseSteps struct {
	a *app
	// s is the session of the command (nil in resume, which opens one per
	// recorded command).
	s *session
	j *journal.Journal
	// explicit is the inventory the operator gave ("" for none): resume
	// then uses it instead of each command's recorded path.
	explicit string
}

func (p *phaseSteps) Run(ctx context.Context, mode phases.Mode, units []string) (orchestrate.Status, error) {
	a, s := p.a, p.s
	prog := a.newProgress(s.plan, len(unitsOrAll(s, units)))
	defer prog.Close()
	ex, err := phases.New(a.phaseOptions(s, mode, units, prog.Event))
	if err != nil {
		return orchestrate.Failed, err
	}
	return a.runExecutor(ctx, ex, s, units, prog)
}

func (p *phaseSteps) Resume(ctx context.Context, run journal.Run, skip map[string]bool) (orchestrate.Status, error) {
	return p.a.resumeRun(ctx, p.j, run, p.explicit, skip)
}

func (p *phaseSteps) CommittedVMs(ctx context.Context, inv string) ([]string, error) {
	if p.s != nil {
		return p.a.committedVMs(ctx, p.s)
	}
	// The journal this command holds: opening it again would wait on its
	// own lock.
	s, err := p.a.openSession(ctx, "resume", p.a.resumeInventory(inv), p.j, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.Close() }()
	return p.a.committedVMs(ctx, s)
}

// resumeInventory is the inventory resume's disk step works on: the one
// the operator gave, else the one the latest command recorded (which then
// becomes the command's own).
func (a *app) resumeInventory(recorded string) string {
	if a.cfg.Inventory == "" {
		a.cfg.Inventory = recorded
	}
	return a.cfg.Inventory
}

// journalRecords reads what orchestration needs of the journal.
type journalRecords struct{ j *journal.Journal }

func (r journalRecords) Unfinished() ([]journal.Run, error) { return r.j.Unfinished() }
func (r journalRecords) LastRun() (journal.Run, error)      { return r.j.Run() }

func (r journalRecords) DiskStep() (orchestrate.DiskRecord, bool, error) {
	rec, ok, err := getConvertRecord(r.j)
	if err != nil || !ok {
		return orchestrate.DiskRecord{}, ok, err
	}
	return orchestrate.DiskRecord{Finished: rec.Finished, FromRun: rec.FromRun, VMs: rec.VMs}, true, nil
}

// diskSteps runs the disk step for the orchestration with the flags cf.
type diskSteps struct {
	a  *app
	cf convertFlags
	// j is the journal the command holds; nil: the step opens it.
	j *journal.Journal
	// yes: the operator already agreed (--yes, or the run that carries
	// the step); otherwise the step asks about its VMs.
	yes bool
	// resumeStaging is resume's --staging: the staging container's URL
	// with a fresh SAS (the journal keeps none).
	resumeStaging string
}

func (d *diskSteps) Intend(context.Context) error {
	return putConvertRecord(d.j, d.cf.record(nil, true))
}

func (d *diskSteps) Convert(ctx context.Context, step orchestrate.DiskStep) (orchestrate.Status, error) {
	cf := d.cf
	if step.Resume {
		d.a.resumeInventory(step.Inventory)
		var err error
		if cf, err = resumeFlags(d.j, d.resumeStaging); err != nil {
			return orchestrate.Failed, err
		}
	}
	return d.a.convertDisks(ctx, cf, step.VMs, d.j, step.FromRun, d.yes)
}
