package smapi

import (
	"crypto/sha256"
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
	// Gateways and Connections are each VNet's gateway read and its
	// connections' states, by the VNet's Key; a VNet with no gateway has
	// neither.
	Gateways    map[string]VNetGateway
	Connections map[string][]GatewayConnection
	// SubnetRouteTables is the route table of each subnet that has one,
	// by SubnetKey.
	SubnetRouteTables map[string]string
	AppGateways       []ApplicationGateway
	// Circuits are the ExpressRoute circuits the subscription owns,
	// Authorized those another subscription authorized it to use, and
	// CircuitLinks each circuit's linked VNets by service key.
	Circuits     []DedicatedCircuit
	Authorized   []DedicatedCircuit
	CircuitLinks map[string][]DedicatedCircuitLink
	// ExtensionVersions are the versions of each VM extension the roles
	// reference, by ExtensionKey; an extension with none listed has an
	// unknown format.
	ExtensionVersions map[string][]ResourceExtension
}

// ExtensionKey keys an extension in Estate.ExtensionVersions.
func ExtensionKey(publisher, name string) string {
	return inventory.Key(publisher) + "/" + inventory.Key(name)
}

// ExtensionFormat is "xml" when a version of the extension that ref
// selects takes the legacy XML configuration (IsJsonExtension false),
// "json" when every one it selects takes JSON, and "" when none is listed
// or the versions do not say. ref selects a version exactly, by major
// version ("1.*" selects "1.0" and "1.2"), or, empty or "*", all of them.
func ExtensionFormat(ref string, versions []ResourceExtension) string {
	format := ""
	for _, v := range versions {
		if !versionSelected(ref, v.Version) {
			continue
		}
		if v.IsJSONExtension == nil {
			return ""
		}
		if !*v.IsJSONExtension {
			return "xml"
		}
		format = "json"
	}
	return format
}

// versionSelected reports whether an extension reference's version ref
// selects version v.
func versionSelected(ref, v string) bool {
	switch {
	case ref == "" || ref == "*" || ref == v:
		return true
	case strings.HasSuffix(ref, ".*"):
		return strings.HasPrefix(v, strings.TrimSuffix(ref, "*"))
	}
	return false
}

// SubnetKey keys a subnet of a VNet in Estate.SubnetRouteTables.
func SubnetKey(vnet, subnet string) string { return inventory.Key(vnet) + "/" + inventory.Key(subnet) }

