package convert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/step"
)

// ImageOptions configure Image. The two cases of the Azure Stack Hub
// procedure: a managed image from a classic VM image (Name names one of
// the inventory's storageAccounts[].images[]), or from a generalized VHD
// (VHDURI given, with OSType; Generalized must be set by the operator,
// who alone knows it was sysprepped or deprovisioned).
type ImageOptions struct {
	Inventory *inventory.Inventory
	Compute   cloud.Compute
	// Migrator, when set, is asked whether the VHD's storage account has
	// migrated (its unit Committed) before anything is sent.
	Migrator cloud.Migrator
	// Name is the managed image's name, and the classic image's when
	// VHDURI is "".
	Name string
	// VHDURI makes the image from this VHD instead of a classic image.
	VHDURI      string
	OSType      string
	Generalized bool
	// ResourceGroup and Location default to the storage account's
	// migrated resource group (<account><suffix>) and location.
	ResourceGroup string
	Location      string
	// MaxAttempts bounds retries of transient faults; 0 means 30. Sleep
	// waits between them (nil: a timer).
	MaxAttempts int
	Sleep       func(ctx context.Context, d time.Duration) error
}

// ErrSpecialized is wrapped by the error for an image or VHD that is not
// generalized: a managed image made from it would not boot as a new VM.
var ErrSpecialized = errors.New("the image is specialized, not generalized")

// ErrNotMigrated is wrapped when the VHD's storage account is still
// classic: migrate its storage unit first.
var ErrNotMigrated = errors.New("storage account not migrated yet")

// ErrUnknownImage is wrapped when Name names no classic image and no VHD
// URI was given, or the URI is in no storage account of the inventory.
var ErrUnknownImage = errors.New("unknown image")

// Image makes the managed image and returns it; an existing image from the
// same VHD is success. Specialized sources are refused before anything is
// sent (ErrSpecialized), as are unknown ones (ErrUnknownImage) and VHDs of
// storage accounts still classic (ErrNotMigrated).
func Image(ctx context.Context, o ImageOptions) (cloud.Image, error) {
	if o.Inventory == nil || o.Compute == nil || o.Name == "" {
		return cloud.Image{}, fmt.Errorf("%w: Inventory, Compute and Name are required", ErrOptions)
	}
	// Not journaled, but the engine's policy: the image is read before
	// every create, so a create whose answer was lost is not resent.
	pol := step.Policy{MaxAttempts: o.MaxAttempts, Sleep: o.Sleep}
	pol.Defaults()
	var (
		account *inventory.StorageAccount
		img     = cloud.Image{Name: o.Name, OSType: o.OSType, SourceURI: o.VHDURI}
	)
	for i := range o.Inventory.StorageAccounts {
		sa := &o.Inventory.StorageAccounts[i]
		for _, im := range sa.Images {
			if (o.VHDURI == "" && strings.EqualFold(im.Name, o.Name)) || (o.VHDURI != "" && strings.EqualFold(im.VHDURI, o.VHDURI)) {
				account = sa
				img.SourceURI = im.VHDURI
				if img.OSType == "" {
					img.OSType = im.OS
				}
				if !im.Generalized {
					return cloud.Image{}, fmt.Errorf("image %s (%s): %w: capture a generalized image (sysprep / waagent -deprovision) or create VMs from the specialized disk instead",
						im.Name, inventory.ImageID(sa.Name, im.Name), ErrSpecialized)
				}
			}
		}
		for _, d := range sa.Disks {
			if o.VHDURI != "" && account == nil && strings.EqualFold(d.VHDURI, o.VHDURI) {
				account = sa
				if img.OSType == "" {
					img.OSType = d.OS
				}
			}
		}
	}
	switch {
	case account == nil && o.VHDURI == "":
		return cloud.Image{}, fmt.Errorf("%s: %w: no classic VM image of that name; give the VHD URI of a generalized VHD", o.Name, ErrUnknownImage)
	case account == nil:
		return cloud.Image{}, fmt.Errorf("%s: %w: the VHD is in no storage account of the inventory", o.Name, ErrUnknownImage)
	case o.VHDURI != "" && !o.Generalized && !isGeneralizedImage(account, o.VHDURI):
		return cloud.Image{}, fmt.Errorf("%s: %w: say the VHD is generalized (it was sysprepped or deprovisioned) to make an image of it", o.VHDURI, ErrSpecialized)
	}
	if img.OSType == "" {
		return cloud.Image{}, fmt.Errorf("%w: the OS type of %s is unknown: give it (Windows or Linux)", ErrOptions, o.Name)
	}
	suffix := o.Inventory.Target.ResourceGroupSuffix
	if suffix == "" {
		suffix = inventory.DefaultResourceGroupSuffix
	}
	img.ResourceGroup, img.Location = o.ResourceGroup, o.Location
	if img.ResourceGroup == "" {
		img.ResourceGroup = account.Name + suffix
	}
	if img.Location == "" {
		img.Location = account.Location
		if img.Location == "" {
			img.Location = o.Inventory.DefaultLocation
		}
	}
	if o.Migrator != nil {
		id := inventory.StorageID(account.Name)
		st, err := o.Migrator.State(ctx, cloud.Target{Unit: id, Kind: "storage", Name: account.Name})
		if err != nil {
			return cloud.Image{}, fmt.Errorf("read the migration state of %s: %w", id, err)
		}
		if st != cloud.StateCommitted {
			return cloud.Image{}, fmt.Errorf("%s is %s: %w", id, st, ErrNotMigrated)
		}
	}
	for attempt := 1; ; attempt++ {
		got, err := o.Compute.GetImage(ctx, img.ResourceGroup, img.Name)
		if err == nil {
			if !strings.EqualFold(got.SourceURI, img.SourceURI) {
				return cloud.Image{}, fmt.Errorf("image %s/%s exists, made from another VHD", img.ResourceGroup, img.Name)
			}
			return got, nil
		}
		if errors.Is(err, cloud.ErrNotFound) {
			err = o.Compute.CreateImage(ctx, img)
			if err == nil {
				return img, nil
			}
		}
		after, ok := cloud.IsTransient(err)
		if !ok || attempt >= pol.MaxAttempts {
			return cloud.Image{}, fmt.Errorf("create image %s/%s: %w", img.ResourceGroup, img.Name, err)
		}
		if err := pol.Wait(ctx, after, attempt); err != nil {
			return cloud.Image{}, err
		}
	}
}

func isGeneralizedImage(sa *inventory.StorageAccount, uri string) bool {
	for _, im := range sa.Images {
		if strings.EqualFold(im.VHDURI, uri) {
			return im.Generalized
		}
	}
	return false
}
