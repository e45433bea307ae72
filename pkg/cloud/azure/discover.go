package azure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Discover reads the classic estate through the Service Management reads
// (hosted services with their deployments, storage services, disks,
// images, VNet sites, reserved IPs, NSGs, route tables, then each VNet's
// gateway and connections and each subnet's route table, the application
// gateways and the ExpressRoute circuits with their VNet links) and
// returns it as an inventory, with the role assignments on its cloud
// services, VNets and storage accounts read from Resource Manager
// (rbac.go). Fields the API does not report are listed in
// smapi.Undiscoverable; the disks' blob sizes come from BlobSizes, a
// separate read of the data plane. The roles' alert rules and autoscale
// come from Azure Monitor in Resource Manager (discoverMonitoring),
// target.quotas from the regional usages (discoverQuotas), the platform
// services in each VNet from Resource Manager's lists
// (platformservices.go). target.cloud is the configured cloud.
func (d *Driver) Discover(ctx context.Context) (*inventory.Inventory, error) {
	if err := d.classicRefused("Discover", d.cfg.SubscriptionID); err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	sub := url.PathEscape(d.cfg.SubscriptionID)
	e := smapi.Estate{Gateways: map[string]smapi.VNetGateway{}, Connections: map[string][]smapi.GatewayConnection{},
		SubnetRouteTables: map[string]string{}, CircuitLinks: map[string][]smapi.DedicatedCircuitLink{},
		ExtensionVersions: map[string][]smapi.ResourceExtension{}}
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
	if err := d.discoverNetwork(ctx, get, &e); err != nil {
		return nil, err
	}
	if err := discoverExtensionVersions(get, &e); err != nil {
		return nil, err
	}
	inv, err := e.Inventory(d.cfg.SubscriptionID)
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	if err := d.addClassicPeerings(ctx, inv); err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	inv.Target.Cloud = d.inventoryCloud()
	if err := d.discoverRoleAssignments(ctx, inv); err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	if err := d.discoverMonitoring(ctx, inv); err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	if err := d.discoverQuotas(ctx, inv); err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	if err := d.discoverPlatformServices(ctx, inv); err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	return inv, nil
}

// discoverNetwork reads what the VNet list only points at: each gateway's
// read and its connections' states, each subnet's route table, the
// application gateways, and the ExpressRoute circuits (owned and
// authorized) with the VNets linked to each. A 404 is an answer here: a
// subnet with no route table, or a front end without the ExpressRoute
// API, reports nothing.
func (d *Driver) discoverNetwork(ctx context.Context, get func(string, func([]byte) error) error, e *smapi.Estate) error {
	optional := func(path string, into func([]byte) error) error {
		if err := get(path, into); err != nil && !errors.Is(err, cloud.ErrNotFound) {
			return err
		}
		return nil
	}
	esc := url.PathEscape
	for _, s := range e.Sites {
		k := inventory.Key(s.Name)
		for _, sn := range s.Subnets {
			// RouteOperations.getRouteTableForSubnet (azure-asm-network).
			err := optional("/services/networking/virtualnetwork/"+esc(s.Name)+"/subnets/"+esc(sn.Name)+"/routetables", func(b []byte) error {
				v, err := smapi.Decode[smapi.RouteTableAssociation](bytes.NewReader(b))
				if err == nil && v.RouteTableName != "" {
					e.SubnetRouteTables[smapi.SubnetKey(s.Name, sn.Name)] = v.RouteTableName
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		if s.Gateway == nil {
			continue
		}
		// GatewayOperations.get and listConnections (azure-asm-network).
		err := get("/services/networking/"+esc(s.Name)+"/gateway", func(b []byte) error {
			v, err := smapi.Decode[smapi.VNetGateway](bytes.NewReader(b))
			if err == nil {
				e.Gateways[k] = *v
			}
			return err
		})
		if err != nil {
			return err
		}
		err = optional("/services/networking/"+esc(s.Name)+"/gateway/connections", func(b []byte) error {
			v, err := smapi.Decode[smapi.GatewayConnections](bytes.NewReader(b))
			if err == nil {
				e.Connections[k] = v.Connections
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	// ApplicationGatewayOperations.list (azure-asm-network), with the
	// api-version it sends.
	err := optional("/services/networking/ApplicationGateways?api-version=2016-07-01", func(b []byte) error {
		v, err := smapi.Decode[smapi.ApplicationGateways](bytes.NewReader(b))
		if err == nil {
			e.AppGateways = v.Gateways
		}
		return err
	})
	if err != nil {
		return err
	}
	err = optional("/services/networking/dedicatedcircuits", func(b []byte) error {
		v, err := smapi.Decode[smapi.DedicatedCircuits](bytes.NewReader(b))
		if err == nil {
			e.Circuits = v.Circuits
		}
		return err
	})
	if err != nil {
		return err
	}
	err = optional("/services/networking/authorizeddedicatedcircuits", func(b []byte) error {
		v, err := smapi.Decode[smapi.AuthorizedDedicatedCircuits](bytes.NewReader(b))
		if err == nil {
			e.Authorized = v.Circuits
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, c := range append(append([]smapi.DedicatedCircuit{}, e.Circuits...), e.Authorized...) {
		err := optional("/services/networking/dedicatedcircuits/"+esc(c.ServiceKey)+"/vnets", func(b []byte) error {
			v, err := smapi.Decode[smapi.DedicatedCircuitLinks](bytes.NewReader(b))
			if err == nil {
				e.CircuitLinks[c.ServiceKey] = v.Links
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// discoverExtensionVersions reads the versions of every VM extension a
// role references (List Resource Extension Versions), once per extension:
// whether the version a role runs takes JSON is what says it is a legacy
// XML extension, which the migration drops; the reference itself does not
// say. An extension the platform no longer lists (404) has an unknown
// format.
func discoverExtensionVersions(get func(string, func([]byte) error) error, e *smapi.Estate) error {
	for _, hs := range e.Services {
		for _, dep := range hs.Deployments {
			for _, r := range dep.Roles {
				for _, x := range r.ResourceExtensions {
					k := smapi.ExtensionKey(x.Publisher, x.Name)
					if _, done := e.ExtensionVersions[k]; done {
						continue
					}
					e.ExtensionVersions[k] = nil
					path := "/services/resourceextensions/" + url.PathEscape(x.Publisher) + "/" + url.PathEscape(x.Name)
					err := get(path, func(b []byte) error {
						v, err := smapi.Decode[smapi.ResourceExtensions](bytes.NewReader(b))
						if err == nil {
							e.ExtensionVersions[k] = v.Extensions
						}
						return err
					})
					if err != nil && !errors.Is(err, cloud.ErrNotFound) {
						return err
					}
				}
			}
		}
	}
	return nil
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
