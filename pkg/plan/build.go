package plan

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/migrate-tool/migrate/pkg/dag"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// ErrCycle is matched (errors.Is) by every *CycleError.
var ErrCycle = dag.ErrCycle

// CycleError reports that the units depend on each other in a circle, so no
// order can migrate them; it names every cycle.
type CycleError struct {
	// Cycles are unit-id chains; each chain's last unit depends back on its
	// first.
	Cycles [][]string
}

// Error names every cycle as a unit-id chain.
func (e *CycleError) Error() string {
	return "plan: units depend on each other: " + strings.TrimPrefix((&dag.CycleError{Cycles: e.Cycles}).Error(), "dependency ")
}

// Is makes errors.Is(err, ErrCycle) true.
func (e *CycleError) Is(target error) bool { return target == ErrCycle }

// builder holds the state of one Build.
type builder struct {
	inv *inventory.Inventory
	ix  *inventory.Index
	// units by id (exact, as built).
	units map[string]*Unit
	// owned maps a resource id to the unit id that moves it; keys folded.
	owned map[string]string
	// users maps a shared resource (NSG, route table, reserved IP: its
	// resource id as the inventory spells it, folded) to the units using it.
	users map[string]*sharedUse
	deps  map[string]map[string]bool
}

type sharedUse struct {
	id    string // resource id with the resource's own spelling
	units map[string]bool
}

// Build makes the plan for inv: one unit per classic VNet, per cloud service
// not in a VNet, per storage account, and per NSG, route table or reserved IP
// nothing else uses; then dependencies, waves, ranks and the critical path.
// It returns a *CycleError naming every cycle if units depend on each other
// in a circle, and an *InputError naming every field the platform would
// refuse (see checkInputs) before planning anything.
//
// Build expects an inventory that inventory.Load accepted. A reference that
// does not resolve is tolerated, not fatal: a deployment in an unknown VNet
// is planned as not in a VNet, and an unknown disk, NSG, route table or
// reserved IP is ignored, so a report can still be drawn for a broken
// inventory.
//
// Sharing: an NSG or route table (or reserved IP) used by the subnets or VMs
// of more than one unit moves with the first of those units in id order, and
// every other unit using it depends on that unit. The platform migrates such
// a resource with the first unit that prepares it; the dependency makes the
// order explicit instead of depending on which unit happens to run first.
//
// Cost: O(n log n) in the number of resources.
func Build(inv *inventory.Inventory) (*Plan, error) {
	if err := checkInputs(inv); err != nil {
		return nil, err
	}
	b := &builder{
		inv:   inv,
		ix:    inventory.NewIndex(inv),
		units: map[string]*Unit{},
		// Sized up front: growing it one resource at a time rehashed it
		// again and again at 100k VMs.
		owned: make(map[string]string, resourceCount(inv)),
		users: map[string]*sharedUse{},
		deps:  map[string]map[string]bool{},
	}
	b.computeUnits()
	b.assignShared()
	b.storageUnits()
	return b.finish()
}

// resourceCount is how many resources a unit may own in inv, at most:
// VNets and their gateways, cloud services, VMs and their availability
// sets, storage accounts, disks, images, NSGs, route tables, reserved IPs.
func resourceCount(inv *inventory.Inventory) int {
	n := len(inv.VirtualNetworks) + len(inv.CloudServices) + len(inv.StorageAccounts) +
		len(inv.NetworkSecurityGroups) + len(inv.RouteTables) + len(inv.ReservedIPs)
	for i := range inv.VirtualNetworks {
		n += len(inv.VirtualNetworks[i].Gateways)
	}
	for i := range inv.CloudServices {
		n += 2 * len(inv.CloudServices[i].Deployment.Roles)
	}
	for i := range inv.StorageAccounts {
		n += len(inv.StorageAccounts[i].Disks) + len(inv.StorageAccounts[i].Images)
	}
	return n
}

func (b *builder) newUnit(kind Kind, name string, scope Scope, dt Downtime) *Unit {
	u := &Unit{
		ID:        string(kind) + "/" + name,
		Kind:      kind,
		Name:      name,
		Scope:     scope,
		Resources: []string{string(kind) + "/" + name},
		DependsOn: []string{},
		Downtime:  dt,
	}
	b.units[u.ID] = u
	b.own(u.ID, u.ID)
	return u
}

func (b *builder) own(resource, unit string) {
	k := foldID(resource)
	if _, ok := b.owned[k]; !ok {
		b.owned[k] = unit
	}
}

