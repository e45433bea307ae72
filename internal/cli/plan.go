package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/report"
	"github.com/migrate-tool/migrate/pkg/validate"
)

// planOpts are the plan command's own flags.
type planOpts struct {
	prepareTime time.Duration
	commitTime  time.Duration
	// out is where the saved plan goes (a file, or a directory: see Long).
	out string
	// detailedExitCode: exit 3 when findings block a unit.
	detailedExitCode bool
	// convert shapes the disk step's plan.
	convert convertFlags
	// calibrateFrom is a state directory whose measured operations
	// calibrate the timing model.
	calibrateFrom string
}

func (a *app) newPlanCmd() *cobra.Command {
	var o planOpts
	c := &cobra.Command{
		Use:   "plan",
		Short: "Dry-run report: units, waves, findings, downtime, disk volume, forecast",
		Long: `plan reads the inventory and prints what would migrate as which unit, in what
order (waves: a unit waits for every unit it depends on), with what downtime
("restart" for VMs not in a VNet, "none" in a VNet), how much disk data is
involved, every offline finding with its recommendation, and a forecast of
the run's duration from per-operation durations and --parallel.

Formats: table (default), json, yaml, markdown (a report to keep for the
change board) and dot (the dependency graph, for Graphviz).

The forecast is a range (likely and pessimistic) over the whole change
window: every unit's Validate, Prepare and Commit, timed by a model that
grows with what the unit holds (VMs, cloud services, disks, gateways) and is
calibrated from Microsoft's published figures (the migration FAQ: a few tens
of VMs in under an hour, hundreds in a few hours); each unit's management-
plane lock from Prepare to Commit; each VM's restart (VMs not in a VNet);
then the disk step. The Markdown report lists the model's assumptions.
Override an operation with a measured figure in the config file
(timing.validate, timing.prepare, timing.commit, timing.restart) or with
--prepare-time and --commit-time; the simulator's --sim-latency does not
change the forecast. --calibrate-from STATE_DIR calibrates it from what a
"run --rehearse" (or a run) measured there: each measured unit takes its
measured time, the others the model's time scaled by the ratio measured
over modelled (on the simulator its history's simulated durations, on
Azure the journal's). The simulator itself runs on the same model, so
"migrate run" on it takes the simulated hours forecast, compressed by
MIGRATE_SIM_TIME_SCALE.

The disk step (unmanaged VHDs to managed disks, after Commit) is planned
too: per VM its method and why (platform: Azure's own Convert To Managed
Disks, a few minutes whatever the size; precopy: copied while the VM runs,
only what changed copied at cut-over; cutover: every byte while the VM is
down), its downtime, what a recreate cannot carry over, and its batch:
at most --parallel VMs down together, never two of one availability set.
The batches say who is down together, from when and for how long, and the
disk step's whole window. --method forces a method (refused, exit 2, where
the target cannot do it); --change-rate is how fast the VMs write while
pre-copied (default 1MB per second); --disk-api-version is the target's
disk API (Azure Stack Hub's default 2017-12-01 cannot pre-copy; 2019-07-01
can).

--out FILE saves the plan: a versioned, deterministic JSON file (the
inventory's hash and a fingerprint of each resource, the target, the
options, the units in order, the findings, the forecast) that
"migrate run --plan FILE" executes exactly, refusing it once the inventory
has changed. --out DIR (an existing directory, or a path ending in /) writes
DIR/plan.json, and with -o markdown also DIR/plan.md and, when Graphviz's
dot is on the PATH, DIR/plan.svg (the dependency graph, which plan.md shows).

--detailed-exitcode exits 3 when findings block a unit, so CI can gate on it;
without it plan exits 0 whatever it found.`,
		Example: `  migrate plan --inventory estate.json
  migrate plan --inventory estate.json -o markdown > change-board.md
  migrate plan --inventory estate.json -o markdown --out change-board/
  migrate plan --inventory estate.json --out plan.json --detailed-exitcode && migrate run --plan plan.json --yes
  migrate plan --inventory hub.json --disk-api-version 2019-07-01 --change-rate 5MB
  migrate plan --inventory estate.json -o dot | dot -Tsvg > plan.svg
  migrate plan --inventory estate.json -o json | jq '.units[] | select(.downtime=="restart") | .id'`,
		Args: wantArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := report.Validate(a.cfg.Output, "table", "json", "yaml", "markdown", "dot"); err != nil {
				return badInput(err)
			}
			inv, p, err := a.loadPlan()
			if err != nil {
				return err
			}
			r := report.Report{Plan: p, Findings: validate.Check(inv, p)}
			// The disk step's plan is part of the report; what the target
			// cannot hold is shown there (and by the stack-* rules).
			po, err := o.convert.planOptions()
			if err != nil {
				return err
			}
			po.Parallel = a.cfg.Parallel
			cp, err := conversionPlan(inv, po)
			var pe *convert.PlanError
			switch {
			case errors.As(err, &pe) && pe.RefusesOptions():
				// A method or disk API the target cannot do: no disk
				// step could run as asked, so no report either.
				return err
			case cp != nil:
				r.Conversion = cp
			case err != nil:
				return err
			}
			m := a.timingModel(cmd, o)
			if o.calibrateFrom != "" {
				ms, source, err := measurements(cmd.Context(), o.calibrateFrom)
				if err != nil {
					return err
				}
				m.Calibrate(p, source, ms)
			}
			// Against a state directory where units have moved: what is
			// left, and nothing to do when nothing is.
			mv, err := a.movedUnits(cmd.Context(), p)
			if err != nil {
				return err
			}
			if r.Plan, r.Findings, err = a.leftToDo(p, r.Findings, m, mv); err != nil {
				return err
			}
			if len(r.Plan.Units) == 0 && len(p.Units) > 0 {
				nothing := fmt.Sprintf("Nothing to do: every unit of the plan is committed (state directory %s).", a.cfg.StateDir)
				if a.cfg.Output == "table" || a.cfg.Output == "markdown" {
					fmt.Fprintln(a.io.Out, nothing)
					return nil
				}
				// Machine formats get their (empty) document.
				fmt.Fprintln(a.io.ErrOut, nothing)
			}
			r.Forecast = m.Window(r.Plan, a.cfg.Parallel, report.DiskJobs(r.Conversion))
			r.Meta = a.reportMeta(inv)
			if err := a.savePlan(cmd.Context(), inv, r, o.convert, o.out); err != nil {
				return err
			}
			if err := report.RenderWith(a.io.Out, r, a.renderOptions()); err != nil {
				return err
			}
			if o.detailedExitCode && len(validate.Blocked(r.Findings)) > 0 {
				return &ExitError{Code: ExitBlocked}
			}
			return nil
		},
	}
	c.Flags().StringVar(&o.out, "out", "", "save the plan to FILE (or DIR/plan.json, with the Markdown report and its SVG graph in DIR)")
	c.Flags().BoolVar(&o.detailedExitCode, "detailed-exitcode", false, "exit 3 when findings block a unit (default: 0 for a report)")
	c.Flags().DurationVar(&o.prepareTime, "prepare-time", 0, "forecast: how long one Prepare takes, whatever the unit (default: the timing model)")
	c.Flags().BoolVar(&o.convert.stream, "stream", false, "disk step: plan streamed uploads instead of server-side Import")
	c.Flags().StringVar(&o.convert.bandwidth, "max-bandwidth", "", "disk step: per-disk bandwidth cap to plan with, at least 1KiB (implies streaming)")
	c.Flags().IntVar(&o.convert.iops, "max-iops", 0, "disk step: per-disk IOPS cap to plan with (implies streaming)")
	c.Flags().StringVar(&o.convert.accountType, "account-type", "", "disk step: managed disk type for every disk")
	o.convert.addMethod(c)
	c.Flags().DurationVar(&o.commitTime, "commit-time", 0, "forecast: how long one Commit takes, whatever the unit (default: the timing model)")
	c.Flags().StringVar(&o.calibrateFrom, "calibrate-from", "", "forecast: calibrate the timing model from what a rehearsal or run measured in this state directory")
	return c
}

