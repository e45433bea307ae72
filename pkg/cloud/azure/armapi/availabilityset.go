package armapi

import (
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

// The availability set and resource SKU shapes are those of
// Azure/azure-rest-api-specs specification/compute/resource-manager/
// Microsoft.Compute/stable/2019-07-01/compute.json (AvailabilitySet: "sku
// ... Use 'Aligned' for virtual machines with managed disks and 'Classic'
// for virtual machines with unmanaged disks", platformFaultDomainCount,
// platformUpdateDomainCount, virtualMachines) and stable/2019-04-01/
// skus.json (ResourceSku: resourceType, name, locations, capabilities).

// CapabilityMaxFaultDomains is the resource SKU capability that gives an
// availability set SKU's largest fault domain count in a location.
const CapabilityMaxFaultDomains = "MaximumPlatformFaultDomainCount"

// ResourceTypeAvailabilitySets is an availability set SKU's resourceType.
const ResourceTypeAvailabilitySets = "availabilitySets"

// AvailabilitySetToCloud reads an availability set. A set without a SKU
// is Classic, as Resource Manager answers for one created without it.
// MaxAlignedFaultDomains is not part of the set: the caller reads it from
// the resource SKUs (MaxFaultDomains).
func AvailabilitySetToCloud(a armcompute.AvailabilitySet) cloud.AvailabilitySet {
	out := cloud.AvailabilitySet{Name: str(a.Name), Location: str(a.Location), SKU: cloud.AvailabilitySetClassic}
	if id, err := ParseID(str(a.ID)); err == nil {
		out.ResourceGroup = id.ResourceGroup
	}
	if a.SKU != nil && a.SKU.Name != nil && *a.SKU.Name != "" {
		out.SKU = *a.SKU.Name
	}
	if p := a.Properties; p != nil {
		if p.PlatformFaultDomainCount != nil {
			out.FaultDomains = int(*p.PlatformFaultDomainCount)
		}
		if p.PlatformUpdateDomainCount != nil {
			out.UpdateDomains = int(*p.PlatformUpdateDomainCount)
		}
		for _, v := range p.VirtualMachines {
			if v != nil && v.ID != nil {
				out.VMs = append(out.VMs, NameOf(*v.ID))
			}
		}
	}
	return out
}

// AvailabilitySetFromCloud is the model of a (its VMs by id).
func AvailabilitySetFromCloud(sub string, a cloud.AvailabilitySet) armcompute.AvailabilitySet {
	p := &armcompute.AvailabilitySetProperties{}
	if a.FaultDomains > 0 {
		p.PlatformFaultDomainCount = to.Ptr(int32(a.FaultDomains))
	}
	if a.UpdateDomains > 0 {
		p.PlatformUpdateDomainCount = to.Ptr(int32(a.UpdateDomains))
	}
	for _, v := range a.VMs {
		p.VirtualMachines = append(p.VirtualMachines, &armcompute.SubResource{ID: to.Ptr(ResourceID(sub, a.ResourceGroup, TypeVirtualMachines, v))})
	}
	out := armcompute.AvailabilitySet{Location: nonEmpty(Location(a.Location)), Name: to.Ptr(a.Name), Type: to.Ptr(TypeAvailabilitySets), Properties: p}
	if a.SKU != "" {
		out.SKU = &armcompute.SKU{Name: to.Ptr(a.SKU)}
	}
	if a.ResourceGroup != "" && sub != "" {
		out.ID = to.Ptr(ResourceID(sub, a.ResourceGroup, TypeAvailabilitySets, a.Name))
	}
	return out
}

// MaxFaultDomains reads the largest fault domain count of availability
// set SKU sku in location out of a resource SKU list; 0 if it is not
// there.
func MaxFaultDomains(skus []*armcompute.ResourceSKU, sku, location string) int {
	loc := Location(location)
	for _, s := range skus {
		if s == nil || !strings.EqualFold(str(s.ResourceType), ResourceTypeAvailabilitySets) || !strings.EqualFold(str(s.Name), sku) {
			continue
		}
		in := len(s.Locations) == 0
		for _, l := range s.Locations {
			in = in || (l != nil && Location(*l) == loc)
		}
		if !in {
			continue
		}
		for _, c := range s.Capabilities {
			if c != nil && strings.EqualFold(str(c.Name), CapabilityMaxFaultDomains) {
				if n, err := strconv.Atoi(str(c.Value)); err == nil {
					return n
				}
			}
		}
	}
	return 0
}

// AvailabilitySetSKUs is the resource SKU list of availability sets in
// location: Classic and Aligned with their largest fault domain counts.
func AvailabilitySetSKUs(location string, classicMax, alignedMax int) []*armcompute.ResourceSKU {
	mk := func(name string, n int) *armcompute.ResourceSKU {
		return &armcompute.ResourceSKU{
			ResourceType: to.Ptr(ResourceTypeAvailabilitySets),
			Name:         to.Ptr(name),
			Locations:    []*string{to.Ptr(Location(location))},
			Capabilities: []*armcompute.ResourceSKUCapabilities{{Name: to.Ptr(CapabilityMaxFaultDomains), Value: to.Ptr(strconv.Itoa(n))}},
		}
	}
	return []*armcompute.ResourceSKU{mk(cloud.AvailabilitySetClassic, classicMax), mk(cloud.AvailabilitySetAligned, alignedMax)}
}