func (b *builder) dependOn(unit, on string) {
	if unit == on {
		return
	}
	m := b.deps[unit]
	if m == nil {
		m = map[string]bool{}
		b.deps[unit] = m
	}
	m[on] = true
}

// use records that unit uses the shared resource id (NSG, route table,
// reserved IP); unknown names are ignored.
func (b *builder) use(unit, id string) {
	if id == "" {
		return
	}
	k := foldID(id)
	s := b.users[k]
	if s == nil {
		s = &sharedUse{id: id, units: map[string]bool{}}
		b.users[k] = s
	}
	s.units[unit] = true
}

func (b *builder) nsg(name string) string {
	if n, ok := b.ix.NSGs[inventory.Key(name)]; ok && name != "" {
		return inventory.NSGID(n.Name)
	}
	return ""
}

func (b *builder) routeTable(name string) string {
	if r, ok := b.ix.RouteTables[inventory.Key(name)]; ok && name != "" {
		return inventory.RouteTableID(r.Name)
	}
	return ""
}

func (b *builder) reservedIP(name string) string {
	if r, ok := b.ix.ReservedIPs[inventory.Key(name)]; ok && name != "" {
		return inventory.ReservedIPID(r.Name)
	}
	return ""
}

// computeUnits makes the VNet and cloud-service units and records what each
// uses.
func (b *builder) computeUnits() {
	for i := range b.inv.VirtualNetworks {
		v := &b.inv.VirtualNetworks[i]
		if _, dup := b.units[string(KindVNet)+"/"+v.Name]; dup {
			continue
		}
		u := b.newUnit(KindVNet, v.Name, ScopeVMInVNet, DowntimeNone)
		u.Gateways = len(v.Gateways)
		for _, gw := range v.Gateways {
			b.own(inventory.GatewayID(v.Name, gw.Kind), u.ID)
		}
		for _, s := range v.Subnets {
			b.use(u.ID, b.nsg(s.NetworkSecurityGroup))
			b.use(u.ID, b.routeTable(s.RouteTable))
		}
	}
	for i := range b.inv.CloudServices {
		cs := &b.inv.CloudServices[i]
		var u *Unit
		if vn, ok := b.ix.VNets[inventory.Key(cs.Deployment.VirtualNetwork)]; ok && cs.Deployment.VirtualNetwork != "" {
			u = b.units[inventory.VNetID(vn.Name)]
			u.Resources = append(u.Resources, inventory.CloudServiceID(cs.Name))
		} else {
			id := inventory.CloudServiceID(cs.Name)
			if _, dup := b.units[id]; dup {
				continue
			}
			u = b.newUnit(KindCloudService, cs.Name, ScopeVMNoVNet, DowntimeRestart)
			if vn := b.destinationVNet(cs.Deployment.Destination); vn != "" {
				b.dependOn(u.ID, inventory.VNetID(vn))
			}
		}
		b.own(inventory.CloudServiceID(cs.Name), u.ID)
		u.CloudServices++
		b.use(u.ID, b.reservedIP(cs.ReservedIP))
		for j := range cs.Deployment.Roles {
			r := &cs.Deployment.Roles[j]
			b.own(inventory.VMID(cs.Name, r.Name), u.ID)
			if r.AvailabilitySet != "" {
				b.own(inventory.AvailabilitySetID(cs.Name, r.AvailabilitySet), u.ID)
			}
			b.use(u.ID, b.nsg(r.NetworkSecurityGroup))
			if r.Kind != inventory.RoleVirtualMachine {
				continue
			}
			u.VMs++
			u.VMIDs = append(u.VMIDs, inventory.VMID(cs.Name, r.Name))
			for _, d := range roleDisks(r) {
				ref, ok := b.ix.Disks[inventory.Key(d)]
				if !ok {
					continue
				}
				u.DiskBytes += ref.Disk.SizeGiB << 30
				u.Disks++
				if !ref.Account.BlobsOnly {
					b.dependOn(inventory.StorageID(ref.Account.Name), u.ID)
				}
			}
		}
	}
}

// destinationVNet returns the name of the classic VNet that a not-in-VNet
// deployment's destination is the migrated form of, or "". A migrated VNet
// keeps its name and lands in resource group "<vnet>-Migrated" (technical
// deep dive, "Translation of the classic deployment model": "A new resource
// group is created with the name -migrated"; the VNet "is migrated, with all
// its properties"), so the destination is {resourceGroup: <vnet>-Migrated,
// virtualNetwork: <vnet>}.
func (b *builder) destinationVNet(d *inventory.Destination) string {
	if d == nil {
		return ""
	}
	vn, ok := b.ix.VNets[inventory.Key(d.VirtualNetwork)]
	if !ok || d.VirtualNetwork == "" || !strings.EqualFold(d.ResourceGroup, MigratedResourceGroup(vn.Name)) {
		return ""
	}
	return vn.Name
}

