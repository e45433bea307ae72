package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/orchestrate"
	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/report"
)

// StatusOptions are what status is asked.
type StatusOptions struct {
	// Rebuild: replace a damaged journal by one read from the platform.
	Rebuild bool
}

// newStatusCmd is status; runF, when set, is run instead of runStatus
// (tests of the flags).
func (a *app) newStatusCmd(runF func(context.Context, *StatusOptions) error) *cobra.Command {
	if runF == nil {
		runF = a.runStatus
	}
	o := &StatusOptions{}
	c := &cobra.Command{
		Use:   "status",
		Short: "Every unit's phase from the journal, reconciled with the cloud",
		Long: `status prints each unit's phase as the journal records it, checked against the
platform's own migration state (the cloud wins: a difference is shown).
The inventory is the one given, or the one the last run recorded.`,
		Example: `  migrate status
  migrate status -o json | jq -r '.units[] | select(.phase!="Committed") | .id'`,
		Args: wantArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runF(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.Rebuild, "rebuild", false, "for a damaged journal: keep it aside (renamed with the time) and build a new one from the platform's state of every unit of the inventory's plan")
	return c
}

// runStatus prints every unit's phase, the journal's reconciled with the
// platform's.
func (a *app) runStatus(ctx context.Context, o *StatusOptions) error {
	if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
		return badInput(err)
	}
	if o.Rebuild {
		return a.rebuild(ctx)
	}
	j, err := a.openReadJournal(ctx)
	if err != nil {
		return err
	}
	if j != nil {
		defer func() { _ = j.Close() }() // a read-only snapshot
		a.warnRehearsal(j)
		if h, ok := j.Holder(); ok {
			fmt.Fprintf(a.io.ErrOut, "migrate: %s holds %s: this is its journal as of now\n", h, a.cfg.StateDir)
		}
	}
	invPath := a.cfg.Inventory
	if invPath == "" && j != nil {
		run, err := j.Run()
		if err != nil && !errors.Is(err, journal.ErrNoRun) {
			return fmt.Errorf("status: %w", err)
		}
		invPath = run.InventoryPath
	}
	if invPath == "" {
		return badInputf("status: no inventory given and no run recorded in %s", a.cfg.StateDir)
	}
	s, err := a.openReadSession(ctx, invPath, j)
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }() // read-only
	st, err := phases.Status(ctx, s.journal, s.driver, s.plan, phases.TargetsFor(s.inv))
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if st == nil {
		st = []phases.UnitStatus{}
	}
	unreadable := 0
	for _, u := range st {
		if u.Err != nil {
			unreadable++
		}
	}
	if err := a.printStatus(st); err != nil {
		return err
	}
	if unreadable > 0 {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("status: the platform state of %d unit(s) could not be read: their phase is the journal's", unreadable)}
	}
	return nil
}

// rebuild replaces a damaged journal by one read back from the platform.
func (a *app) rebuild(ctx context.Context) (err error) {
	if a.cfg.Inventory == "" {
		return badInputf("status --rebuild: give --inventory: the damaged journal cannot say which one")
	}
	host, _ := os.Hostname()
	j, aside, err := journal.Rebuild(a.cfg.StateDir, journal.Holder{Host: host, PID: os.Getpid(), Command: "migrate status --rebuild", Since: time.Now().UTC()}, time.Now())
	switch {
	case errors.Is(err, journal.ErrNotDamaged):
		return badInputf("status --rebuild: %v (it may hold unfinished commands: `migrate resume` finishes them)", err)
	case errors.Is(err, journal.ErrLocked):
		return &ExitError{Code: ExitFailed, Err: err}
	case err != nil:
		return err
	}
	defer keepCloseErr(&err, j.Close)
	if aside != "" {
		fmt.Fprintf(a.io.ErrOut, "migrate: the damaged journal is kept as %s\n", aside)
	}
	s, err := a.openSession(ctx, "status --rebuild", a.cfg.Inventory, j, nil)
	if err != nil {
		return err
	}
	defer keepCloseErr(&err, s.Close)
	st, err := phases.Rebuild(ctx, j, s.driver, s.plan, phases.TargetsFor(s.inv))
	if err != nil {
		return fmt.Errorf("status --rebuild: %w", err)
	}
	if err := a.printStatus(st); err != nil {
		return err
	}
	for _, u := range st {
		if u.Err != nil {
			return &ExitError{Code: ExitFailed, Err: errors.New("status --rebuild: some units' state could not be read: run it again once the platform answers")}
		}
	}
	fmt.Fprintln(a.io.ErrOut, "migrate: journal rebuilt from the platform; commands recorded in the damaged one are not resumed: run them again")
	return nil
}

