package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/retry"
)

func (a *app) newDiscoverCmd() *cobra.Command {
	var out, format string
	c := &cobra.Command{
		Use:   "discover",
		Short: "Read the live classic subscription through the driver and write an inventory",
		Long: `discover reads the classic estate through the driver (hosted services and their
deployments with boot diagnostics, VM agent and extension statuses, VNet sites
with their gateways, connections, local sites and subnets' NSGs and route
tables, application gateways, ExpressRoute circuits and their links, storage
accounts, disks, images, reserved IPs, NSGs, route tables) and writes it as
inventory format v1. What Service Management cannot report (peerings, platform
services in a VNet, role assignments, alert rules, autoscale, blob sizes,
quotas, ...) is left empty: add it by hand where the rules need it
(docs/spec/rules.md, "Discovery", says which rule reads what).

On the sim driver it reads the simulated cloud of the state directory.`,
		Example: `  migrate --config emu.yaml inventory discover -f estate.json
  migrate inventory discover --format yaml > estate.yaml`,
		Args: wantArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("format") && a.cfg.Output == "yaml" {
				format = "yaml" // -o yaml means YAML here too (it used to be ignored)
			}
			if format != "json" && format != "yaml" {
				return badInputf("--format: want json or yaml, got %q", format)
			}
			var d cloud.Discoverer
			switch a.cfg.Driver {
			case "sim":
				s, _, err := a.openConfiguredSim(cmd.Context())
				if err != nil {
					return err
				}
				// Discover only reads the simulated cloud: Close releases
				// its lock and has nothing of this command's to lose.
				defer func() { _ = s.Close() }()
				d = s
			default:
				az, err := a.azureDriver(cmd.Context(), nil)
				if err != nil {
					return err
				}
				d = az
			}
			// Discovery only reads, so a transient fault is retried with
			// the one policy for reads, as many times as the phases'
			// reads are (it used to give up after azcore's five tries).
			scale := 1.0
			if a.cfg.Driver == "sim" {
				scale = a.cfg.Sim.TimeScale
			}
			var inv *inventory.Inventory
			err := retry.Do(cmd.Context(), retry.Policy{Scale: scale, Transient: cloud.IsTransient}, func(ctx context.Context) error {
				var err error
				inv, err = d.Discover(ctx)
				return err
			})
			if err != nil {
				return fmt.Errorf("discover: %w", err)
			}
			if out == "" || out == "-" {
				return inventory.Write(a.io.Out, inv, format)
			}
			return writeFileAtomic(out, func(w io.Writer) error { return inventory.Write(w, inv, format) })
		},
	}
	c.Flags().StringVarP(&out, "file", "f", "", "write the inventory to FILE (atomically) instead of stdout")
	c.Flags().StringVar(&format, "format", "json", "json or yaml")
	return c
}

// optionalInventory loads the configured inventory if one is configured;
// commands that can work from the state directory alone use it.
func (a *app) optionalInventory() (*inventory.Inventory, error) {
	if a.cfg.Inventory == "" {
		return nil, nil
	}
	return a.loadInventory()
}

// writeFileAtomic writes path through a temporary file in the same folder,
// fsynced and renamed (renameio), so a failure leaves nothing half-written.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := renameio.NewPendingFile(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Removes the temporary file on failure; a no-op once it replaced path.
	defer func() { _ = f.Cleanup() }()
	if err := write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