// timingModel is the forecast's model: the calibrated default, then the
// configuration's timing section, then the flags.
func (a *app) timingModel(cmd *cobra.Command, o planOpts) *plan.Model {
	m := plan.DefaultModel()
	for _, op := range plan.Operations() {
		if d, ok := a.cfg.Timing[op]; ok {
			m.Override(op, d)
		}
	}
	if cmd.Flags().Changed("prepare-time") {
		m.Override(plan.OpPrepare, o.prepareTime)
	}
	if cmd.Flags().Changed("commit-time") {
		m.Override(plan.OpCommit, o.commitTime)
	}
	return m
}

// reportMeta is what the Markdown report opens with.
func (a *app) reportMeta(inv *inventory.Inventory) *report.Meta {
	m := &report.Meta{
		Subscription:  inv.SubscriptionID,
		Cloud:         inv.Target.Cloud,
		InventoryFile: a.cfg.Inventory,
		Date:          time.Now().UTC().Format(time.RFC3339),
		ToolVersion:   readBuildInfo().Short(),
	}
	m.Tenant = a.cfg.Azure.TenantID
	if sum, err := journal.HashFile(a.cfg.Inventory); err == nil {
		m.InventorySHA256 = sum
	}
	return m
}

// savePlan writes the saved plan (and, for a directory, the Markdown report
// and its SVG graph) where --out says; "" writes nothing. Every file is
// written atomically.
func (a *app) savePlan(ctx context.Context, inv *inventory.Inventory, r report.Report, cf convertFlags, out string) error {
	if out == "" {
		return nil
	}
	dir := ""
	if st, err := os.Stat(out); err == nil && st.IsDir() || strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(os.PathSeparator)) {
		dir = out
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("plan --out: %w", err)
		}
		out = filepath.Join(dir, "plan.json")
	}
	findings := make([]plan.SavedFinding, 0, len(r.Findings))
	for _, f := range r.Findings {
		findings = append(findings, plan.SavedFinding{Rule: f.Rule, Severity: string(f.Severity), Resource: f.Resource,
			Unit: f.Unit, Message: f.Message, Recommendation: f.Recommendation})
	}
	opts := plan.Options{Driver: a.cfg.Driver, Parallel: a.cfg.Parallel, DiskStep: cf.saved()}
	if len(a.cfg.Timing) > 0 {
		opts.Timing = map[plan.Operation]string{}
		for op, d := range a.cfg.Timing {
			opts.Timing[op] = d.String()
		}
	}
	art, err := plan.NewArtifact(inv, a.cfg.Inventory, readBuildInfo().Short(), r.Plan, findings, r.Forecast, opts)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := art.Write(&b); err != nil {
		return err
	}
	if err := renameio.WriteFile(out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("plan --out: %w", err)
	}
	if dir == "" || a.cfg.Output != "markdown" {
		return nil
	}
	// The graph as a picture, when Graphviz is there to draw it: the DOT
	// rendering piped through dot -Tsvg.
	if dotPath, err := exec.LookPath("dot"); err == nil {
		var src, svg bytes.Buffer
		if err := report.Render(&src, r, report.FormatDOT); err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, dotPath, "-Tsvg") //nolint:gosec // dotPath is exec.LookPath("dot"); the arguments are fixed

		cmd.Stdin, cmd.Stdout = &src, &svg
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("plan --out: draw the graph with %s: %w", dotPath, err)
		}
		if err := renameio.WriteFile(filepath.Join(dir, "plan.svg"), svg.Bytes(), 0o644); err != nil {
			return fmt.Errorf("plan --out: %w", err)
		}
		m := *r.Meta // the copy on stdout does not sit beside the picture
		m.Graph = "plan.svg"
		r.Meta = &m
	}
	var md bytes.Buffer
	if err := report.Render(&md, r, report.FormatMarkdown); err != nil {
		return err
	}
	if err := renameio.WriteFile(filepath.Join(dir, "plan.md"), md.Bytes(), 0o644); err != nil {
		return fmt.Errorf("plan --out: %w", err)
	}
	return nil
}

