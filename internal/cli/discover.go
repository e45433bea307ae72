package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

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
deployments, VNet sites, storage accounts, disks, images, reserved IPs, NSGs,
route tables) and writes it as inventory format v1. What Service Management
cannot report (role assignments, alert rules, autoscale, blob sizes, ...) is
left empty: add it by hand where the rules need it.

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
				defer s.Close()
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
			return writeFileAtomic(out, func(f *os.File) error { return inventory.Write(f, inv, format) })
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
// fsynced and renamed, so a failure leaves nothing half-written.
func writeFileAtomic(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