// ServiceKey is the service key the emulator gives a circuit: Azure makes
// one up when the circuit is created, the inventory has none, so it is
// derived from the name to stay the same across reads.
func ServiceKey(circuit string) string {
	h := sha256.Sum256([]byte(inventory.Key(circuit)))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// OtherSubscription is the subscriptionId discovery writes for an
// ExpressRoute circuit another subscription authorized this one to use:
// Service Management does not say whose it is, only that it is not this
// subscription's, which is what rule expressroute-other-subscription needs.
// The nil GUID is a well-formed id (the inventory requires one) that no
// subscription has; the operator may replace it with the owner's.
const OtherSubscription = "00000000-0000-0000-0000-000000000000"

// Gateway values the emulator reports for a VNet's gateway.
const (
	gatewayDynamic     = "DynamicRouting"
	gatewayProvisioned = "Provisioned"
)

// CategoryUser is the image category of the subscription's own images;
// platform images carry other categories and are not inventoried.
const CategoryUser = "User"

// Instance statuses that the inventory spells differently.
const (
	instanceReady   = "ReadyRole"
	instanceStopped = "StoppedVM"
)

// Undiscoverable lists the inventory fields Service Management does not
// report, so Discover leaves them at their zero value: facts about
// blobs, Dynamics Lifecycle Services in a VNet (no Azure API reports it),
// and the operator's choices. The operator fills them in, except
// blobSizeBytes, which `inventory discover` reads from the Blob service
// afterwards (the driver's BlobSizes). Peerings, role assignments, alert
// rules, autoscale, target.quotas and the other platform services are not
// listed: Service Management does not report them either, but Discover
// reads them from Resource Manager (the virtual network list, leaving out
// peerings defined in another subscription's VNet; Microsoft.Authorization;
// Azure Monitor; the regional usages; the services' own lists).
var Undiscoverable = []string{
	"defaultLocation",
	"expressRouteCircuits[].model", "expressRouteCircuits[].subscriptionId",
	"storageAccounts[].blobsOnly",
	"storageAccounts[].disks[].blobSizeBytes",
	"virtualNetworks[].platformServices[DynamicsLifecycleServices]",
	"cloudServices[].deployment.destination",
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
	e := &Estate{Gateways: map[string]VNetGateway{}, Connections: map[string][]GatewayConnection{},
		SubnetRouteTables: map[string]string{}, CircuitLinks: map[string][]DedicatedCircuitLink{}}
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
			dep.RoleInstances = append(dep.RoleInstances, roleInstance(r))
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
			Properties: HostedServiceProperties{Location: loc(cs.Location), Label: base64.StdEncoding.EncodeToString([]byte(cs.Name)),
				AffinityGroup: cs.AffinityGroup},
			Deployments: []Deployment{dep},
		})
	}
	for _, v := range inv.VirtualNetworks {
		s := VirtualNetworkSite{Name: v.Name, Location: loc(v.Location), AddressPrefix: v.AddressSpace}
		for _, sn := range v.Subnets {
			s.Subnets = append(s.Subnets, Subnet{Name: sn.Name, AddressPrefix: sn.AddressPrefix, NetworkSecurityGroup: sn.NetworkSecurityGroup})
			if sn.RouteTable != "" {
				e.SubnetRouteTables[SubnetKey(v.Name, sn.Name)] = sn.RouteTable
			}
		}
		e.siteGateway(&s, v)
		for _, ag := range v.ApplicationGateways {
			e.AppGateways = append(e.AppGateways, ApplicationGateway{Name: ag.Name, VnetName: v.Name})
		}
		e.Sites = append(e.Sites, s)
	}
	for _, c := range inv.ExpressRouteCircuits {
		dc := DedicatedCircuit{ServiceKey: ServiceKey(c.Name), CircuitName: c.Name, Status: "Enabled"}
		if c.SubscriptionID == "" || strings.EqualFold(c.SubscriptionID, inv.SubscriptionID) {
			e.Circuits = append(e.Circuits, dc)
		} else {
			e.Authorized = append(e.Authorized, dc)
		}
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

// siteGateway renders v's gateways as Azure reports a classic VNet's one
// gateway: a local network site per connection (IPsec for VPN, Dedicated
// for ExpressRoute), the gateway read, the connections' states, and the
// circuit's link to the VNet.
func (e *Estate) siteGateway(s *VirtualNetworkSite, v inventory.VirtualNetwork) {
	if len(v.Gateways) == 0 {
		return
	}
	gw := &SiteGateway{}
	k := inventory.Key(v.Name)
	for _, g := range v.Gateways {
		if g.Kind == inventory.GatewayExpressRoute {
			gw.Sites = append(gw.Sites, LocalNetworkSite{Name: g.Circuit, Connections: []Connection{{Type: ConnectionDedicated}}})
			sk := ServiceKey(g.Circuit)
			e.CircuitLinks[sk] = append(e.CircuitLinks[sk], DedicatedCircuitLink{State: gatewayProvisioned, VnetName: v.Name})
			continue
		}
		for _, c := range g.Connections {
			gw.Sites = append(gw.Sites, LocalNetworkSite{Name: c.LocalNetworkSite, AddressPrefix: c.AddressSpace,
				Connections: []Connection{{Type: ConnectionIPsec}}})
			if c.State != "" {
				e.Connections[k] = append(e.Connections[k], GatewayConnection{LocalNetworkSiteName: c.LocalNetworkSite, ConnectivityState: c.State})
			}
		}
	}
	s.Gateway = gw
	e.Gateways[k] = VNetGateway{State: gatewayProvisioned, GatewayType: gatewayDynamic, GatewaySize: v.Gateways[0].SKU}
}

// roleInstance is what the instance list reports of r: its state, size and
// address, and what its VM agent reports. An extension whose status was
// not collected is reported Ready where the agent reports at all (the
// agent reports every handler it runs); NotReported ones are left out of
// the list, which is how Azure shows them.
func roleInstance(r inventory.Role) RoleInstance {
	ri := RoleInstance{RoleName: r.Name, InstanceName: r.Name, InstanceStatus: instanceStatus(r.State),
		InstanceSize: r.Size, IPAddress: r.PrivateIP}
	if r.AgentStatus == "" {
		return ri
	}
	ri.GuestAgentStatus = &GuestAgentStatus{Status: r.AgentStatus}
	for _, x := range r.Extensions {
		st := x.Status
		switch st {
		case inventory.ExtensionNotReported:
			continue
		case "":
			st = inventory.AgentReady
		}
		ri.ExtensionStatuses = append(ri.ExtensionStatuses, ResourceExtensionStatus{HandlerName: HandlerName(x.Publisher, x.Name), Status: st})
	}
	return ri
}

// bootDiagnosticsBlob is where a role's serial output goes in account: the
// container Azure names after the role (bootdiagnostics-<role>-<id>).
func bootDiagnosticsBlob(account, role string) string {
	return "https://" + account + ".blob.core.windows.net/bootdiagnostics-" + strings.ToLower(role) + "/" + role + ".serialconsole.log"
}

func role(r inventory.Role, vhd map[string]string) Role {
	out := Role{RoleName: r.Name, RoleSize: r.Size, AvailabilitySetName: r.AvailabilitySet}
	if r.Kind != inventory.RoleWebRole && r.Kind != inventory.RoleWorkerRole {
		out.RoleType = RoleTypeVM // a PaaS role has none, as in Azure
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
	if b := r.BootDiagnostics; b != nil {
		out.DebugSettings = &DebugSettings{BootDiagnosticsEnabled: b.Enabled}
		if b.StorageAccount != "" {
			out.DebugSettings.SerialOutputBlobURI = bootDiagnosticsBlob(b.StorageAccount, r.Name)
		}
	}
	for _, x := range r.Extensions {
		out.ResourceExtensions = append(out.ResourceExtensions, ExtensionReference{
			ReferenceName: x.Name, Publisher: x.Publisher, Name: x.Name, Version: x.Version, State: "Enable"})
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
// hold it). Fields Service Management does not report (Undiscoverable, and
// peerings, which the driver reads from Resource Manager) stay at their
// zero value; lists are never nil, so the result renders as the
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
	circuitOf := e.inventoryCircuits(inv)
	for _, s := range e.Sites {
		v := inventory.VirtualNetwork{Name: s.Name, Location: s.Location, AddressSpace: s.AddressPrefix,
			Subnets: []inventory.Subnet{}, Gateways: []inventory.Gateway{}, Peerings: []inventory.Peering{},
			ApplicationGateways: []inventory.ApplicationGateway{}, PlatformServices: []string{}}
		for _, sn := range s.Subnets {
			v.Subnets = append(v.Subnets, inventory.Subnet{Name: sn.Name, AddressPrefix: sn.AddressPrefix,
				NetworkSecurityGroup: sn.NetworkSecurityGroup, RouteTable: e.SubnetRouteTables[SubnetKey(s.Name, sn.Name)]})
		}
		v.Gateways = e.inventoryGateways(s, circuitOf, inv)
		for _, ag := range e.AppGateways {
			if strings.EqualFold(ag.VnetName, s.Name) {
				v.ApplicationGateways = append(v.ApplicationGateways, inventory.ApplicationGateway{Name: ag.Name})
			}
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
			AffinityGroup: hs.Properties.AffinityGroup,
			Deployment: inventory.Deployment{Name: d.Name, Slot: orDefault(d.DeploymentSlot, "Production"),
				VirtualNetwork: d.VirtualNetworkName, Roles: []inventory.Role{}}}
		inst := map[string]RoleInstance{}
		for _, ri := range d.RoleInstances {
			if _, ok := inst[ri.RoleName]; !ok {
				inst[ri.RoleName] = ri
			}
		}
		for _, r := range d.Roles {
			cs.Deployment.Roles = append(cs.Deployment.Roles, inventoryRole(r, inst[r.RoleName], e.ExtensionVersions))
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

// inventoryCircuits files the subscription's own circuits (model Classic,
// as Service Management lists them) and the authorized ones (another
// subscription's, model unknown) into inv, and returns the circuit linked
// to each VNet, by the VNet's Key.
func (e *Estate) inventoryCircuits(inv *inventory.Inventory) map[string]string {
	byKey := map[string]string{}
	for _, c := range e.Circuits {
		byKey[c.ServiceKey] = c.CircuitName
		inv.ExpressRouteCircuits = append(inv.ExpressRouteCircuits, inventory.ExpressRouteCircuit{Name: c.CircuitName, Model: "Classic"})
	}
	for _, c := range e.Authorized {
		byKey[c.ServiceKey] = c.CircuitName
		inv.ExpressRouteCircuits = append(inv.ExpressRouteCircuits, inventory.ExpressRouteCircuit{Name: c.CircuitName, SubscriptionID: OtherSubscription})
	}
	out := map[string]string{}
	for sk, links := range e.CircuitLinks {
		for _, l := range links {
			if name, ok := byKey[sk]; ok {
				out[inventory.Key(l.VnetName)] = name
			}
		}
	}
	return out
}

// inventoryGateways reads a site's one gateway back as the inventory's
// gateways: an ExpressRoute one where a local site is connected Dedicated
// (its circuit the one linked to the VNet), a VPN one with each IPsec
// site as a connection, or a VPN one with none when the gateway has no
// Dedicated site. A Dedicated site with no circuit linked to the VNet
// names a circuit by the site's name and files it with an unknown model,
// for the operator to complete.
func (e *Estate) inventoryGateways(s VirtualNetworkSite, circuitOf map[string]string, inv *inventory.Inventory) []inventory.Gateway {
	out := []inventory.Gateway{}
	if s.Gateway == nil {
		return out
	}
	k := inventory.Key(s.Name)
	sku := e.Gateways[k].GatewaySize
	state := map[string]string{}
	for _, c := range e.Connections[k] {
		state[inventory.Key(c.LocalNetworkSiteName)] = c.ConnectivityState
	}
	var er, vpn *inventory.Gateway
	for _, site := range s.Gateway.Sites {
		for _, c := range site.Connections {
			switch c.Type {
			case ConnectionDedicated:
				if er != nil {
					continue
				}
				circuit, ok := circuitOf[k]
				if !ok {
					circuit = site.Name
					if !hasCircuit(inv, circuit) {
						inv.ExpressRouteCircuits = append(inv.ExpressRouteCircuits, inventory.ExpressRouteCircuit{Name: circuit})
					}
				}
				er = &inventory.Gateway{Kind: inventory.GatewayExpressRoute, SKU: sku, Circuit: circuit}
			case ConnectionIPsec:
				if vpn == nil {
					vpn = &inventory.Gateway{Kind: inventory.GatewayVpn, SKU: sku}
				}
				vpn.Connections = append(vpn.Connections, inventory.GatewayConnection{LocalNetworkSite: site.Name,
					AddressSpace: site.AddressPrefix, State: state[inventory.Key(site.Name)]})
			}
		}
	}
	if er == nil && vpn == nil {
		vpn = &inventory.Gateway{Kind: inventory.GatewayVpn, SKU: sku}
	}
	if er != nil {
		out = append(out, *er)
	}
	if vpn != nil {
		out = append(out, *vpn)
	}
	return out
}

func hasCircuit(inv *inventory.Inventory, name string) bool {
	for _, c := range inv.ExpressRouteCircuits {
		if inventory.Key(c.Name) == inventory.Key(name) {
			return true
		}
	}
	return false
}

func inventoryRole(r Role, ri RoleInstance, versions map[string][]ResourceExtension) inventory.Role {
	out := inventory.Role{Name: r.RoleName, Size: r.RoleSize, State: roleState(ri.InstanceStatus),
		PrivateIP: ri.IPAddress, AvailabilitySet: r.AvailabilitySetName}
	out.Kind = inventory.RoleVirtualMachine
	if !strings.EqualFold(r.RoleType, RoleTypeVM) && r.OSVirtualHardDisk == nil {
		// A PaaS role (RoleTypeVM says why it cannot be told web from
		// worker): recorded as a worker role, which every rule treats as
		// a web role.
		out.Kind = inventory.RoleWorkerRole
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
	if ri.GuestAgentStatus != nil {
		out.AgentStatus = ri.GuestAgentStatus.Status
	}
	handler := map[string]string{}
	for _, st := range ri.ExtensionStatuses {
		handler[inventory.Key(st.HandlerName)] = st.Status
	}
	for _, x := range r.ResourceExtensions {
		ext := inventory.Extension{Publisher: x.Publisher, Name: x.Name, Version: x.Version,
			Format: ExtensionFormat(x.Version, versions[ExtensionKey(x.Publisher, x.Name)])}
		if ri.GuestAgentStatus != nil {
			// The agent reports every handler it runs: one it does not
			// report is NotReported, the state the rule names.
			ext.Status = inventory.ExtensionNotReported
			if st, ok := handler[inventory.Key(HandlerName(x.Publisher, x.Name))]; ok {
				ext.Status = st
			}
		}
		out.Extensions = append(out.Extensions, ext)
	}
	if d := r.DebugSettings; d != nil {
		out.BootDiagnostics = &inventory.BootDiagnostics{Enabled: d.BootDiagnosticsEnabled, StorageAccount: AccountOf(d.SerialOutputBlobURI)}
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
