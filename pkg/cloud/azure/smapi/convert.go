package smapi

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Estate is every discovery document of a classic subscription: what the
// emulator serves and what the driver reads back.
type Estate struct {
	Services    []HostedService // each with its deployments embedded
	Sites       []VirtualNetworkSite
	Storage     []StorageService
	Disks       []Disk
	Images      []OSImage
	VMImages    []VMImage
	ReservedIPs []ReservedIP
	NSGs        []NetworkSecurityGroup
	RouteTables []RouteTable
}

// CategoryUser is the image category of the subscription's own images;
// platform images carry other categories and are not inventoried.
const CategoryUser = "User"

// Instance statuses that the inventory spells differently.
const (
	instanceReady   = "ReadyRole"
	instanceStopped = "StoppedVM"
)

// Undiscoverable lists the inventory fields Service Management does not
// report, so discovery leaves them at their zero value and the operator
// fills them in: RBAC assignments and alert rules live in Resource Manager
// and Insights, autoscale in its own API, peerings on the Resource Manager
// side, and the rest are facts about blobs and platform services.
var Undiscoverable = []string{
	"defaultLocation", "target.quotas", "expressRouteCircuits",
	"storageAccounts[].blobsOnly", "storageAccounts[].roleAssignments",
	"storageAccounts[].disks[].blobSizeBytes",
	"virtualNetworks[].peerings", "virtualNetworks[].applicationGateways",
	"virtualNetworks[].platformServices", "virtualNetworks[].roleAssignments",
	"cloudServices[].roleAssignments", "cloudServices[].deployment.destination",
	"roles[].bootDiagnostics", "roles[].alertRules", "roles[].autoscale",
}

// FromInventory renders an inventory as the documents the real API would
// answer. Empty locations take the inventory's default location.
func FromInventory(inv *inventory.Inventory) *Estate {
	loc := func(l string) string {
		if l == "" {
			return inv.DefaultLocation
		}
		return l
	}
	e := &Estate{}
	owner := map[string]AttachedTo{}
	vhd := map[string]string{} // disk name -> its VHD, for the role disks' MediaLink
	for _, sa := range inv.StorageAccounts {
		for _, d := range sa.Disks {
			vhd[inventory.Key(d.Name)] = d.VHDURI
		}
	}
	for _, cs := range inv.CloudServices {
		d := cs.Deployment
		dep := Deployment{
			Name:               d.Name,
			DeploymentSlot:     orDefault(d.Slot, "Production"),
			VirtualNetworkName: d.VirtualNetwork,
			ReservedIPName:     cs.ReservedIP,
		}
		for _, r := range d.Roles {
			dep.RoleInstances = append(dep.RoleInstances, RoleInstance{
				RoleName:       r.Name,
				InstanceName:   r.Name,
				InstanceStatus: instanceStatus(r.State),
				InstanceSize:   r.Size,
				IPAddress:      r.PrivateIP,
			})
			dep.Roles = append(dep.Roles, role(r, vhd))
			at := AttachedTo{HostedServiceName: cs.Name, DeploymentName: d.Name, RoleName: r.Name}
			if r.OSDisk != "" {
				owner[inventory.Key(r.OSDisk)] = at
			}
			for _, dd := range r.DataDisks {
				owner[inventory.Key(dd.Disk)] = at
			}
		}
		e.Services = append(e.Services, HostedService{
			ServiceName: cs.Name,
			Properties:  HostedServiceProperties{Location: loc(cs.Location), Label: base64.StdEncoding.EncodeToString([]byte(cs.Name))},
			Deployments: []Deployment{dep},
		})
	}
	for _, v := range inv.VirtualNetworks {
		s := VirtualNetworkSite{Name: v.Name, Location: loc(v.Location), AddressPrefix: v.AddressSpace}
		for _, sn := range v.Subnets {
			s.Subnets = append(s.Subnets, Subnet(sn))
		}
		for _, g := range v.Gateways {
			s.Gateways = append(s.Gateways, Gateway{GatewayType: g.Kind, GatewaySize: g.SKU, CircuitName: g.Circuit})
		}
		e.Sites = append(e.Sites, s)
	}
	for _, sa := range inv.StorageAccounts {
		e.Storage = append(e.Storage, StorageService{
			ServiceName: sa.Name,
			Properties:  StorageServiceProperties{Location: loc(sa.Location), AccountType: sa.AccountType},
		})
		for _, d := range sa.Disks {
			disk := Disk{Name: d.Name, MediaLink: d.VHDURI, LogicalDiskSizeInGB: d.SizeGiB, OS: d.OS, Location: loc(sa.Location)}
			if at, ok := owner[inventory.Key(d.Name)]; ok {
				disk.AttachedTo = &at
			}
			e.Disks = append(e.Disks, disk)
		}
		for _, im := range sa.Images {
			if im.Generalized {
				e.Images = append(e.Images, OSImage{Category: CategoryUser, Location: loc(sa.Location), MediaLink: im.VHDURI, Name: im.Name, OS: im.OS})
				continue
			}
			e.VMImages = append(e.VMImages, VMImage{Name: im.Name, Category: CategoryUser,
				OSDisk: OSDiskConfiguration{OSState: "Specialized", OS: im.OS, MediaLink: im.VHDURI}})
		}
	}
	for _, ip := range inv.ReservedIPs {
		r := ReservedIP{Name: ip.Name, Address: ip.Address, Location: loc(ip.Location)}
		for _, cs := range inv.CloudServices {
			if inventory.Key(cs.ReservedIP) == inventory.Key(ip.Name) {
				r.ServiceName = cs.Name
			}
		}
		e.ReservedIPs = append(e.ReservedIPs, r)
	}
	for _, g := range inv.NetworkSecurityGroups {
		n := NetworkSecurityGroup{Name: g.Name, Location: loc(g.Location)}
		for _, r := range g.Rules {
			n.Rules = append(n.Rules, NSGRule{Name: r.Name, Type: r.Direction, Priority: r.Priority, Action: r.Access,
				SourceAddressPrefix: r.SourceAddressPrefix, SourcePortRange: r.SourcePortRange,
				DestinationAddressPrefix: r.DestinationAddressPrefix, DestinationPortRange: r.DestinationPortRange,
				Protocol: r.Protocol})
		}
		e.NSGs = append(e.NSGs, n)
	}
	for _, t := range inv.RouteTables {
		rt := RouteTable{Name: t.Name, Location: loc(t.Location)}
		for _, r := range t.Routes {
			rt.Routes = append(rt.Routes, Route{Name: r.Name, AddressPrefix: r.AddressPrefix,
				NextHop: NextHopType{Type: r.NextHopType, IPAddress: r.NextHopIPAddress}})
		}
		e.RouteTables = append(e.RouteTables, rt)
	}
	return e
}

