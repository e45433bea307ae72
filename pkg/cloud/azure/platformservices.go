package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Platform services deployed into classic VNets. Service Management does
// not report them; each is a Resource Manager resource that names the
// classic VNet (or a subnet of it) it runs in by the VNet's Resource
// Manager id, /subscriptions/{sub}/resourceGroups/{rg}/providers/
// Microsoft.ClassicNetwork/virtualNetworks/{name}[/subnets/{subnet}].
// Discovery lists each kind by subscription and files the service under
// the classic VNet its resource names. Dynamics Lifecycle Services is not
// among them: LCS deploys through its own portal (lcs.dynamics.com) into
// ordinary cloud services and VMs, and Azure has no resource type that
// says a VNet holds it (Azure/azure-rest-api-specs has no specification
// for it; azure-docs' table of Resource Manager services lists it with no
// REST API), so the operator names it.
//
// The lists are decoded here rather than through the SDK's
// armappservice, armhdinsight, armapimanagement and armdomainservices
// modules: four new dependencies to read one id from each list, and the
// current armdomainservices no longer models the pre-2020 properties.subnetId
// a classic-VNet domain reports.

// platformServiceList is one kind of platform service: where it is listed
// and which VNet or subnet ids one listed resource names.
type platformServiceList struct {
	service  string // an inventory.Platform* constant
	provider string // {namespace}/{type}
	api      string
	vnets    func(properties json.RawMessage) ([]string, error)
}

// platformServiceLists are the lists discovery reads, in a fixed order.
func (d *Driver) platformServiceLists() []platformServiceList {
	return []platformServiceList{
		// AppServiceEnvironments_List (Azure/azure-rest-api-specs
		// specification/web/resource-manager/Microsoft.Web/stable/
		// 2022-03-01/AppServiceEnvironments.json): properties.virtualNetwork
		// is a VirtualNetworkProfile whose id is the VNet's. App Service
		// Environment v1 runs in "a Classic(V1) or Resource Manager(V2)
		// Azure Virtual Network" (azure-docs app-service/environment/
		// app-service-web-configure-an-app-service-environment.md); v2
		// and v3 name Resource Manager VNets, which are not classic.
		{inventory.PlatformAppServiceEnvironment, "Microsoft.Web/hostingEnvironments", d.ep.api.Web, func(p json.RawMessage) ([]string, error) {
			var v struct {
				VirtualNetwork *struct {
					ID string `json:"id"`
				} `json:"virtualNetwork"`
			}
			if err := json.Unmarshal(p, &v); err != nil || v.VirtualNetwork == nil {
				return nil, err
			}
			return []string{v.VirtualNetwork.ID}, nil
		}},
		// Clusters_List (specification/hdinsight/resource-manager/
		// Microsoft.HDInsight/stable/2021-06-01/cluster.json): each of
		// properties.computeProfile.roles[] names its VNet in
		// virtualNetworkProfile.id. Windows-based clusters (retired, and
		// the only ones that ran in classic VNets) name a classic one.
		{inventory.PlatformHDInsight, "Microsoft.HDInsight/clusters", d.ep.api.HDInsight, func(p json.RawMessage) ([]string, error) {
			var v struct {
				ComputeProfile struct {
					Roles []struct {
						VirtualNetworkProfile *struct {
							ID string `json:"id"`
						} `json:"virtualNetworkProfile"`
					} `json:"roles"`
				} `json:"computeProfile"`
			}
			if err := json.Unmarshal(p, &v); err != nil {
				return nil, err
			}
			var ids []string
			for _, r := range v.ComputeProfile.Roles {
				if r.VirtualNetworkProfile != nil {
					ids = append(ids, r.VirtualNetworkProfile.ID)
				}
			}
			return ids, nil
		}},
		// ApiManagementService_List (specification/apimanagement/
		// resource-manager/Microsoft.ApiManagement/stable/2021-08-01/
		// apimdeployment.json): virtualNetworkConfiguration.
		// subnetResourceId, of the primary location and of each of
		// additionalLocations[], whose pattern admits
		// Microsoft.(ClassicNetwork|Network)/virtualNetworks/{vnet}/
		// subnets/{subnet}: a service deployed into a classic VNet on the
		// stv1 platform names the classic subnet there.
		{inventory.PlatformApiManagement, "Microsoft.ApiManagement/service", d.ep.api.APIManagement, func(p json.RawMessage) ([]string, error) {
			type vnetConfig struct {
				VirtualNetworkConfiguration *struct {
					SubnetResourceID string `json:"subnetResourceId"`
				} `json:"virtualNetworkConfiguration"`
			}
			var v struct {
				vnetConfig
				AdditionalLocations []vnetConfig `json:"additionalLocations"`
			}
			if err := json.Unmarshal(p, &v); err != nil {
				return nil, err
			}
			var ids []string
			for _, c := range append([]vnetConfig{v.vnetConfig}, v.AdditionalLocations...) {
				if c.VirtualNetworkConfiguration != nil {
					ids = append(ids, c.VirtualNetworkConfiguration.SubnetResourceID)
				}
			}
			return ids, nil
		}},
		// DomainServices_List (specification/domainservices/
		// resource-manager/Microsoft.AAD/2017-06-01/domainservices.json):
		// properties.subnetId names the subnet, and vnetSiteId the classic
		// VNet site's GUID, which Service Management's VNet list does not
		// carry here, so the subnet id is what places the domain. The
		// 2017-01-01 example ListDomainServicesBySubscription.json lists a
		// domain whose subnetId is .../Microsoft.ClassicNetwork/
		// virtualNetworks/DCIaasTmpWusNet/subnets/Subnet-1. From 2020-01-01
		// the same fields are per replicaSets[]; both are read, for an
		// operator who sets apiVersions.domainServices to a newer version.
		{inventory.PlatformAzureADDomainServices, "Microsoft.AAD/domainServices", d.ep.api.DomainServices, func(p json.RawMessage) ([]string, error) {
			type network struct {
				SubnetID string `json:"subnetId"`
			}
			var v struct {
				network
				ReplicaSets []network `json:"replicaSets"`
			}
			if err := json.Unmarshal(p, &v); err != nil {
				return nil, err
			}
			var ids []string
			for _, n := range append([]network{v.network}, v.ReplicaSets...) {
				if n.SubnetID != "" {
					ids = append(ids, n.SubnetID)
				}
			}
			return ids, nil
		}},
	}
}