// saved are the disk step's flags the plan was made with, by flag name;
// nil when all are defaults.
func (f convertFlags) saved() map[string]string {
	m := map[string]string{}
	for name, v := range map[string]string{"method": f.method, "change-rate": f.changeRate, "disk-api-version": f.diskAPIVersion,
		"max-bandwidth": f.bandwidth, "account-type": f.accountType} {
		if v != "" {
			m[name] = v
		}
	}
	if f.stream {
		m["stream"] = "true"
	}
	if f.iops != 0 {
		m["max-iops"] = fmt.Sprint(f.iops)
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// loadSavedPlan reads a saved plan and checks it against the inventory as
// it is now: the unit ids to run, in the saved order, or exit 2 naming what
// changed.
func (a *app) loadSavedPlan(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, badInput(fmt.Errorf("--plan: %w", err))
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose
	art, err := plan.ReadArtifact(f)
	if err != nil {
		return nil, badInput(fmt.Errorf("--plan %s: %w", file, err))
	}
	inv, err := a.loadInventory()
	if err != nil {
		return nil, err
	}
	if err := art.Stale(inv); err != nil {
		return nil, badInput(fmt.Errorf("--plan %s: %w", file, err))
	}
	return art.UnitIDs(), nil
}

// loadPlan loads the inventory and builds its plan; a cyclic plan is bad
// input.
func (a *app) loadPlan() (*inventory.Inventory, *plan.Plan, error) {
	inv, err := a.loadInventory()
	if err != nil {
		return nil, nil, err
	}
	p, err := plan.Build(inv)
	if err != nil {
		return nil, nil, badInput(err)
	}
	return inv, p, nil
}
