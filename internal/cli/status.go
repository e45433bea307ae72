package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/report"
)

func (a *app) newStatusCmd() *cobra.Command {
	return &cobra.Command{
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
			j, err := a.openJournal("status")
			if err != nil {
				return err
			}
			defer j.Close()
			invPath := a.cfg.Inventory
			if invPath == "" {
				run, err := j.Run()
				if err != nil && !errors.Is(err, journal.ErrNoRun) {
					return fmt.Errorf("status: %w", err)
				}
				invPath = run.InventoryPath
			}
			if invPath == "" {
				return badInputf("status: no inventory given and no run recorded in %s", a.cfg.StateDir)
			}
			s, err := a.openSession(cmd.Context(), "status", invPath, j, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			st, err := phases.Status(cmd.Context(), s.journal, s.driver, s.plan, phases.TargetsFor(s.inv))
			if err != nil {
				return fmt.Errorf("status: %w", err)
			}
			if st == nil {
				st = []phases.UnitStatus{}
			}
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
		},
	}
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
	c := &cobra.Command{
		Use:   "resume",
		Short: "Finish what an interrupted run (or phase command) left",
		Long: `resume reads the journal, settles every operation that was in flight when the
previous command stopped by reading the unit's state from the platform
(nothing is sent before that), and then repeats the recorded command on the
units that have not reached its goal. A Commit is never sent to a unit the
platform reports committed or committing.

The inventory is the one the interrupted command recorded; resume refuses to
continue if it changed since.`,
		Example: `  migrate resume
  migrate resume -o json`,
		Args: wantArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
				return badInput(err)
			}
			j, err := a.openJournal("resume")
			if err != nil {
				return err
			}
			defer j.Close()
			return a.resume(cmd.Context(), j)
		},
	}
	c.Flags().StringVar(&a.resumeStaging, "staging", "", "the disk step's staging container URL with a fresh SAS (the journal keeps none)")
	return c
}

// resume finishes the recorded phase command, then the recorded disk step.
func (a *app) resume(ctx context.Context, j *journal.Journal) error {
	run, err := j.Run()
	hasRun := err == nil
	if err != nil && !errors.Is(err, journal.ErrNoRun) {
		return fmt.Errorf("resume: %w", err)
	}
	conv, hasConv, err := getConvertRecord(j)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	pendingRun := hasRun && run.Finished == nil
	pendingConv := hasConv && !conv.Finished
	if !pendingRun && !pendingConv {
		return badInput(phases.ErrNothingToResume)
	}
	invPath := a.cfg.Inventory
	if invPath == "" && hasRun {
		invPath = run.InventoryPath
		a.cfg.Inventory = invPath
	}
	var runErr error
	if pendingRun {
		runErr = a.resumeRun(ctx, j, invPath)
		if code := exitCode(runErr); code == ExitInterrupted || code == ExitBadInput || ctx.Err() != nil {
			return runErr
		}
	}
	if !pendingConv {
		return runErr
	}
	vms := conv.VMs
	if conv.FromRun {
		s, err := a.openSession(ctx, "resume", invPath, nil, nil)
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
	convErr := a.convertDisks(ctx, cf, vms, j, conv.FromRun)
	if runErr == nil || exitCode(convErr) == ExitInterrupted || exitCode(convErr) == ExitFailed {
		return convErr
	}
	return runErr
}

// resumeRun finishes the phase command the journal recorded.
func (a *app) resumeRun(ctx context.Context, j *journal.Journal, invPath string) error {
	s, err := a.openSession(ctx, "resume", invPath, j, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	prog := a.newProgress(len(s.plan.Units))
	defer prog.Close()
	o, err := phases.ResumeOptions(a.phaseOptions(s, "", nil, prog.Event))
	if err != nil {
		var ice *phases.InventoryChangedError
		if errors.As(err, &ice) {
			return badInput(err)
		}
		return fmt.Errorf("resume: %w", err)
	}
	ex, err := phases.New(o)
	if err != nil {
		return err
	}
	return a.runExecutor(ctx, ex, s, o.Units, prog)
}