func (a *app) printStatus(st []phases.UnitStatus) error {
	if a.structured() {
		return a.writeDoc(phases.StatusDocument{Units: st})
	}
	t := newTable(a.io.Out, "UNIT", "PHASE", "UPDATED", "NOTE")
	for _, u := range st {
		note := ""
		switch {
		case u.Err != nil:
			note = "platform state unreadable: " + u.Err.Error()
		case u.Differs:
			note = fmt.Sprintf("journal said %s; the platform's state wins", orNone(string(u.Journal)))
		}
		if u.Pending != "" {
			note = joinNote(note, u.Pending+" in flight or interrupted: `migrate resume` settles it")
		}
		t.row(u.ID, string(u.Phase), u.Updated.UTC().Format(time.RFC3339), note)
	}
	t.flush()
	return nil
}

// openReadJournal opens the state directory's journal read-only (no lock,
// nothing written or created); nil when there is none yet. A damaged one
// is exit 1 naming the damage.
func (a *app) openReadJournal(ctx context.Context) (*journal.Journal, error) {
	j, err := journal.OpenReadOnly(ctx, a.cfg.StateDir)
	switch {
	case errors.Is(err, journal.ErrNoJournal):
		return nil, nil
	case err != nil:
		return nil, &ExitError{Code: ExitFailed, Err: err}
	}
	return j, nil
}

// untouched is the platform as a state directory without a simulated
// cloud knows it: no unit has been sent anything.
type untouched struct{ cloud.Migrator }

