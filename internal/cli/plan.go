package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/report"
	"github.com/migrate-tool/migrate/pkg/validate"
)

// planOpts are the plan command's own flags.
type planOpts struct {
	prepareTime time.Duration
	commitTime  time.Duration
	// convert shapes the disk step's plan.
	convert convertFlags
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
change the forecast.`,
		Example: `  migrate plan --inventory estate.json
  migrate plan --inventory estate.json -o markdown > change-board.md
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
			if cp, err := conversionPlan(inv, po); cp != nil {
				r.Conversion = cp
			} else if err != nil {
				return err
			}
			r.Forecast = a.timingModel(cmd, o).Window(p, a.cfg.Parallel, report.DiskJobs(r.Conversion))
			return report.Render(a.io.Out, r, a.cfg.Output)
		},
	}
	c.Flags().DurationVar(&o.prepareTime, "prepare-time", 0, "forecast: how long one Prepare takes, whatever the unit (default: the timing model)")
	c.Flags().BoolVar(&o.convert.stream, "stream", false, "disk step: plan streamed uploads instead of server-side Import")
	c.Flags().StringVar(&o.convert.bandwidth, "max-bandwidth", "", "disk step: per-disk bandwidth cap to plan with (implies streaming)")
	c.Flags().IntVar(&o.convert.iops, "max-iops", 0, "disk step: per-disk IOPS cap to plan with (implies streaming)")
	c.Flags().StringVar(&o.convert.accountType, "account-type", "", "disk step: managed disk type for every disk")
	c.Flags().DurationVar(&o.commitTime, "commit-time", 0, "forecast: how long one Commit takes, whatever the unit (default: the timing model)")
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
