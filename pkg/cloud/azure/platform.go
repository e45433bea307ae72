package azure

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
)

// The platform's own conversion (cloud.PlatformConversion) over Resource
// Manager, in the shapes of Azure/azure-rest-api-specs specification/
// compute/resource-manager/Microsoft.Compute/stable/2019-07-01/
// compute.json: availability sets (GET/PUT, sku.name Classic|Aligned,
// platformFaultDomainCount), VirtualMachines_ConvertToManagedDisks (POST
// .../convertToManagedDisks, 202 and a long-running operation; "Virtual
// machine must be stop-deallocated before invoking this operation"), and
// the region's fault domain limit from the resource SKUs
// (stable/2019-04-01/skus.json, capability MaximumPlatformFaultDomainCount
// of resourceType availabilitySets).

var _ cloud.PlatformConversion = (*Driver)(nil)

// skusAPI is the resource SKUs API version: the list is the same shape in
// every later one, and the configured compute version (perhaps a Hub
// profile's 2017-12-01) predates it.
const skusAPI = "2019-04-01"

// stackHubMaxFaultDomains is Azure Stack Hub's fault domain limit for an
// availability set ("a maximum of three fault domains to be consistent
// with Azure": learn.microsoft.com azure-stack/operator/
// azure-stack-capacity-planning-compute); the Hub has no resource SKU list
// to read it from.
const stackHubMaxFaultDomains = 3

// Operation names of the platform conversion calls.
const (
	opAlignSet  = "alignAvailabilitySet"
	opConvertVM = "convertToManagedDisks"
)

// faultDomainLimits caches location -> the Aligned SKU's largest fault
// domain count: a region's limit does not change while the tool runs.
type faultDomainLimits struct {
	mu  sync.Mutex
	max map[string]int
}

// Platform is the platform's own conversion where the cloud has one: nil
// on Azure Stack Hub (its managed disks page: "Migration ... Not yet
// supported"), the driver elsewhere. Availability sets are read and
// aligned on the Hub too (the driver's methods; the recreate path needs an
// Aligned set there as well); only ConvertToManagedDisks is refused there.
func (d *Driver) Platform() cloud.PlatformConversion {
	if d.ep.stackHub {
		return nil
	}
	return d
}

// GetAvailabilitySet reads an availability set and the largest fault
// domain count its region allows an Aligned set.
func (d *Driver) GetAvailabilitySet(ctx context.Context, rg, name string) (cloud.AvailabilitySet, error) {
	r, err := d.rm.sets.Get(ctx, rg, name, nil)
	if err != nil {
		return cloud.AvailabilitySet{}, fmt.Errorf("get availability set %s/%s: %w", rg, name, d.armErr(ctx, err))
	}
	set := armapi.AvailabilitySetToCloud(r.AvailabilitySet)
	if set.ResourceGroup == "" {
		set.ResourceGroup = rg
	}
	if set.MaxAlignedFaultDomains, err = d.maxAlignedFaultDomains(ctx, set.Location); err != nil {
		return cloud.AvailabilitySet{}, fmt.Errorf("get availability set %s/%s: %w", rg, name, err)
	}
	return set, nil
}

// maxAlignedFaultDomains reads the Aligned SKU's fault domain limit in
// location from the resource SKUs (filtered by location, as the API
// allows). A region that does not list it allows 2, the lowest any region
// has for managed disks (learn.microsoft.com virtual-machines/
// availability-set-overview).
func (d *Driver) maxAlignedFaultDomains(ctx context.Context, location string) (int, error) {
	if d.ep.stackHub {
		return stackHubMaxFaultDomains, nil
	}
	loc := armapi.Location(location)
	d.fds.mu.Lock()
	n, ok := d.fds.max[loc]
	d.fds.mu.Unlock()
	if ok {
		return n, nil
	}
	var skus []*armcompute.ResourceSKU
	pager := d.rm.skus.NewListPager(&armcompute.ResourceSKUsClientListOptions{Filter: to.Ptr("location eq '" + loc + "'")})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("list resource skus of %s: %w", loc, d.armErr(ctx, err))
		}
		skus = append(skus, page.Value...)
	}
	n = armapi.MaxFaultDomains(skus, cloud.AvailabilitySetAligned, loc)
	if n <= 0 {
		n = 2
	}
	d.fds.mu.Lock()
	if d.fds.max == nil {
		d.fds.max = map[string]int{}
	}
	d.fds.max[loc] = n
	d.fds.mu.Unlock()
	return n, nil
}

// AlignAvailabilitySet makes the set Aligned with faultDomains fault
// domains, keeping its update domains; a set already so is left as it is.
// The PUT is synchronous and repeatable (the same definition twice is one
// change), so azcore's retries may resend it.
func (d *Driver) AlignAvailabilitySet(ctx context.Context, rg, name string, faultDomains int) error {
	set, err := d.GetAvailabilitySet(ctx, rg, name)
	if err != nil {
		return fmt.Errorf("align availability set %s/%s: %w", rg, name, err)
	}
	if strings.EqualFold(set.SKU, cloud.AvailabilitySetAligned) && set.FaultDomains == faultDomains {
		return nil
	}
	body := armapi.AvailabilitySetFromCloud(d.cfg.SubscriptionID, cloud.AvailabilitySet{ResourceGroup: rg, Name: name, Location: set.Location,
		SKU: cloud.AvailabilitySetAligned, FaultDomains: faultDomains, UpdateDomains: set.UpdateDomains})
	// The VMs of a set are read-only in practice (a VM joins a set by its
	// own availabilitySet reference): none are sent.
	body.ID, body.Type, body.Properties.VirtualMachines = nil, nil, nil
	if _, err := d.rm.sets.CreateOrUpdate(ctx, rg, name, body, nil); err != nil {
		return fmt.Errorf("align availability set %s/%s: %w", rg, name, opError(opAlignSet, rg, name, d.armErr(ctx, err)))
	}
	return nil
}

// ConvertToManagedDisks converts a stop-deallocated VM's disks to managed
// disks; the platform starts the VM. A VM already on managed disks is
// converted (the contract's idempotence; the platform itself would refuse
// it, "VM '{0}' is already using managed disks"). On Azure Stack Hub it is
// refused before sending.
func (d *Driver) ConvertToManagedDisks(ctx context.Context, rg, name string) error {
	if d.ep.stackHub {
		return fmt.Errorf("convert vm %s/%s: %w", rg, name, &cloud.OperationError{Op: opConvertVM, Unit: rg + "/" + name,
			Code: "NotSupported", Message: "Azure Stack Hub has no conversion to managed disks (its managed disks documentation: Migration, not yet supported)"})
	}
	key := tokenKey(opConvertVM, rg, name)
	applied := has(func(ctx context.Context) (cloud.VM, error) { return d.GetVM(ctx, rg, name) }, cloud.VM.Managed)
	if !hasToken(d.o.Tokens, key) {
		if ok, err := applied(ctx); err == nil && ok {
			return nil
		}
	}
	err := lro(ctx, d, key, applied, func(ctx context.Context, tok string) (*runtime.Poller[armcompute.VirtualMachinesClientConvertToManagedDisksResponse], error) {
		return d.rm.vms.BeginConvertToManagedDisks(ctx, rg, name, &armcompute.VirtualMachinesClientBeginConvertToManagedDisksOptions{ResumeToken: tok})
	})
	if err != nil {
		return fmt.Errorf("convert vm %s/%s: %w", rg, name, opError(opConvertVM, rg, name, err))
	}
	return nil
}
