package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/orchestrate"
	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/report"
	"github.com/migrate-tool/migrate/pkg/validate"
)

func (a *app) phaseCommands() []*cobra.Command {
	return []*cobra.Command{
		a.newPhaseCmd(nil, phaseSpec{
			use: "prepare [UNIT...]", mode: phases.ModePrepare,
			short: "Prepare units: lock the classic management plane, create the Resource Manager side",
			long: `prepare runs the platform's Validate and then Prepare on each unit (no argument:
every unit of the plan, in plan order). Units with blocking findings are
refused, and so is everything that depends on them; the rest go on. VMs not
in a VNet are restarted by Prepare (stopped, deallocated and started again
in a Resource Manager VNet: their private IP changes). A prepared unit can
be committed (migrate commit) or rolled back (migrate abort).`,
			example: `  migrate prepare --inventory estate.json vnet/contoso-vnet
  migrate prepare --inventory estate.json --parallel 8`,
		}),
		a.newPhaseCmd(nil, phaseSpec{
			use: "commit [UNIT...]", mode: phases.ModeCommit, irreversible: true,
			short: "Commit prepared units (irreversible)",
			long: `commit finishes the migration of prepared units: the Resource Manager resources
become the real ones and the classic ones are removed. It cannot be undone,
so it asks for confirmation on a terminal and needs --yes otherwise; without
either it refuses and changes nothing. A Commit is never sent twice to a
unit: after a fault, a crash or an interrupt the unit's state is read first.`,
			example: `  migrate commit --inventory estate.json vnet/contoso-vnet --yes`,
		}),
		a.newPhaseCmd(nil, phaseSpec{
			use: "abort [UNIT...]", mode: phases.ModeAbort,
			short: "Abort prepared units, returning them to the classic model",
			long: `abort rolls back Prepare: the Resource Manager resources it made are deleted and
the classic management plane unlocked. The platform refuses Abort after
Commit. An aborted unit can be prepared again.`,
			example: `  migrate abort --inventory estate.json vnet/contoso-vnet`,
		}),
		a.newRunCmd(nil),
		a.newStatusCmd(nil),
		a.newResumeCmd(nil),
	}
}

type phaseSpec struct {
	use, short, long, example string
	mode                      phases.Mode
	irreversible              bool
}

// PhaseOptions are what prepare, commit and abort are asked.
type PhaseOptions struct {
	Mode phases.Mode
	// Units are the units named; none means every unit of the plan.
	Units []string
	// Yes: commit without asking (commit only).
	Yes bool
}

// newPhaseCmd is prepare, commit or abort; runF, when set, is run instead
// of runPhase (tests of the flags).
func (a *app) newPhaseCmd(runF func(context.Context, *PhaseOptions) error, spec phaseSpec) *cobra.Command {
	if runF == nil {
		runF = a.runPhase
	}
	o := &PhaseOptions{Mode: spec.mode}
	c := &cobra.Command{
		Use: spec.use, Short: spec.short, Long: spec.long, Example: spec.example,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Units = args
			return runF(cmd.Context(), o)
		},
	}
	if spec.irreversible {
		c.Flags().BoolVar(&o.Yes, "yes", false, "commit without asking (Commit is irreversible)")
	}
	return c
}

// runPhase runs one phase command over the units named.
func (a *app) runPhase(ctx context.Context, o *PhaseOptions) error {
	if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
		return badInput(err)
	}
	irreversible := o.Mode == phases.ModeCommit
	if irreversible {
		if err := a.refuseWithoutYes(o.Yes); err != nil {
			return err
		}
	}
	return a.execute(ctx, o.Mode, o.Units, !irreversible || o.Yes)
}

// RunOptions are what run is asked.
type RunOptions struct {
	Yes          bool
	Rehearse     bool
	ConvertDisks bool
	// PlanFile is the plan saved by `migrate plan --out` to run exactly.
	PlanFile string
	// Disks are the disk step's flags.
	Disks convertFlags
}

// check refuses the combinations of run's flags that cannot work, before
// anything is read.
func (o *RunOptions) check() error {
	if o.Rehearse && o.ConvertDisks {
		return badInputf("--rehearse and --convert-disks: a rehearsal commits nothing, so there is nothing to convert (nothing was changed)")
	}
	return nil
}

