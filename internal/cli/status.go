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
	"github.com/migrate-tool/migrate/pkg/exitcode"
	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/report"
)

func (a *app) newStatusCmd() *cobra.Command {
	var rebuild bool
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
			if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
				return badInput(err)
			}
			if rebuild {
				return a.rebuild(cmd.Context())
			}
			j, err := a.openReadJournal(cmd.Context())
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
			s, err := a.openReadSession(cmd.Context(), invPath, j)
			if err != nil {
				return err
			}
			defer func() { _ = s.Close() }() // read-only
			st, err := phases.Status(cmd.Context(), s.journal, s.driver, s.plan, phases.TargetsFor(s.inv))
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
		},
	}
	c.Flags().BoolVar(&rebuild, "rebuild", false, "for a damaged journal: keep it aside (renamed with the time) and build a new one from the platform's state of every unit of the inventory's plan")
	return c
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

func (a *app) newResumeCmd() *cobra.Command {
	var abandonAll bool
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
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
				return badInput(err)
			}
			j, err := a.openJournal("resume")
			if err != nil {
				return err
			}
			defer keepCloseErr(&err, j.Close)
			if abandonAll {
				return a.abandon(j)
			}
			return a.resume(cmd.Context(), j)
		},
	}
	c.Flags().BoolVar(&abandonAll, "abandon", false, "give up every unfinished command instead of finishing it: resume forgets them, units keep the phases they reached")
	c.Flags().StringVar(&a.resumeStaging, "staging", "", "the disk step's staging container URL with a fresh SAS (the journal keeps none)")
	return c
}

// resume finishes every unfinished phase command the journal records,
// oldest first, then the recorded disk step.
func (a *app) resume(ctx context.Context, j *journal.Journal) error {
	runs, err := j.Unfinished()
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	conv, hasConv, err := getConvertRecord(j)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	pendingConv := hasConv && !conv.Finished
	if len(runs) == 0 && !pendingConv {
		return badInput(phases.ErrNothingToResume)
	}
	invPath := a.cfg.Inventory
	explicit := invPath
	if invPath == "" {
		if len(runs) > 0 {
			invPath = runs[len(runs)-1].InventoryPath
		} else if run, err := j.Run(); err == nil {
			invPath = run.InventoryPath
		}
		a.cfg.Inventory = invPath
	}
	var runErr error
	for i, run := range runs {
		fmt.Fprintf(a.io.ErrOut, "migrate: resuming %s\n", phases.Describe(run))
		// A unit named by a later unfinished command is that command's:
		// the operator's latest word on a unit wins.
		err := a.resumeRun(ctx, j, run, explicit, later(runs[i+1:]))
		if code := exitCode(err); code == ExitInterrupted || code == ExitBadInput || ctx.Err() != nil {
			return err
		}
		if worse(err, runErr) {
			runErr = err
		}
	}
	if !pendingConv {
		return runErr
	}
	fmt.Fprintln(a.io.ErrOut, "migrate: resuming the disk step")
	vms := conv.VMs
	if conv.FromRun {
		// The journal this command holds: opening it again would wait on
		// its own lock.
		s, err := a.openSession(ctx, "resume", invPath, j, nil)
		if err != nil {
			return err
		}
		vms, err = a.committedVMs(ctx, s)
		_ = s.Close()
		if err != nil {
			return err
		}
	}
	cf := conv.flags()
	if isURL(cf.staging) {
		// The journal keeps no SAS: the operator gives a fresh one.
		if a.resumeStaging == "" {
			return badInputf("resume: the disk step stages through %s: give --staging with that container's URL and a fresh SAS", cf.staging)
		}
		if disks.RedactURL(a.resumeStaging) != cf.staging {
			return badInputf("resume: --staging names %s, but the disk step stages through %s", disks.RedactURL(a.resumeStaging), cf.staging)
		}
		cf.staging = a.resumeStaging
	}
	convErr := a.convertDisks(ctx, cf, vms, j, conv.FromRun, true)
	if worse(convErr, runErr) {
		return convErr
	}
	return runErr
}

// worse reports whether err should replace prev as the outcome: an
// operation that failed matters more than findings.
func worse(err, prev error) bool {
	if err == nil {
		return false
	}
	if prev == nil {
		return true
	}
	return exitcode.Worst(exitCode(prev), exitCode(err)) != exitCode(prev)
}

// later are the units named by later commands; a later command over every
// unit (run, rehearse) claims none, since it waits for the earlier ones.
func later(runs []journal.Run) map[string]bool {
	out := map[string]bool{}
	for _, r := range runs {
		for _, u := range r.Units {
			out[u] = true
		}
	}
	return out
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
func (a *app) resumeRun(ctx context.Context, j *journal.Journal, run journal.Run, invPath string, skip map[string]bool) (err error) {
	if invPath == "" {
		invPath = run.InventoryPath
	}
	s, err := a.openSession(ctx, "resume", invPath, j, nil)
	if err != nil {
		return err
	}
	defer keepCloseErr(&err, s.Close)
	o, err := phases.ResumeCommand(a.phaseOptions(s, "", nil, nil), run)
	if err != nil {
		var ice *phases.InventoryChangedError
		if errors.As(err, &ice) {
			return badInput(err)
		}
		return fmt.Errorf("resume: %w", err)
	}
	if len(skip) > 0 {
		var units []string
		for _, id := range unitsOrAll(s, o.Units) {
			if !skip[id] {
				units = append(units, id)
			}
		}
		if len(units) == 0 {
			return j.FinishRun(run.ID)
		}
		o.Units = units
	}
	prog := a.newProgress(s.plan, len(unitsOrAll(s, o.Units)))
	defer prog.Close()
	o.Events = prog.Event
	ex, err := phases.New(o)
	if err != nil {
		return err
	}
	return a.runExecutor(ctx, ex, s, o.Units, prog)
}
