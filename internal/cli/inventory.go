package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

func (a *app) newInventoryCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "inventory",
		Short: "Check or discover a classic estate's inventory",
	}
	c.AddCommand(&cobra.Command{
		Use:   "check [FILE]",
		Short: "Load and cross-check an inventory; print nothing but errors",
		Long: `check loads an inventory (inventory format v1, JSON or YAML) strictly: unknown
fields, wrong types, bad values, dangling references, duplicate names and
malformed names are all reported at once, each with the file, the path inside
it and what was expected. It exits 0 and prints nothing when the file is good,
2 otherwise.`,
		Example: `  migrate inventory check estate.json
  MIGRATE_INVENTORY=estate.yaml migrate inventory check`,
		Args: wantArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := a.cfg.Inventory
			if len(args) == 1 {
				path = args[0]
			}
			_, err := a.loadInventoryFrom(path)
			return err
		},
	}, a.newDiscoverCmd(nil))
	return c
}

// loadInventory loads the configured inventory.
func (a *app) loadInventory() (*inventory.Inventory, error) {
	return a.loadInventoryFrom(a.cfg.Inventory)
}

func (a *app) loadInventoryFrom(path string) (*inventory.Inventory, error) {
	if path == "" {
		return nil, badInputf("no inventory: give --inventory FILE (or MIGRATE_INVENTORY, or `inventory:` in the config file)")
	}
	inv, err := inventory.Load(path)
	if err != nil {
		var le *inventory.LoadError
		if errors.As(err, &le) {
			return nil, err
		}
		return nil, badInput(fmt.Errorf("inventory: %w", err))
	}
	return inv, nil
}