func role(r inventory.Role, vhd map[string]string) Role {
	out := Role{RoleName: r.Name, RoleSize: r.Size, AvailabilitySetName: r.AvailabilitySet}
	switch r.Kind {
	case inventory.RoleWebRole:
		out.RoleType = RoleTypeWeb
	case inventory.RoleWorkerRole:
		out.RoleType = RoleTypeWorker
	default:
		out.RoleType = RoleTypeVM
	}
	cs := ConfigurationSet{ConfigurationSetType: ConfigurationSetNetwork, SubnetNames: r.Subnets,
		StaticVirtualNetworkIPAddress: r.PrivateIP, NetworkSecurityGroup: r.NetworkSecurityGroup}
	for _, ep := range r.Endpoints {
		ie := InputEndpoint{Name: ep.Name, Protocol: ep.Protocol, Port: ep.PublicPort, LocalPort: ep.LocalPort}
		if len(ep.ACL) > 0 {
			ie.EndpointACL = &EndpointACL{}
			for _, a := range ep.ACL {
				ie.EndpointACL.Rules = append(ie.EndpointACL.Rules, ACLRule{Order: a.Order, Action: a.Action, RemoteSubnet: a.RemoteSubnet})
			}
		}
		cs.InputEndpoints = append(cs.InputEndpoints, ie)
	}
	out.ConfigurationSets = []ConfigurationSet{cs}
	for _, x := range r.Extensions {
		out.ResourceExtensions = append(out.ResourceExtensions, ExtensionReference{
			ReferenceName: x.Name, Publisher: x.Publisher, Name: x.Name, Version: x.Version, State: "Enable", Format: x.Format})
	}
	if r.OSDisk != "" {
		out.OSVirtualHardDisk = &OSVirtualHardDisk{DiskName: r.OSDisk, MediaLink: vhd[inventory.Key(r.OSDisk)]}
	}
	for _, d := range r.DataDisks {
		out.DataVirtualHardDisks = append(out.DataVirtualHardDisks, DataVirtualHardDisk{DiskName: d.Disk, Lun: d.LUN, MediaLink: vhd[inventory.Key(d.Disk)]})
	}
	return out
}

func instanceStatus(state string) string {
	switch state {
	case "", "Running":
		return instanceReady
	case "Stopped":
		return instanceStopped
	}
	return state
}

