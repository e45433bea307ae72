package sim

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// OpConvertToManagedDisks is ConvertToManagedDisks in the history (unit
// vm/<rg>/<name>, stateBefore the VM's power state).
const OpConvertToManagedDisks = "ConvertToManagedDisks"

// ConvertToManagedDisks is Azure's own conversion (POST
// .../virtualMachines/{vm}/convertToManagedDisks): every VHD of a
// stop-deallocated VM becomes a managed disk holding the VHD's current
// content (materialised like an Import, the corruption hook included), in
// the VM's resource group and location, Premium_LRS from a Premium storage
// account and Standard_LRS otherwise, attached at the same LUN with the
// same caching; then the VM starts. Tags, extensions and everything else
// stay. The disks are named after the VM's disk with a suffix, as the
// platform appends a random string to each converted disk's name "by
// design" (MicrosoftDocs/azure-docs#36826); the sim derives it from the
// cloud, the VM and the disk, so a retry makes the same names. A VM
// already on managed disks succeeds without change.
//
// Refused (*cloud.OperationError), before anything changes: on Azure
// Stack Hub (no such conversion there); a VM not deallocated ("Virtual
// machine must be stop-deallocated before invoking this operation.", the
// REST specification's own words); one in a Classic availability set
// (availability.go); one with an extension not Provisioning succeeded
// (409: "make sure all the VM extensions are in the 'Provisioning
// succeeded' state or the conversion will fail with the error code 409",
// MicrosoftDocs/azure-docs,
// articles/virtual-machines/windows/convert-unmanaged-to-managed-disks.md);
// one whose VHDs' storage account is still classic. A missing VM is
// cloud.ErrNotFound.
func (s *Sim) ConvertToManagedDisks(ctx context.Context, resourceGroup, name string) error {
	unitID := vmUnit(resourceGroup, name)
	k := armKey(resourceGroup, name)
	return s.change(ctx, OpConvertToManagedDisks, unitID,
		func(p *persisted) string { return powerState(p, resourceGroup, name) },
		func(p *persisted) error {
			if s.hub() {
				return opErr(OpConvertToManagedDisks, unitID, "NotSupported",
					"Convert To Managed Disks is not available on Azure Stack Hub: its VMs move to managed disks by being recreated on them")
			}
			vm, ok := p.ARMVMs[k]
			if !ok {
				return cloud.ErrNotFound
			}
			if vm.Managed() {
				return nil
			}
			if vm.PowerState != cloud.PowerDeallocated {
				return opErr(OpConvertToManagedDisks, unitID, "OperationNotAllowed",
					"Virtual machine must be stop-deallocated before invoking this operation.")
			}
			if vm.AvailabilitySet != "" {
				if a, ok := findAvSet(p, resourceGroup, vm.AvailabilitySet); ok && a.SKU != cloud.AvailabilitySetAligned {
					return opErr(OpConvertToManagedDisks, unitID, "OperationNotAllowed",
						"Availability set %s has the Classic SKU: convert it to an Aligned (managed) availability set before converting its VMs. %s",
						vm.AvailabilitySet, avSetMismatch)
				}
			}
			for _, e := range s.withHook(cloneVM(vm), s.failedExtensions()).Extensions {
				if e.ProvisioningState != cloud.ExtensionSucceeded {
					return opErr(OpConvertToManagedDisks, unitID, "Conflict",
						"VM extension %s is in provisioning state %s: every extension must be in 'Provisioning succeeded' for the conversion", e.Name, e.ProvisioningState)
				}
			}
			all := vmDisks(*vm)
			infos := make([]vhdInfo, len(all))
			for i, d := range all {
				v, ok := s.vhds[inventory.Key(d.VHDURI)]
				if !ok {
					return opErr(OpConvertToManagedDisks, unitID, "NotFound", "VHD %s does not exist", disks.RedactURL(d.VHDURI))
				}
				if st := p.Units[unitKey(kindStorage, v.account)]; st == nil || st.State != cloud.StateCommitted {
					return opErr(OpConvertToManagedDisks, unitID, "StorageAccountNotMigrated",
						"storage account %s of %s is still classic: migrate it first", v.account, disks.RedactURL(d.VHDURI))
				}
				infos[i] = v
			}
			made := make([]*managedDisk, len(all))
			for i, d := range all {
				md := &managedDisk{ManagedDisk: cloud.ManagedDisk{ResourceGroup: resourceGroup,
					Name: s.convertedName(resourceGroup, name, d.Name), Location: vm.Location,
					AccountType: s.accountTypeOf(infos[i].account), SizeBytes: infos[i].size,
					CreateOption: cloud.CreateImport, SourceURI: d.VHDURI, State: cloud.DiskAttached}, AttachedTo: k}
				if i == 0 {
					md.OSType = vm.OSType
				}
				if err := s.materialise(ctx, md, s.version(infos[i], p.gen(d.VHDURI))); err != nil {
					return err
				}
				made[i] = md
			}
			for i, md := range made {
				dk := armKey(resourceGroup, md.Name)
				p.Disks[dk] = md
				p.touchDisk(dk)
				d := &vm.OSDisk
				if i > 0 {
					d = &vm.DataDisks[i-1]
				}
				d.ManagedDisk, d.VHDURI = md.Name, ""
			}
			vm.PowerState = cloud.PowerRunning
			p.touchARMVM(k)
			return nil
		})
}

// convertedName is the managed disk the conversion makes of a VM's disk.
func (s *Sim) convertedName(rg, vm, disk string) string {
	h := splitmix64(uint64(s.contentSeed) ^ splitmix64(fnvKey(rg+"/"+vm+"/"+disk)))
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], h)
	binary.BigEndian.PutUint64(b[8:], splitmix64(h))
	return disk + "_" + hex.EncodeToString(b[:])
}

// accountTypeOf is the managed disk type a VHD of the account becomes.
func (s *Sim) accountTypeOf(account string) string {
	if sa, ok := s.topo.ix.Storage[inventory.Key(account)]; ok && strings.HasPrefix(strings.ToLower(sa.AccountType), "premium") {
		return "Premium_LRS"
	}
	return "Standard_LRS"
}
