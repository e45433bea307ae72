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

// DiscoverOptions are what inventory discover is asked.
type DiscoverOptions struct {
	// File is where the inventory goes ("" or "-": stdout).
	File string
	// Format is json or yaml; "" is yaml under -o yaml, else json.
	Format string
	// BlobSizes reads each disk's page blob size from the storage
	// service (and on Azure each classic account's keys to sign for it).
	BlobSizes bool
}

// newDiscoverCmd is inventory discover; runF, when set, is run instead of
// runDiscover (tests of the flags).
func (a *app) newDiscoverCmd(runF func(context.Context, *DiscoverOptions) error) *cobra.Command {
	if runF == nil {
		runF = a.runDiscover
	}
	o := &DiscoverOptions{}
	c := &cobra.Command{
		Use:   "discover",
		Short: "Read the live classic subscription through the driver and write an inventory",
		Long: `discover reads the classic estate through the driver (hosted services and their
deployments with boot diagnostics, VM agent and extension statuses, VNet sites
with their gateways, connections, local sites and subnets' NSGs and route
tables, application gateways, ExpressRoute circuits and their links, storage
accounts, disks, images, reserved IPs, NSGs, route tables) and writes it as
inventory format v1.

What Service Management does not report about the classic resources,
Resource Manager does, and discover reads it there too: the peerings Resource
Manager VNets hold with classic VNets, the role assignments on classic
resources, alert rules and autoscale settings on classic VMs, the App Service
Environments, HDInsight clusters, API Management services and AAD Domain
Services deployed into classic VNets, and the free quotas of every region of
the estate. The identity needs Reader on the subscription.

Each disk's blob size (blobSizeBytes, which the disk-size-mismatch rule
compares with the registered size) is read from the storage service with Get
Blob Properties, signed with the classic account's key from Get Storage Keys:
discover reads every storage account's keys, keeps them in memory only, and
never prints or logs them. --blob-sizes=false reads neither keys nor blobs and
leaves the sizes out, for an operator whose machine cannot reach the storage
endpoints or whose policy forbids reading keys.

What no Azure API reports (Dynamics Lifecycle Services in a VNet, resources
of other subscriptions, the destination VNet you choose) is left empty: add
it by hand where the rules need it (docs/spec/rules.md, "Discovery", says
which rule reads what).

On the sim driver it reads the simulated cloud of the state directory.`,
		Example: `  migrate --config emu.yaml inventory discover -f estate.json
  migrate inventory discover --format yaml > estate.yaml
  migrate inventory discover --blob-sizes=false -f estate.json`,
		Args: wantArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Format != "" && o.Format != "json" && o.Format != "yaml" {
				return badInputf("--format: want json or yaml, got %q", o.Format)
			}
			return runF(cmd.Context(), o)
		},
	}
	c.Flags().StringVarP(&o.File, "file", "f", "", "write the inventory to FILE (atomically) instead of stdout")
	c.Flags().StringVar(&o.Format, "format", "", "json or yaml (default json; yaml under -o yaml)")
	c.Flags().BoolVar(&o.BlobSizes, "blob-sizes", true, "read each disk's blob size from the storage service (reads the accounts' keys)")
	return c
}

// runDiscover reads the estate through the configured driver, then the
// disks' blob sizes, and writes the inventory.
func (a *app) runDiscover(ctx context.Context, o *DiscoverOptions) error {
	format := o.Format
	if format == "" {
		format = "json"
		if a.cfg.Output == "yaml" {
			format = "yaml" // -o yaml means YAML here too (it used to be ignored)
		}
	}
	var d cloud.Discoverer
	switch a.cfg.Driver {
	case "sim":
		s, _, err := a.openConfiguredSim(ctx)
		if err != nil {
			return err
		}
		// Discover only reads the simulated cloud: Close releases its
		// lock and has nothing of this command's to lose.
		defer func() { _ = s.Close() }()
		d = s
	default:
		az, err := a.azureDriver(ctx, nil)
		if err != nil {
			return err
		}
		d = az
	}
	// Discovery only reads, so a transient fault is retried with the one
	// policy for reads, as many times as the phases' reads are (it used to
	// give up after azcore's five tries).
	scale := 1.0
	if a.cfg.Driver == "sim" {
		scale = a.cfg.Sim.TimeScale
	}
	reads := retry.Policy{Scale: scale, Transient: cloud.IsTransient}
	var inv *inventory.Inventory
	err := retry.Do(ctx, reads, func(ctx context.Context) error {
		var err error
		inv, err = d.Discover(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("discover: %w", err)
	}
	if err := a.discoverBlobSizes(ctx, reads, d, inv, o.BlobSizes); err != nil {
		return err
	}
	if o.File == "" || o.File == "-" {
		return inventory.Write(a.io.Out, inv, format)
	}
	return writeFileAtomic(o.File, func(w io.Writer) error { return inventory.Write(w, inv, format) })
}

// discoverBlobSizes fills the disks' blob sizes through the driver, or,
// when the operator said not to read them, clears any the driver's
// discovery carried, so blobSizeBytes in a discovered inventory is always
// a size read from the storage service.
func (a *app) discoverBlobSizes(ctx context.Context, reads retry.Policy, d cloud.Discoverer, inv *inventory.Inventory, read bool) error {
	b, ok := d.(cloud.BlobSizer)
	if !read || !ok {
		for i := range inv.StorageAccounts {
			for j := range inv.StorageAccounts[i].Disks {
				inv.StorageAccounts[i].Disks[j].BlobSizeBytes = 0
			}
		}
		return nil
	}
	err := retry.Do(ctx, reads, func(ctx context.Context) error { return cloud.ReadBlobSizes(ctx, b, inv) })
	if err != nil {
		return fmt.Errorf("discover: %w (--blob-sizes=false discovers without them)", err)
	}
	return nil
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