// newRunCmd is run; runF, when set, is run instead of runRun (tests of
// the flags).
func (a *app) newRunCmd(runF func(context.Context, *RunOptions) error) *cobra.Command {
	if runF == nil {
		runF = a.runRun
	}
	o := &RunOptions{}
	c := &cobra.Command{
		Use:   "run",
		Short: "The whole plan: validate, prepare, commit, wave by wave",
		Long: `run migrates the whole plan: every unit is validated, prepared and committed, a
unit starting as soon as every unit it depends on has committed, up to
--parallel at once. Units with blocking findings, and everything downstream
of them, are left untouched while independent units go on (exit 3).

--rehearse is the documented dry run: validate, prepare and abort each unit,
leaving the estate as it was and reporting what would have failed. Storage
accounts cannot be prepared before their VMs are committed, so a rehearsal
validates them only.

The first interrupt (Ctrl-C) starts nothing new and lets the operations in
flight finish; the second stops at once (exit 4). Either way
"migrate resume" continues, and a Commit is never sent twice.`,
		Example: `  migrate run --inventory estate.json --rehearse
  migrate run --inventory estate.json --yes --parallel 8
  migrate run --inventory estate.json --yes -o json > result.json`,
		Args: wantArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runF(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.Yes, "yes", false, "commit without asking (Commit is irreversible)")
	c.Flags().BoolVar(&o.Rehearse, "rehearse", false, "validate, prepare and abort: leave the estate as it was")
	c.Flags().StringVar(&o.PlanFile, "plan", "", "run exactly the plan saved by migrate plan --out FILE; refused when the inventory changed since")
	c.Flags().BoolVar(&o.ConvertDisks, "convert-disks", false, "then turn the migrated VMs' VHDs into managed disks (see migrate disks convert)")
	o.Disks.add(c)
	return c
}

// runRun runs the whole plan (or rehearses it), then the disk step when
// asked.
func (a *app) runRun(ctx context.Context, o *RunOptions) error {
	if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
		return badInput(err)
	}
	if err := o.check(); err != nil {
		return err
	}
	// --plan: exactly the saved plan's units, or exit 2 if stale.
	var units []string
	if o.PlanFile != "" {
		var err error
		if units, err = a.loadSavedPlan(o.PlanFile); err != nil {
			return err
		}
		if o.ConvertDisks {
			// The saved plan's disk step is the one that runs.
			if err := a.savedDiskStep(o.PlanFile, &o.Disks); err != nil {
				return err
			}
		}
	}
	if hub, err := a.hubTarget(); err != nil {
		return err
	} else if hub {
		if !o.ConvertDisks || o.Rehearse || o.PlanFile != "" {
			return errNoClassicSide()
		}
		// No classic phase at all: the disk step is the run.
		fmt.Fprintln(a.io.ErrOut, "migrate: Azure Stack Hub has no classic side; running the disk step only")
		d := orchestrate.Deps{Disks: &diskSteps{a: a, cf: o.Disks, yes: o.Yes}, Classify: statusOf}
		return finish(orchestrate.Run(ctx, d, orchestrate.RunRequest{DisksOnly: true}))
	}
	if o.Rehearse {
		return a.execute(ctx, phases.ModeRehearse, units, true)
	}
	if !o.ConvertDisks {
		if err := a.refuseWithoutYes(o.Yes); err != nil {
			return err
		}
		return a.execute(ctx, phases.ModeRun, units, o.Yes)
	}
	// The disk step's plan is checked before anything changes: a disk the
	// target cannot hold refuses the whole run.
	po, err := o.Disks.planOptions()
	if err != nil {
		return err
	}
	inv, err := a.loadInventory()
	if err != nil {
		return err
	}
	if _, err := conversionPlan(inv, po); err != nil {
		return err
	}
	if err := a.refuseWithoutYes(o.Yes); err != nil {
		return err
	}
	return a.runAndConvert(ctx, o.Disks, units, o.Yes)
}

// runAndConvert runs the whole plan (units: those of a saved plan, nil for
// every unit) and then the disk step on the VMs of every unit that
// committed, holding the journal throughout.
func (a *app) runAndConvert(ctx context.Context, cf convertFlags, units []string, yes bool) (err error) {
	defer a.oneDocument(&err)()
	s, err := a.openSession(ctx, string(phases.ModeRun), "", nil, units)
	if err != nil {
		return err
	}
	defer keepCloseErr(&err, s.Close)
	d := a.deps(s.journal, s)
	d.Confirm = func(ctx context.Context) error {
		return a.askCommit(ctx, yes, unitsOrAll(s, s.units), "then the migrated VMs go to managed disks (each deallocated, and removed and recreated where the platform has no conversion of its own)")
	}
	// The run carries the disk step: the operator agreed to both at once.
	d.Disks = &diskSteps{a: a, cf: cf, j: s.journal, yes: true}
	return finish(orchestrate.Run(ctx, d, orchestrate.RunRequest{Units: s.units, ConvertDisks: true}))
}