func (untouched) State(context.Context, cloud.Target) (cloud.State, error) {
	return cloud.StateNone, nil
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// ResumeOptions are what resume is asked.
type ResumeOptions struct {
	// Abandon: give the unfinished commands up instead.
	Abandon bool
	// Staging is the disk step's staging container URL with a fresh SAS.
	Staging string
}

// newResumeCmd is resume; runF, when set, is run instead of runResume
// (tests of the flags).
func (a *app) newResumeCmd(runF func(context.Context, *ResumeOptions) error) *cobra.Command {
	if runF == nil {
		runF = a.runResume
	}
	o := &ResumeOptions{}
	c := &cobra.Command{
		Use:   "resume",
		Short: "Finish what an interrupted run (or phase command) left",
		Long: `resume reads the journal, settles every operation that was in flight when the
previous command stopped by reading the unit's state from the platform
(nothing is sent before that), and then repeats every unfinished command
the journal keeps, oldest first, on the units that have not reached its
goal; a unit named by a later unfinished command is left to that one. It
says which command it is resuming. A Commit is never sent to a unit the
platform reports committed or committing. A rehearsal is finished by
aborting every unit it prepared.

--abandon gives the unfinished commands up instead: resume forgets them and
their units keep the phases they reached.

The inventory is the one the interrupted command recorded; resume refuses to
continue if it changed since.`,
		Example: `  migrate resume
  migrate resume -o json`,
		Args: wantArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runF(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.Abandon, "abandon", false, "give up every unfinished command instead of finishing it: resume forgets them, units keep the phases they reached")
	c.Flags().StringVar(&o.Staging, "staging", "", "the disk step's staging container URL with a fresh SAS (the journal keeps none)")
	return c
}

// runResume finishes (or, --abandon, gives up) whatever the journal
// records as unfinished.
func (a *app) runResume(ctx context.Context, o *ResumeOptions) (err error) {
	if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
		return badInput(err)
	}
	j, err := a.openJournal("resume")
	if err != nil {
		return err
	}
	defer keepCloseErr(&err, j.Close)
	if o.Abandon {
		return a.abandon(j)
	}
	return a.resume(ctx, j, o.Staging)
}

// resume finishes every unfinished phase command the journal records,
// oldest first, then the recorded disk step.
func (a *app) resume(ctx context.Context, j *journal.Journal, staging string) error {
	d := a.deps(j, nil)
	d.Disks = &diskSteps{a: a, j: j, yes: true, resumeStaging: staging}
	return finish(orchestrate.Resume(ctx, d))
}

// resumeFlags are the recorded disk step's flags, with the fresh SAS of a
// staging container given to resume (the journal keeps none).
func resumeFlags(j *journal.Journal, staging string) (convertFlags, error) {
	conv, _, err := getConvertRecord(j)
	if err != nil {
		return convertFlags{}, fmt.Errorf("resume: %w", err)
	}
	cf := conv.flags()
	if isURL(cf.staging) {
		if staging == "" {
			return cf, badInputf("resume: the disk step stages through %s: give --staging with that container's URL and a fresh SAS", cf.staging)
		}
		if disks.RedactURL(staging) != cf.staging {
			return cf, badInputf("resume: --staging names %s, but the disk step stages through %s", disks.RedactURL(staging), cf.staging)
		}
		cf.staging = staging
	}
	return cf, nil
}

// abandon gives up every unfinished command (and the disk step) so resume
// no longer finishes them; units keep the phases they reached.
func (a *app) abandon(j *journal.Journal) error {
	runs, err := j.Unfinished()
	if err != nil {
		return fmt.Errorf("resume --abandon: %w", err)
	}
	conv, hasConv, err := getConvertRecord(j)
	if err != nil {
		return fmt.Errorf("resume --abandon: %w", err)
	}
	if len(runs) == 0 && !(hasConv && !conv.Finished) {
		return badInput(phases.ErrNothingToResume)
	}
	for _, r := range runs {
		if err := j.AbandonRun(r.ID); err != nil {
			return err
		}
		fmt.Fprintf(a.io.ErrOut, "migrate: abandoned %s\n", phases.Describe(r))
	}
	if hasConv && !conv.Finished {
		conv.Finished, conv.Abandoned = true, true
		if err := putConvertRecord(j, conv); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		fmt.Fprintln(a.io.ErrOut, "migrate: abandoned the disk step")
	}
	return nil
}

// resumeRun finishes one recorded phase command, leaving out the units in
// skip. invPath, when the operator gave one, replaces the recorded path
// (a moved file); its fingerprint must still match.
func (a *app) resumeRun(ctx context.Context, j *journal.Journal, run journal.Run, invPath string, skip map[string]bool) (_ orchestrate.Status, err error) {
	if invPath == "" {
		invPath = run.InventoryPath
	}
	s, err := a.openSession(ctx, "resume", invPath, j, nil)
	if err != nil {
		return orchestrate.Failed, err
	}
	defer keepCloseErr(&err, s.Close)
	o, err := phases.ResumeCommand(a.phaseOptions(s, "", nil, nil), run)
	if err != nil {
		var ice *phases.InventoryChangedError
		if errors.As(err, &ice) {
			return orchestrate.Refused, badInput(err)
		}
		return orchestrate.Failed, fmt.Errorf("resume: %w", err)
	}
	if len(skip) > 0 {
		var units []string
		for _, id := range unitsOrAll(s, o.Units) {
			if !skip[id] {
				units = append(units, id)
			}
		}
		if len(units) == 0 {
			return orchestrate.Done, j.FinishRun(run.ID)
		}
		o.Units = units
	}
	prog := a.newProgress(s.plan, len(unitsOrAll(s, o.Units)))
	defer prog.Close()
	o.Events = prog.Event
	ex, err := phases.New(o)
	if err != nil {
		return orchestrate.Failed, err
	}
	return a.runExecutor(ctx, ex, s, o.Units, prog)
}