// discoverPlatformServices adds to each of inv's VNets the platform
// services Resource Manager lists in it, each once, sorted. Resources
// naming a VNet of another subscription, or one inv does not hold, are
// not classic VNets of this estate and are passed over.
func (d *Driver) discoverPlatformServices(ctx context.Context, inv *inventory.Inventory) error {
	vnets := make(map[string]*inventory.VirtualNetwork, len(inv.VirtualNetworks))
	for i := range inv.VirtualNetworks {
		vnets[inventory.Key(inv.VirtualNetworks[i].Name)] = &inv.VirtualNetworks[i]
	}
	for _, l := range d.platformServiceLists() {
		ids, err := d.listPlatformService(ctx, l)
		if err != nil {
			return fmt.Errorf("discover platform services: list %s: %w", l.provider, err)
		}
		for _, id := range ids {
			name, ok := classicVNetOf(id, d.cfg.SubscriptionID)
			if !ok {
				continue
			}
			vn := vnets[inventory.Key(name)]
			if vn != nil && !slices.Contains(vn.PlatformServices, l.service) {
				vn.PlatformServices = append(vn.PlatformServices, l.service)
			}
		}
	}
	for _, vn := range vnets {
		slices.Sort(vn.PlatformServices)
	}
	return nil
}

// listPlatformService lists l's resources in the subscription, following
// nextLink, and returns the VNet and subnet ids they name.
func (d *Driver) listPlatformService(ctx context.Context, l platformServiceList) ([]string, error) {
	u := strings.TrimSuffix(d.ep.arm, "/") + "/subscriptions/" + url.PathEscape(d.cfg.SubscriptionID) +
		"/providers/" + l.provider + "?api-version=" + url.QueryEscape(l.api)
	rs, err := listRegistered[struct {
		ID         string          `json:"id"`
		Properties json.RawMessage `json:"properties"`
	}](ctx, d, u)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range rs {
		if len(r.Properties) == 0 {
			continue
		}
		got, err := l.vnets(r.Properties)
		if err != nil {
			return nil, fmt.Errorf("%s: malformed properties: %w", r.ID, err)
		}
		ids = append(ids, got...)
	}
	return ids, nil
}

// classicVNetOf is the name of the classic VNet id names, id being the
// VNet's Resource Manager id or one of its subnets'
// (.../Microsoft.ClassicNetwork/virtualNetworks/{name}/subnets/{subnet});
// ok is false for any other resource, or a classic VNet of another
// subscription. Segments compare case-insensitively, as Resource Manager
// compares ids.
func classicVNetOf(id, sub string) (name string, ok bool) {
	if p := strings.Split(strings.Trim(id, "/"), "/"); len(p) == 10 && strings.EqualFold(p[8], "subnets") && p[9] != "" {
		id = "/" + strings.Join(p[:8], "/")
	}
	return armapi.ClassicVNetName(id, sub)
}