// committedVMs are the classic ids of the VMs whose units are committed.
func (a *app) committedVMs(ctx context.Context, s *session) ([]string, error) {
	st, err := phases.Status(ctx, s.journal, s.driver, s.plan, phases.TargetsFor(s.inv))
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	committed := map[string]bool{}
	for _, u := range st {
		if u.Phase == phases.Committed {
			committed[u.ID] = true
		}
	}
	var vms []string
	for _, cs := range s.inv.CloudServices {
		for _, r := range cs.Deployment.Roles {
			if r.Kind != inventory.RoleVirtualMachine {
				continue
			}
			id := inventory.VMID(cs.Name, r.Name)
			if committed[s.plan.UnitOf(id)] {
				vms = append(vms, id)
			}
		}
	}
	return vms, nil
}

// refuseWithoutYes refuses an irreversible command before anything is
// opened when there is neither --yes nor a terminal to ask on.
func (a *app) refuseWithoutYes(yes bool) error {
	if yes || a.io.InTTY {
		return nil
	}
	return badInputf("commit is irreversible: pass --yes to commit without a terminal to confirm on (nothing was changed)")
}

// askCommit lists the units a command will commit, once the driver has
// named the target, and asks on the terminal (see confirm). then says what
// follows the commits, "" when nothing does.
func (a *app) askCommit(ctx context.Context, yes bool, units []string, then string) error {
	if yes {
		return nil
	}
	if a.io.InTTY {
		fmt.Fprintf(a.io.ErrOut, "Units to commit (%d; each is validated and prepared first where it is not yet, and one with blocking findings is left alone):\n", len(units))
		for _, u := range units {
			fmt.Fprintf(a.io.ErrOut, "  %s\n", u)
		}
	}
	prompt := "Commit is irreversible: the classic resources will be removed"
	if then != "" {
		prompt += "; " + then
	}
	return a.confirm(ctx, yes, "commit",
		"commit is irreversible: pass --yes to commit without a terminal to confirm on (nothing was changed)",
		prompt+". Type yes to commit: ")
}

// confirm is the one question before an irreversible change: --yes
// answers it; without a terminal it is refused (exit 2, the refusal names
// --yes); on a terminal only "yes" goes on. what names the change in the
// messages of a refusal or a cancel.
func (a *app) confirm(ctx context.Context, yes bool, what, refusal, prompt string) error {
	if yes {
		return nil
	}
	if !a.io.InTTY {
		return badInputf("%s", refusal)
	}
	fmt.Fprint(a.io.ErrOut, prompt)
	answer := make(chan string, 1)
	go func() {
		// Left blocked on the terminal after an interrupt; the process
		// ends soon after.
		line, _ := bufio.NewReader(a.io.In).ReadString('\n')
		answer <- line
	}()
	select {
	case line := <-answer:
		if strings.TrimSpace(strings.ToLower(line)) != "yes" {
			return badInputf("%s not confirmed (nothing was changed)", what)
		}
		return nil
	case <-a.drain:
	case <-ctx.Done():
	}
	fmt.Fprintln(a.io.ErrOut)
	return &ExitError{Code: ExitFailed, Err: fmt.Errorf("%s cancelled at the prompt (nothing was changed)", what)}
}

// execute runs one phase command (a rehearsal included) and prints its
// result. yes: nothing to ask (no commit, or --yes); otherwise the units
// are listed and confirmed once the session has named the target.
func (a *app) execute(ctx context.Context, mode phases.Mode, args []string, yes bool) (err error) {
	s, err := a.openSession(ctx, string(mode), "", nil, args)
	if err != nil {
		return err
	}
	defer keepCloseErr(&err, s.Close)
	d := a.deps(s.journal, s)
	if mode == phases.ModeRehearse {
		return finish(orchestrate.Rehearse(ctx, d, s.units))
	}
	d.Confirm = func(ctx context.Context) error {
		return a.askCommit(ctx, yes, unitsOrAll(s, s.units), "")
	}
	return finish(orchestrate.Run(ctx, d, orchestrate.RunRequest{Mode: mode, Units: s.units}))
}

func unitsOrAll(s *session, units []string) []string {
	if len(units) > 0 {
		return units
	}
	all := make([]string, len(s.plan.Units))
	for i, u := range s.plan.Units {
		all[i] = u.ID
	}
	return all
}

// runExecutor runs ex with the two-stage interrupt wired in, prints the
// result and says how it ended.
func (a *app) runExecutor(ctx context.Context, ex *phases.Executor, s *session, units []string, prog *progress) (orchestrate.Status, error) {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-a.drain:
			ex.Drain()
		case <-stop:
		}
	}()
	res, err := ex.Run(ctx)
	prog.Close()
	if err != nil && !errors.Is(err, context.Canceled) {
		return orchestrate.Failed, err
	}
	if perr := a.printResult(res, s, units, prog.stats); perr != nil {
		return orchestrate.Failed, perr
	}
	if st := phaseStatus(res); st != orchestrate.Done || err == nil {
		return st, nil
	}
	// Cancelled with every unit's outcome settled: still half done.
	return orchestrate.Interrupted, nil
}

