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

The forecast assumes each unit takes --prepare-time plus --commit-time. On
the simulator they default to --sim-latency; on Azure to 15m and 5m, typical
of the platform for a VNet of a few dozen VMs.`,
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
			est := plan.Forecast(p, a.durations(cmd, o), a.cfg.Parallel)
			r := report.Report{Plan: p, Findings: validate.Check(inv, p), Forecast: &est}
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
			return report.Render(a.io.Out, r, a.cfg.Output)
		},
	}
	c.Flags().DurationVar(&o.prepareTime, "prepare-time", 0, "forecast: how long one Prepare takes (default: --sim-latency on sim, 15m on azure)")
	c.Flags().BoolVar(&o.convert.stream, "stream", false, "disk step: plan streamed uploads instead of server-side Import")
	c.Flags().StringVar(&o.convert.bandwidth, "max-bandwidth", "", "disk step: per-disk bandwidth cap to plan with, at least 1KiB (implies streaming)")
	c.Flags().IntVar(&o.convert.iops, "max-iops", 0, "disk step: per-disk IOPS cap to plan with (implies streaming)")
	c.Flags().StringVar(&o.convert.accountType, "account-type", "", "disk step: managed disk type for every disk")
	c.Flags().DurationVar(&o.commitTime, "commit-time", 0, "forecast: how long one Commit takes (default: --sim-latency on sim, 5m on azure)")
	return c
}

// durations are the per-operation durations the forecast assumes.
func (a *app) durations(cmd *cobra.Command, o planOpts) plan.Durations {
	d := plan.Durations{Prepare: 15 * time.Minute, Commit: 5 * time.Minute}
	if a.cfg.Driver == "sim" {
		d = plan.Durations{Prepare: a.cfg.Sim.Latency, Commit: a.cfg.Sim.Latency}
	}
	if cmd.Flags().Changed("prepare-time") {
		d.Prepare = o.prepareTime
	}
	if cmd.Flags().Changed("commit-time") {
		d.Commit = o.commitTime
	}
	return d
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