func roleState(status string) string {
	switch status {
	case instanceReady, "":
		return "Running"
	case instanceStopped:
		return "Stopped"
	}
	return status
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Inventory reads the documents back into an inventory of subscription sub.
// Disks and images are filed under the storage account their MediaLink
// names; one that names an account the subscription does not list is an
// error, as is a hosted service with no deployment (the inventory cannot
// hold it). Fields Service Management does not report (Undiscoverable) stay
// at their zero value; lists are never nil, so the result renders as the
// inventory format expects.
func (e *Estate) Inventory(sub string) (*inventory.Inventory, error) {
	inv := &inventory.Inventory{
		SchemaVersion:         inventory.SchemaVersion,
		SubscriptionID:        sub,
		Target:                inventory.Target{Cloud: inventory.CloudAzurePublic, ResourceGroupSuffix: inventory.DefaultResourceGroupSuffix},
		StorageAccounts:       []inventory.StorageAccount{},
		VirtualNetworks:       []inventory.VirtualNetwork{},
		CloudServices:         []inventory.CloudService{},
		NetworkSecurityGroups: []inventory.NetworkSecurityGroup{},
		RouteTables:           []inventory.RouteTable{},
		ReservedIPs:           []inventory.ReservedIP{},
		ExpressRouteCircuits:  []inventory.ExpressRouteCircuit{},
	}
	accounts := map[string]int{}
	for _, s := range e.Storage {
		accounts[inventory.Key(s.ServiceName)] = len(inv.StorageAccounts)
		inv.StorageAccounts = append(inv.StorageAccounts, inventory.StorageAccount{
			Name: s.ServiceName, Location: s.Properties.Location, AccountType: s.Properties.AccountType,
			Disks: []inventory.Disk{}, Images: []inventory.Image{}, RoleAssignments: []inventory.RoleAssignment{},
		})
	}
	account := func(what, name, link string) (*inventory.StorageAccount, error) {
		a := AccountOf(link)
		i, ok := accounts[inventory.Key(a)]
		if !ok {
			return nil, fmt.Errorf("%s %s: MediaLink %q is not in a storage account of the subscription", what, name, link)
		}
		return &inv.StorageAccounts[i], nil
	}
	for _, d := range e.Disks {
		sa, err := account("disk", d.Name, d.MediaLink)
		if err != nil {
			return nil, err
		}
		sa.Disks = append(sa.Disks, inventory.Disk{Name: d.Name, VHDURI: d.MediaLink, SizeGiB: d.LogicalDiskSizeInGB, OS: d.OS})
	}
	for _, im := range e.Images {
		if im.Category != CategoryUser {
			continue
		}
		sa, err := account("image", im.Name, im.MediaLink)
		if err != nil {
			return nil, err
		}
		sa.Images = append(sa.Images, inventory.Image{Name: im.Name, VHDURI: im.MediaLink, OS: im.OS, Generalized: true})
	}
	for _, im := range e.VMImages {
		if im.Category != CategoryUser {
			continue
		}
		sa, err := account("image", im.Name, im.OSDisk.MediaLink)
		if err != nil {
			return nil, err
		}
		sa.Images = append(sa.Images, inventory.Image{Name: im.Name, VHDURI: im.OSDisk.MediaLink, OS: im.OSDisk.OS,
			Generalized: im.OSDisk.OSState == "Generalized"})
	}
	for _, s := range e.Sites {
		v := inventory.VirtualNetwork{Name: s.Name, Location: s.Location, AddressSpace: s.AddressPrefix,
			Subnets: []inventory.Subnet{}, Gateways: []inventory.Gateway{}, Peerings: []inventory.Peering{},
			ApplicationGateways: []inventory.ApplicationGateway{}, PlatformServices: []string{}}
		for _, sn := range s.Subnets {
			v.Subnets = append(v.Subnets, inventory.Subnet(sn))
		}
		for _, g := range s.Gateways {
			v.Gateways = append(v.Gateways, inventory.Gateway{Kind: g.GatewayType, SKU: g.GatewaySize, Circuit: g.CircuitName})
		}
		inv.VirtualNetworks = append(inv.VirtualNetworks, v)
	}
	for _, hs := range e.Services {
		if len(hs.Deployments) == 0 {
			return nil, fmt.Errorf("cloud service %s: no deployment", hs.ServiceName)
		}
		// The production slot is the one that migrates; staging is taken only
		// when it is all there is.
		d := hs.Deployments[0]
		for _, x := range hs.Deployments {
			if x.DeploymentSlot == "Production" {
				d = x
			}
		}
		cs := inventory.CloudService{Name: hs.ServiceName, Location: hs.Properties.Location, ReservedIP: d.ReservedIPName,
			Deployment: inventory.Deployment{Name: d.Name, Slot: orDefault(d.DeploymentSlot, "Production"),
				VirtualNetwork: d.VirtualNetworkName, Roles: []inventory.Role{}}}
		inst := map[string]RoleInstance{}
		for _, ri := range d.RoleInstances {
			if _, ok := inst[ri.RoleName]; !ok {
				inst[ri.RoleName] = ri
			}
		}
		for _, r := range d.Roles {
			cs.Deployment.Roles = append(cs.Deployment.Roles, inventoryRole(r, inst[r.RoleName]))
		}
		inv.CloudServices = append(inv.CloudServices, cs)
	}
	for _, ip := range e.ReservedIPs {
		inv.ReservedIPs = append(inv.ReservedIPs, inventory.ReservedIP{Name: ip.Name, Location: ip.Location, Address: ip.Address})
	}
	for _, g := range e.NSGs {
		n := inventory.NetworkSecurityGroup{Name: g.Name, Location: g.Location, Rules: []inventory.NSGRule{}}
		for _, r := range g.Rules {
			n.Rules = append(n.Rules, inventory.NSGRule{Name: r.Name, Priority: r.Priority, Direction: r.Type, Access: r.Action,
				Protocol: r.Protocol, SourceAddressPrefix: r.SourceAddressPrefix, SourcePortRange: r.SourcePortRange,
				DestinationAddressPrefix: r.DestinationAddressPrefix, DestinationPortRange: r.DestinationPortRange})
		}
		inv.NetworkSecurityGroups = append(inv.NetworkSecurityGroups, n)
	}
	for _, t := range e.RouteTables {
		rt := inventory.RouteTable{Name: t.Name, Location: t.Location, Routes: []inventory.Route{}}
		for _, r := range t.Routes {
			rt.Routes = append(rt.Routes, inventory.Route{Name: r.Name, AddressPrefix: r.AddressPrefix,
				NextHopType: r.NextHop.Type, NextHopIPAddress: r.NextHop.IPAddress})
		}
		inv.RouteTables = append(inv.RouteTables, rt)
	}
	return inv, nil
}

func inventoryRole(r Role, ri RoleInstance) inventory.Role {
	out := inventory.Role{Name: r.RoleName, Size: r.RoleSize, State: roleState(ri.InstanceStatus),
		PrivateIP: ri.IPAddress, AvailabilitySet: r.AvailabilitySetName}
	switch r.RoleType {
	case RoleTypeWeb:
		out.Kind = inventory.RoleWebRole
	case RoleTypeWorker:
		out.Kind = inventory.RoleWorkerRole
	default:
		out.Kind = inventory.RoleVirtualMachine
	}
	if out.Size == "" {
		out.Size = ri.InstanceSize
	}
	for _, cs := range r.ConfigurationSets {
		if cs.ConfigurationSetType != ConfigurationSetNetwork {
			continue
		}
		out.Subnets = append(out.Subnets, cs.SubnetNames...)
		out.NetworkSecurityGroup = cs.NetworkSecurityGroup
		if out.PrivateIP == "" {
			out.PrivateIP = cs.StaticVirtualNetworkIPAddress
		}
		for _, ie := range cs.InputEndpoints {
			ep := inventory.Endpoint{Name: ie.Name, Protocol: ie.Protocol, PublicPort: ie.Port, LocalPort: ie.LocalPort, ACL: []inventory.ACL{}}
			if ie.EndpointACL != nil {
				for _, a := range ie.EndpointACL.Rules {
					ep.ACL = append(ep.ACL, inventory.ACL{Order: a.Order, Action: a.Action, RemoteSubnet: a.RemoteSubnet})
				}
			}
			out.Endpoints = append(out.Endpoints, ep)
		}
	}
	for _, x := range r.ResourceExtensions {
		out.Extensions = append(out.Extensions, inventory.Extension{Publisher: x.Publisher, Name: x.Name, Version: x.Version, Format: x.Format})
	}
	if r.OSVirtualHardDisk != nil {
		out.OSDisk = r.OSVirtualHardDisk.DiskName
	}
	for _, d := range r.DataVirtualHardDisks {
		out.DataDisks = append(out.DataDisks, inventory.DataDisk{Disk: d.DiskName, LUN: d.Lun})
	}
	return out
}

// AccountOf is the storage account a blob URL lives in: the first label of
// its host (https://<account>.blob.<suffix>/...). A path-style URL
// (http://127.0.0.1:10000/<account>/..., as Azurite serves) names the
// account in its first path segment.
func AccountOf(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	host := u.Hostname()
	if i := strings.IndexByte(host, '.'); i > 0 && strings.Contains(host[i:], ".blob.") {
		return host[:i]
	}
	seg, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	return seg
}