func roleDisks(r *inventory.Role) []string {
	var ds []string
	if r.OSDisk != "" {
		ds = append(ds, r.OSDisk)
	}
	for _, d := range r.DataDisks {
		ds = append(ds, d.Disk)
	}
	return ds
}

// assignShared gives each used NSG, route table and reserved IP to the first
// unit using it (in id order) and makes the other users depend on it; unused
// ones get a unit of their own.
func (b *builder) assignShared() {
	add := func(kind Kind, name string) {
		id := string(kind) + "/" + name
		k := foldID(id)
		if _, done := b.owned[k]; done {
			return // a duplicate name: the first one wins
		}
		s, used := b.users[k]
		if !used {
			b.newUnit(kind, name, ScopeUnattached, DowntimeNone)
			return
		}
		users := make([]string, 0, len(s.units))
		for u := range s.units {
			users = append(users, u)
		}
		sort.Strings(users)
		owner := users[0]
		b.units[owner].Resources = append(b.units[owner].Resources, id)
		b.own(id, owner)
		for _, u := range users[1:] {
			b.dependOn(u, owner)
		}
	}
	for _, n := range b.inv.NetworkSecurityGroups {
		add(KindNSG, n.Name)
	}
	for _, r := range b.inv.RouteTables {
		add(KindRouteTable, r.Name)
	}
	for _, r := range b.inv.ReservedIPs {
		add(KindReservedIP, r.Name)
	}
}

// storageUnits makes one unit per storage account; dependencies on the VM
// units were recorded while walking the disks.
func (b *builder) storageUnits() {
	for i := range b.inv.StorageAccounts {
		sa := &b.inv.StorageAccounts[i]
		if _, dup := b.units[inventory.StorageID(sa.Name)]; dup {
			continue
		}
		u := b.newUnit(KindStorage, sa.Name, ScopeStorage, DowntimeNone)
		u.Disks = len(sa.Disks)
		for _, d := range sa.Disks {
			u.DiskBytes += d.SizeGiB << 30
			b.own(inventory.DiskID(sa.Name, d.Name), u.ID)
		}
		for _, im := range sa.Images {
			b.own(inventory.ImageID(sa.Name, im.Name), u.ID)
		}
	}
}

// finish builds the graph, orders the units and fills waves, ranks and the
// critical path.
func (b *builder) finish() (*Plan, error) {
	g := dag.New()
	ids := make([]string, 0, len(b.units))
	for id := range b.units {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		g.AddNode(id)
	}
	for _, id := range ids {
		for on := range b.deps[id] {
			if _, ok := b.units[on]; ok {
				g.AddEdge(on, id)
			}
		}
	}
	levels, err := g.Levels()
	if err != nil {
		var ce *dag.CycleError
		if errors.As(err, &ce) {
			return nil, &CycleError{Cycles: ce.Cycles}
		}
		return nil, fmt.Errorf("plan: order units: %w", err)
	}
	ranks, err := g.BottomLevels(nil)
	if err != nil {
		return nil, fmt.Errorf("plan: rank units: %w", err)
	}
	crit, _, err := g.CriticalPath(nil)
	if err != nil {
		return nil, fmt.Errorf("plan: critical path: %w", err)
	}
	p := &Plan{CriticalPath: crit, byID: map[string]*Unit{}, resource: b.owned}
	if p.CriticalPath == nil {
		p.CriticalPath = []string{}
	}
	for _, id := range ids {
		u := b.units[id]
		u.Wave = levels[id]
		u.Rank = int(ranks[id])
		u.DependsOn = g.DependsOn(id)
		if u.Wave+1 > p.Waves {
			p.Waves = u.Wave + 1
		}
		rest := u.Resources[1:]
		sort.Strings(rest)
		u.Resources = append(u.Resources[:1], dedupSorted(rest)...)
		p.Units = append(p.Units, u)
		p.byID[foldID(id)] = u
	}
	sort.SliceStable(p.Units, func(i, j int) bool { return p.Units[i].Wave < p.Units[j].Wave })
	if p.Units == nil {
		p.Units = []*Unit{}
	}
	p.graph = g
	return p, nil
}

func dedupSorted(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
