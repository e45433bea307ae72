package inventorytest

import (
	"fmt"
	"math/rand/v2"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Shape of a synthetic estate, chosen to look like a large real one.
const (
	vmsPerService     = 4
	servicesPerVNet   = 25
	servicesPerSubnet = 5
	// Every noVNetEvery-th cloud service is not in a virtual network.
	noVNetEvery    = 10
	disksPerAcount = 40
	gib            = 1 << 30
)

// region returns one of the regions the estate spreads over.
func region(i int) string {
	return [...]string{"West US", "East US", "North Europe"}[i%3]
}

// Synthetic returns a valid estate with vms virtual machines, the same for
// the same arguments: about four VMs per cloud service, 25 cloud services
// per VNet, one cloud service in ten not in a VNet, NSGs and route tables on
// every subnet, storage accounts holding at most 40 disks each. It loads
// without problems and no rule of rules.md at error or warning severity
// fires on it (the not-in-VNet cloud services get the vm-restart info).
func Synthetic(vms int, seed int64) *inventory.Inventory {
	g := &gen{
		rng:     rand.New(rand.NewPCG(uint64(seed), 0x5eed5eed5eed5eed)), //nolint:gosec // G404: seeded on purpose, the estate must be the same for the same seed
		current: map[string]int{},
		inv: &inventory.Inventory{
			SchemaVersion:   inventory.SchemaVersion,
			SubscriptionID:  fmt.Sprintf("00000000-0000-4000-8000-%012x", uint64(seed)&0xffffffffffff),
			DefaultLocation: region(0),
			Target: inventory.Target{
				Cloud:               inventory.CloudAzurePublic,
				ResourceGroupSuffix: inventory.DefaultResourceGroupSuffix,
			},
		},
	}
	for cs := 0; vms > 0; cs++ {
		n := min(vmsPerService, vms)
		vms -= n
		g.cloudService(cs, n)
	}
	// Reserved IPs and storage nobody attaches: real estates have them.
	g.inv.ReservedIPs = append(g.inv.ReservedIPs, inventory.ReservedIP{
		Name: "syn-spare-ip", Location: region(0), Address: "40.112.255.1",
	})
	g.inv.StorageAccounts = append(g.inv.StorageAccounts, inventory.StorageAccount{
		Name: "synblobs", Location: region(0), AccountType: "Standard_GRS", BlobsOnly: true,
	})
	return g.inv
}

type gen struct {
	rng *rand.Rand
	inv *inventory.Inventory

	inVNet  int // cloud services placed in VNets so far
	vnet    *inventory.VirtualNetwork
	ipInSub int // next host number in the current subnet
	ips     int // reserved IPs made

	// current maps account type and region to the index of the storage
	// account being filled.
	current map[string]int
}

func (g *gen) cloudService(i, vms int) {
	name := fmt.Sprintf("syn-cs-%05d", i)
	cs := inventory.CloudService{
		Name: name,
		Deployment: inventory.Deployment{
			Name: name + "-prod",
			Slot: "Production",
		},
	}
	inVNet := i%noVNetEvery != noVNetEvery-1
	subnet := ""
	third := 0
	if inVNet {
		if g.inVNet%servicesPerVNet == 0 {
			g.newVNet()
		}
		k := (g.inVNet % servicesPerVNet) / servicesPerSubnet
		if g.inVNet%servicesPerSubnet == 0 {
			g.ipInSub = 4
		}
		g.inVNet++
		subnet = g.vnet.Subnets[k].Name
		third = k
		cs.Location = g.vnet.Location
		cs.Deployment.VirtualNetwork = g.vnet.Name
	} else {
		cs.Location = region(i)
	}
	if i%3 == 0 {
		ip := fmt.Sprintf("syn-ip-%05d", g.ips)
		g.inv.ReservedIPs = append(g.inv.ReservedIPs, inventory.ReservedIP{
			Name: ip, Location: cs.Location,
			Address: fmt.Sprintf("40.%d.%d.%d", 64+g.ips/65536%64, g.ips/256%256, g.ips%256),
		})
		g.ips++
		cs.ReservedIP = ip
	}
	for j := 0; j < vms; j++ {
		r := g.vm(name, j, cs.Location)
		r.AvailabilitySet = name + "-as"
		if inVNet {
			r.Subnets = []string{subnet}
			r.PrivateIP = fmt.Sprintf("%s.%d.%d", g.vnetPrefix(), third, g.ipInSub)
			g.ipInSub++
		}
		cs.Deployment.Roles = append(cs.Deployment.Roles, r)
	}
	g.inv.CloudServices = append(g.inv.CloudServices, cs)
}

func (g *gen) vnetPrefix() string {
	n := len(g.inv.VirtualNetworks) - 1
	return fmt.Sprintf("10.%d", n%250)
}

func (g *gen) newVNet() {
	n := len(g.inv.VirtualNetworks)
	loc := region(n)
	name := fmt.Sprintf("syn-vnet-%04d", n)
	vn := inventory.VirtualNetwork{
		Name:         name,
		Location:     loc,
		AddressSpace: []string{fmt.Sprintf("10.%d.0.0/16", n%250)},
	}
	for k := 0; k < servicesPerVNet/servicesPerSubnet; k++ {
		sn := fmt.Sprintf("subnet%d", k)
		nsg := fmt.Sprintf("%s-%s-nsg", name, sn)
		rt := fmt.Sprintf("%s-%s-routes", name, sn)
		vn.Subnets = append(vn.Subnets, inventory.Subnet{
			Name:                 sn,
			AddressPrefix:        fmt.Sprintf("10.%d.%d.0/24", n%250, k),
			NetworkSecurityGroup: nsg,
			RouteTable:           rt,
		})
		g.inv.NetworkSecurityGroups = append(g.inv.NetworkSecurityGroups, inventory.NetworkSecurityGroup{
			Name: nsg, Location: loc,
			Rules: []inventory.NSGRule{{
				Name: "allow-vnet-inbound", Priority: 100, Direction: "Inbound", Access: "Allow", Protocol: "*",
				SourceAddressPrefix: "VIRTUAL_NETWORK", SourcePortRange: "*",
				DestinationAddressPrefix: "*", DestinationPortRange: "*",
			}},
		})
		g.inv.RouteTables = append(g.inv.RouteTables, inventory.RouteTable{
			Name: rt, Location: loc,
			Routes: []inventory.Route{{Name: "default-internet", AddressPrefix: "0.0.0.0/0", NextHopType: "Internet"}},
		})
	}
	if n%4 == 0 {
		vn.Gateways = []inventory.Gateway{{Kind: inventory.GatewayVpn, SKU: "Standard"}}
	}
	g.inv.VirtualNetworks = append(g.inv.VirtualNetworks, vn)
	g.vnet = &g.inv.VirtualNetworks[len(g.inv.VirtualNetworks)-1]
}

// vm makes one VM role with its disks registered in a storage account.
func (g *gen) vm(cs string, j int, loc string) inventory.Role {
	premium := g.rng.IntN(5) == 0
	linux := g.rng.IntN(2) == 0
	size := [...]string{"Standard_D1", "Standard_D2", "Standard_D3", "Standard_A2"}[g.rng.IntN(4)]
	if premium {
		size = [...]string{"Standard_DS1", "Standard_DS2", "Standard_DS3"}[g.rng.IntN(3)]
	}
	name := fmt.Sprintf("vm%d", j)
	r := inventory.Role{
		Name:  name,
		Kind:  inventory.RoleVirtualMachine,
		Size:  size,
		State: "Running",
	}
	if g.rng.IntN(10) == 0 {
		r.State = "StoppedDeallocated"
	}
	osName, osSize, ext := "Windows", int64(127), inventory.Extension{
		Publisher: "Microsoft.Compute", Name: "CustomScriptExtension", Version: "1.10", Format: "json",
	}
	ep := inventory.Endpoint{Name: "rdp", Protocol: "tcp", PublicPort: 3389, LocalPort: 3389, ACL: []inventory.ACL{}}
	if linux {
		osName, osSize = "Linux", 30
		ext = inventory.Extension{Publisher: "Microsoft.Azure.Extensions", Name: "CustomScript", Version: "2.1", Format: "json"}
		ep = inventory.Endpoint{Name: "ssh", Protocol: "tcp", PublicPort: 22, LocalPort: 22, ACL: []inventory.ACL{}}
	}
	r.Extensions = []inventory.Extension{ext}
	r.Endpoints = []inventory.Endpoint{ep}
	base := fmt.Sprintf("%s-%s", cs, name)
	r.OSDisk = g.disk(premium, base+"-os", osSize, osName, loc)
	for l := 0; l < g.rng.IntN(3); l++ {
		sz := [...]int64{128, 256, 512, 1023}[g.rng.IntN(4)]
		r.DataDisks = append(r.DataDisks, inventory.DataDisk{
			Disk: g.disk(premium, fmt.Sprintf("%s-data%d", base, l), sz, "", loc),
			LUN:  l,
		})
	}
	return r
}

// disk registers a disk in the current standard or premium account of the
// region, opening a new account every disksPerAcount disks.
func (g *gen) disk(premium bool, name string, sizeGiB int64, os, loc string) string {
	prefix, typ := "synstd", "Standard_LRS"
	if premium {
		prefix, typ = "synprm", "Premium_LRS"
	}
	key := typ + "/" + loc
	i, ok := g.current[key]
	if !ok || len(g.inv.StorageAccounts[i].Disks) >= disksPerAcount {
		i = len(g.inv.StorageAccounts)
		g.inv.StorageAccounts = append(g.inv.StorageAccounts, inventory.StorageAccount{
			Name:        fmt.Sprintf("%s%05d", prefix, i),
			Location:    loc,
			AccountType: typ,
		})
		g.current[key] = i
	}
	sa := &g.inv.StorageAccounts[i]
	sa.Disks = append(sa.Disks, inventory.Disk{
		Name:          name,
		VHDURI:        fmt.Sprintf("https://%s.blob.core.windows.net/vhds/%s.vhd", sa.Name, name),
		SizeGiB:       sizeGiB,
		BlobSizeBytes: sizeGiB*gib + 512,
		OS:            os,
	})
	return name
}
