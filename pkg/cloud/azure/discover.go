package azure

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Discover reads the classic estate through the Service Management reads
// (hosted services with their deployments, storage services, disks,
// images, VNet sites, reserved IPs, NSGs, route tables) and returns it as
// an inventory. Fields the API does not report are listed in
// smapi.Undiscoverable. target.cloud is the configured cloud.
func (d *Driver) Discover(ctx context.Context) (*inventory.Inventory, error) {
	if err := d.classicRefused("Discover", d.cfg.SubscriptionID); err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	sub := url.PathEscape(d.cfg.SubscriptionID)
	var e smapi.Estate
	get := func(path string, into func([]byte) error) error {
		_, b, err := d.call(ctx, d.sm, http.MethodGet, d.smURL("/"+sub+path), nil)
		if err != nil {
			return fmt.Errorf("discover: %w", err)
		}
		if err := into(b); err != nil {
			return fmt.Errorf("discover %s: %w", path, err)
		}
		return nil
	}
	steps := []struct {
		path string
		into func([]byte) error
	}{
		{"/services/hostedservices", func(b []byte) error {
			v, err := smapi.Decode[smapi.HostedServices](bytes.NewReader(b))
			if err == nil {
				e.Services = v.Services
			}
			return err
		}},
		{"/services/storageservices", func(b []byte) error {
			v, err := smapi.Decode[smapi.StorageServices](bytes.NewReader(b))
			if err == nil {
				e.Storage = v.Services
			}
			return err
		}},
		{"/services/disks", func(b []byte) error {
			v, err := smapi.Decode[smapi.Disks](bytes.NewReader(b))
			if err == nil {
				e.Disks = v.Disks
			}
			return err
		}},
		{"/services/images", func(b []byte) error {
			v, err := smapi.Decode[smapi.Images](bytes.NewReader(b))
			if err == nil {
				e.Images = v.Images
			}
			return err
		}},
		{"/services/vmimages", func(b []byte) error {
			v, err := smapi.Decode[smapi.VMImages](bytes.NewReader(b))
			if err == nil {
				e.VMImages = v.Images
			}
			return err
		}},
		{"/services/networking/virtualnetwork", func(b []byte) error {
			v, err := smapi.Decode[smapi.VirtualNetworkSites](bytes.NewReader(b))
			if err == nil {
				e.Sites = v.Sites
			}
			return err
		}},
		{"/services/networking/reservedips", func(b []byte) error {
			v, err := smapi.Decode[smapi.ReservedIPs](bytes.NewReader(b))
			if err == nil {
				e.ReservedIPs = v.IPs
			}
			return err
		}},
		{"/services/networking/networksecuritygroups?detaillevel=Full", func(b []byte) error {
			v, err := smapi.Decode[smapi.NetworkSecurityGroups](bytes.NewReader(b))
			if err == nil {
				e.NSGs = v.Groups
			}
			return err
		}},
		{"/services/networking/routetables?detailLevel=full", func(b []byte) error {
			v, err := smapi.Decode[smapi.RouteTables](bytes.NewReader(b))
			if err == nil {
				e.RouteTables = v.Tables
			}
			return err
		}},
	}
	for _, s := range steps {
		if err := get(s.path, s.into); err != nil {
			return nil, err
		}
	}
	for i, hs := range e.Services {
		path := "/services/hostedservices/" + url.PathEscape(hs.ServiceName) + "?embed-detail=true"
		err := get(path, func(b []byte) error {
			v, err := smapi.Decode[smapi.HostedService](bytes.NewReader(b))
			if err == nil {
				e.Services[i] = *v
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	inv, err := e.Inventory(d.cfg.SubscriptionID)
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	inv.Target.Cloud = d.inventoryCloud()
	return inv, nil
}

// inventoryCloud is target.cloud for the configured cloud; a custom cloud
// is recorded as Azure public, the only one whose rules it can claim.
func (d *Driver) inventoryCloud() string {
	switch {
	case d.ep.stackHub:
		return inventory.CloudAzureStackHub
	case d.ep.cloud == CloudAzureUSGovernment:
		return inventory.CloudAzureUSGovernment
	case d.ep.cloud == CloudAzureChina:
		return inventory.CloudAzureChina
	}
	return inventory.CloudAzurePublic
}
