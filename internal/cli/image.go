package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/report"
)

func (a *app) newDisksImageCmd() *cobra.Command {
	var o convert.ImageOptions
	c := &cobra.Command{
		Use:   "image NAME",
		Short: "A managed image from a classic VM image or a generalized VHD",
		Long: `image makes a Resource Manager managed image, after the storage account holding
the VHD has migrated, in the two ways the Azure Stack Hub procedure
describes:

  from a classic VM image:  migrate disks image golden-2019
      (NAME is one of the inventory's storageAccounts[].images[]; it must be
      generalized)
  from a generalized VHD:   migrate disks image web-base --vhd URI --os Linux --generalized
      (only the operator knows the VHD was sysprepped or deprovisioned)

The image goes into the storage account's migrated resource group
(<account><suffix>) and location unless --resource-group/--location say
otherwise. Specialized sources are refused before anything is sent.`,
		Example: `  migrate disks image golden-2019 --inventory estate.json
  migrate disks image web-base --inventory estate.json --vhd https://contosovhds.blob.core.windows.net/images/web.vhd --os Linux --generalized`,
		Args: wantArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
				return badInput(err)
			}
			if o.VHDURI != "" && o.OSType == "" {
				return badInputf("--vhd needs --os Windows or Linux")
			}
			inv, err := a.loadInventory()
			if err != nil {
				return err
			}
			drv, closeDriver, err := a.openDriver(cmd.Context(), inv, nil)
			if err != nil {
				return err
			}
			defer keepCloseErr(&err, closeDriver)
			compute, ok := drv.(cloud.Compute)
			if !ok {
				return badInputf("driver %s cannot make images", a.cfg.Driver)
			}
			o.Name, o.Inventory, o.Compute, o.Migrator = args[0], inv, compute, drv
			img, err := convert.Image(cmd.Context(), o)
			if err != nil {
				if errors.Is(err, convert.ErrSpecialized) || errors.Is(err, convert.ErrUnknownImage) || errors.Is(err, convert.ErrNotMigrated) {
					return badInput(err)
				}
				return fmt.Errorf("image %s: %w", args[0], err)
			}
			if a.structured() {
				return a.writeDoc(img)
			}
			fmt.Fprintf(a.io.Out, "image %s/%s (%s, %s) from %s\n", img.ResourceGroup, img.Name, img.OSType, img.Location, img.SourceURI)
			return nil
		},
	}
	c.Flags().StringVar(&o.VHDURI, "vhd", "", "make the image from this generalized VHD instead of a classic image")
	c.Flags().StringVar(&o.OSType, "os", "", "the VHD's OS: Windows or Linux (with --vhd)")
	c.Flags().BoolVar(&o.Generalized, "generalized", false, "the VHD is generalized (sysprep or waagent -deprovision); required with --vhd")
	c.Flags().StringVar(&o.ResourceGroup, "resource-group", "", "resource group of the image (default: the storage account's migrated one)")
	c.Flags().StringVar(&o.Location, "location", "", "location of the image (default: the storage account's)")
	return c
}