// phaseStatus is how a phase command's result ended.
func phaseStatus(res phases.Result) orchestrate.Status {
	var ss []orchestrate.Status
	if res.Interrupted {
		ss = append(ss, orchestrate.Interrupted)
	}
	if res.Failed > 0 {
		ss = append(ss, orchestrate.Failed)
	}
	if res.Blocked > 0 {
		ss = append(ss, orchestrate.Blocked)
	}
	return orchestrate.Worst(ss...)
}

// resultDoc is the JSON/YAML shape of a phase command's result.
type resultDoc struct {
	Units    []resultUnit       `json:"units" yaml:"units"`
	Findings []validate.Finding `json:"findings" yaml:"findings"`
	Summary  resultSummary      `json:"summary" yaml:"summary"`
}

type resultUnit struct {
	ID      string `json:"id" yaml:"id"`
	Phase   string `json:"phase" yaml:"phase"`
	Outcome string `json:"outcome" yaml:"outcome"`
	Reason  string `json:"reason,omitempty" yaml:"reason,omitempty"`
	Error   string `json:"error,omitempty" yaml:"error,omitempty"`
}

type resultSummary struct {
	Units       int  `json:"units" yaml:"units"`
	Done        int  `json:"done" yaml:"done"`
	Failed      int  `json:"failed" yaml:"failed"`
	Blocked     int  `json:"blocked" yaml:"blocked"`
	Skipped     int  `json:"skipped" yaml:"skipped"`
	Interrupted bool `json:"interrupted" yaml:"interrupted"`
	ExitCode    int  `json:"exitCode" yaml:"exitCode"`
}

func (a *app) printResult(res phases.Result, s *session, units []string, stats *runStats) error {
	doc := resultDoc{Units: []resultUnit{}, Findings: findingsFor(s, units, res)}
	for _, u := range res.Units {
		ru := resultUnit{ID: u.ID, Phase: string(u.Phase), Outcome: string(u.Outcome), Reason: u.Reason}
		if u.Err != nil {
			ru.Error = u.Err.Error()
		}
		doc.Units = append(doc.Units, ru)
	}
	doc.Summary = resultSummary{
		Units: len(res.Units), Done: res.Done, Failed: res.Failed, Blocked: res.Blocked,
		Skipped: res.Skipped, Interrupted: res.Interrupted, ExitCode: codeOf(phaseStatus(res)),
	}
	if a.structured() {
		return a.writeDoc(doc)
	}
	t := newTable(a.io.Out, "UNIT", "PHASE", "OUTCOME", "REASON")
	for _, u := range doc.Units {
		reason := u.Reason
		if u.Error != "" && reason == "" {
			reason = u.Error
		}
		t.row(u.ID, u.Phase, u.Outcome, reason)
	}
	t.flush()
	if n := countErrors(doc.Findings); n > 0 {
		fmt.Fprintf(a.io.Out, "\n%d blocking finding(s); `migrate validate` lists them with their recommendations.\n", n)
	}
	fmt.Fprintf(a.io.Out, "\n%d units: %d done, %d failed, %d blocked, %d skipped", doc.Summary.Units, res.Done, res.Failed, res.Blocked, res.Skipped)
	if res.Interrupted {
		fmt.Fprint(a.io.Out, "; interrupted: `migrate resume` continues")
	}
	if sum := stats.summary(); sum != "" {
		fmt.Fprint(a.io.Out, "; "+sum)
	}
	fmt.Fprintln(a.io.Out)
	switch {
	case res.Interrupted:
	case res.Failed > 0:
		fmt.Fprintln(a.io.Out, "Next: read each failed unit's reason above (and the log), fix it, then `migrate resume` or run the command again.")
	case res.Blocked > 0:
		fmt.Fprintln(a.io.Out, "Next: `migrate validate` lists the blocking findings with what to do; the units downstream wait for them.")
	}
	return nil
}

// findingsFor are the offline findings of the selected units plus the
// platform's Validate messages the run collected.
func findingsFor(s *session, units []string, res phases.Result) []validate.Finding {
	sel := map[string]bool{}
	for _, u := range units {
		sel[u] = true
	}
	out := []validate.Finding{}
	for _, f := range s.findings {
		if len(sel) == 0 || sel[f.Unit] {
			out = append(out, f)
		}
	}
	for _, u := range res.Units {
		out = append(out, validate.FromPlatform(u.ID, u.Messages)...)
	}
	return mergeFindings(out)
}

func countErrors(fs []validate.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity == validate.SeverityError {
			n++
		}
	}
	return n
}

// hubTarget reports whether the configured inventory targets Azure Stack
// Hub (exit 2 when it cannot be read).
func (a *app) hubTarget() (bool, error) {
	inv, err := a.loadInventory()
	if err != nil {
		return false, err
	}
	return inv.Target.Cloud == inventory.CloudAzureStackHub, nil
}
