package sim

import (
	"context"
	"sort"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

// Availability sets.
//
// The classic migration turns each classic availability set into a
// Resource Manager availability set of the same name in the cloud
// service's resource group, with the Classic SKU (its VMs are on
// unmanaged disks) and the classic model's domains: 2 fault domains
// ("two fault domains for Classic", MicrosoftDocs/azure-docs,
// includes/virtual-machines-common-manage-availability.md) and 5 update
// domains. Azure Stack Hub's VMs start in such sets too.
//
// A set becomes Aligned (a "managed availability set") with
// AlignAvailabilitySet, as Update-AzAvailabilitySet -Sku Aligned does; its
// VMs on unmanaged disks stay in it. Its fault domains must then fit the
// region's managed disk fault domains: "The specified fault domain count 3
// must fall in the range 1 to 2." (MicrosoftDocs/azure-docs,
// articles/virtual-machines/windows/convert-unmanaged-to-managed-disks.md).
// CreateVM enforces the SKU both ways: "Only VMs with managed disks can be
// created in a managed availability set"
// (includes/virtual-machines-common-manage-availability.md), and a VM on
// managed disks only in an Aligned one.

// OpAlignAvailabilitySet is AlignAvailabilitySet in the history (unit
// availabilityset/<rg>/<name>, stateBefore the SKU found).
const OpAlignAvailabilitySet = "AlignAvailabilitySet"

// Domains of a set the classic migration made.
const (
	classicFaultDomains  = 2
	classicUpdateDomains = 5
	// defaultAlignedFaultDomains is the managed disk fault domain count
	// of a region the table does not list: the lower of the two counts
	// Microsoft gives ("either two or three managed disk fault domains
	// per region"), so a plan never counts on a third.
	defaultAlignedFaultDomains = 2
)

// alignedFaultDomains is Microsoft's list of managed disk fault domains
// per region (MicrosoftDocs/azure-docs,
// includes/managed-disks-common-fault-domain-region-list.md, "Number of
// Fault Domains per region"), keyed by the region's name folded without
// spaces. Regions it does not list (Azure Stack Hub's among them) get
// defaultAlignedFaultDomains.
var alignedFaultDomains = map[string]int{
	"eastus": 3, "eastus2": 3, "westus": 3, "westus2": 2, "centralus": 3, "northcentralus": 3,
	"southcentralus": 3, "westcentralus": 2, "canadacentral": 2, "canadaeast": 2,
	"northeurope": 3, "westeurope": 3, "uksouth": 2, "ukwest": 2,
	"eastasia": 3, "southeastasia": 2, "japaneast": 2, "japanwest": 2, "southindia": 2, "centralindia": 2,
	"australiaeast": 2, "australiasoutheast": 2, "brazilsouth": 2,
}

// maxAlignedFaultDomains is the region's managed disk fault domain count.
func maxAlignedFaultDomains(region string) int {
	if n, ok := alignedFaultDomains[strings.ReplaceAll(strings.ToLower(region), " ", "")]; ok {
		return n
	}
	return defaultAlignedFaultDomains
}

// availabilitySet is what the cloud keeps of an availability set; its VMs
// and the region's maximum are derived when it is read.
type availabilitySet struct {
	ResourceGroup string `json:"resourceGroup"`
	Name          string `json:"name"`
	Location      string `json:"location"`
	SKU           string `json:"sku"`
	FaultDomains  int    `json:"platformFaultDomainCount"`
	UpdateDomains int    `json:"platformUpdateDomainCount"`
}

func avSetUnit(rg, name string) string { return "availabilityset/" + rg + "/" + name }

// ensureAvSet makes the set a migration (or Azure Stack Hub's VMs) put a
// VM in, unless it exists.
func (s *Sim) ensureAvSet(p *persisted, rg, name, location string) {
	k := armKey(rg, name)
	if _, ok := p.AvSets[k]; ok {
		return
	}
	p.AvSets[k] = &availabilitySet{ResourceGroup: rg, Name: name, Location: location,
		SKU: cloud.AvailabilitySetClassic, FaultDomains: classicFaultDomains, UpdateDomains: classicUpdateDomains}
	p.touchAvSet(k)
}

// findAvSet finds a set; one that a VM names but the cloud has not kept (a
// VM committed by a build before availability sets) is the Classic set
// the migration made, not yet saved.
func findAvSet(p *persisted, rg, name string) (*availabilitySet, bool) {
	if a, ok := p.AvSets[armKey(rg, name)]; ok {
		return a, true
	}
	for _, k := range sortedKeys(p.ARMVMs) {
		v := p.ARMVMs[k]
		if strings.EqualFold(v.ResourceGroup, rg) && strings.EqualFold(v.AvailabilitySet, name) {
			return &availabilitySet{ResourceGroup: v.ResourceGroup, Name: v.AvailabilitySet, Location: v.Location,
				SKU: cloud.AvailabilitySetClassic, FaultDomains: classicFaultDomains, UpdateDomains: classicUpdateDomains}, true
		}
	}
	return nil, false
}

// view is the set as cloud.AvailabilitySet, its VMs sorted by name.
func (a *availabilitySet) view(p *persisted) cloud.AvailabilitySet {
	out := cloud.AvailabilitySet{ResourceGroup: a.ResourceGroup, Name: a.Name, Location: a.Location, SKU: a.SKU,
		FaultDomains: a.FaultDomains, UpdateDomains: a.UpdateDomains, VMs: []string{},
		MaxAlignedFaultDomains: maxAlignedFaultDomains(a.Location)}
	for _, v := range p.ARMVMs {
		if strings.EqualFold(v.ResourceGroup, a.ResourceGroup) && strings.EqualFold(v.AvailabilitySet, a.Name) {
			out.VMs = append(out.VMs, v.Name)
		}
	}
	sort.Strings(out.VMs)
	return out
}

// GetAvailabilitySet reads an availability set; a missing one is
// cloud.ErrNotFound. It answers on both profiles: Azure Stack Hub has
// availability sets (and needs them Aligned for VMs on managed disks),
// only not the platform's conversion.
func (s *Sim) GetAvailabilitySet(ctx context.Context, resourceGroup, name string) (cloud.AvailabilitySet, error) {
	var out cloud.AvailabilitySet
	err := s.read(ctx, "get availability set "+resourceGroup+"/"+name, func(p *persisted) error {
		a, ok := findAvSet(p, resourceGroup, name)
		if !ok {
			return cloud.ErrNotFound
		}
		out = a.view(p)
		return nil
	})
	return out, err
}

// AlignAvailabilitySet makes the set Aligned with faultDomains fault
// domains, keeping its VMs (on unmanaged disks or not). Aligning an
// Aligned set with the same count succeeds without change. A missing set
// is cloud.ErrNotFound; a count outside 1 to the region's managed disk
// fault domains is refused (*cloud.OperationError) with the platform's
// message. Like GetAvailabilitySet it answers on both profiles.
func (s *Sim) AlignAvailabilitySet(ctx context.Context, resourceGroup, name string, faultDomains int) error {
	unitID := avSetUnit(resourceGroup, name)
	k := armKey(resourceGroup, name)
	return s.change(ctx, OpAlignAvailabilitySet, unitID,
		func(p *persisted) string {
			if a, ok := findAvSet(p, resourceGroup, name); ok {
				return a.SKU
			}
			return stateNone
		},
		func(p *persisted) error {
			a, ok := findAvSet(p, resourceGroup, name)
			if !ok {
				return cloud.ErrNotFound
			}
			if limit := maxAlignedFaultDomains(a.Location); faultDomains < 1 || faultDomains > limit {
				return opErr(OpAlignAvailabilitySet, unitID, "InvalidParameter",
					"The specified fault domain count %d must fall in the range 1 to %d.", faultDomains, limit)
			}
			if a.SKU == cloud.AvailabilitySetAligned && a.FaultDomains == faultDomains {
				return nil
			}
			a.SKU = cloud.AvailabilitySetAligned
			a.FaultDomains = faultDomains
			p.AvSets[k] = a
			p.touchAvSet(k)
			return nil
		})
}

// avSetMismatch is Azure's refusal of a VM whose disks do not match its
// availability set's SKU, as the compute provider words it (quoted in
// fog/fog-azure-rm#302).
const avSetMismatch = "Addition of a VM with managed disks to non-managed Availability Set or addition of a VM with blob based disks to managed Availability Set is not supported. Please create an Availability Set with 'Aligned' SKU in order to add a VM with managed disks to it."

// checkAvSet refuses vm when its availability set is missing or of the
// wrong SKU for its disks (managed says which).
func checkAvSet(p *persisted, vm cloud.VM, managed bool, unitID string) error {
	if vm.AvailabilitySet == "" {
		return nil
	}
	a, ok := findAvSet(p, vm.ResourceGroup, vm.AvailabilitySet)
	if !ok {
		return opErr(OpCreateVM, unitID, "NotFound", "availability set %s/%s does not exist", vm.ResourceGroup, vm.AvailabilitySet)
	}
	if managed != (a.SKU == cloud.AvailabilitySetAligned) {
		return opErr(OpCreateVM, unitID, "OperationNotAllowed", "%s", avSetMismatch)
	}
	return nil
}
