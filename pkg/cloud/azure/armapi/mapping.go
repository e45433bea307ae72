package armapi

import (
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

// GiB is the unit of diskSizeGB.
const GiB = 1 << 30

// VHDFooterSize is what an Upload disk holds beyond the disk: the fixed
// VHD footer (uploadSizeBytes = size + 512).
const VHDFooterSize = 512

// powerPrefix starts the instance view status that carries the power state.
const powerPrefix = "PowerState/"

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// gib rounds a byte size up to whole GiB, as diskSizeGB needs.
func gib(b int64) *int32 {
	if b <= 0 {
		return nil
	}
	return to.Ptr(int32((b + GiB - 1) / GiB))
}

// VMToCloud reads a Resource Manager VM. Disk sizes come from diskSizeGB
// (whole GiB: a VM says nothing finer; the exact size of a VHD is its
// Source's Size). The power state is read from the instance view when the
// VM carries one, else left empty.
func VMToCloud(v armcompute.VirtualMachine) cloud.VM {
	out := cloud.VM{Name: str(v.Name), Location: str(v.Location)}
	if id, err := ParseID(str(v.ID)); err == nil {
		out.ResourceGroup = id.ResourceGroup
	}
	p := v.Properties
	if p == nil {
		return out
	}
	if p.HardwareProfile != nil && p.HardwareProfile.VMSize != nil {
		out.Size = string(*p.HardwareProfile.VMSize)
	}
	if p.AvailabilitySet != nil && p.AvailabilitySet.ID != nil {
		out.AvailabilitySet = NameOf(*p.AvailabilitySet.ID)
	}
	if p.NetworkProfile != nil {
		for _, n := range p.NetworkProfile.NetworkInterfaces {
			if n == nil || n.ID == nil {
				continue
			}
			name := NameOf(*n.ID)
			if n.Properties != nil && n.Properties.Primary != nil && *n.Properties.Primary {
				out.NICs = append([]string{name}, out.NICs...)
				continue
			}
			out.NICs = append(out.NICs, name)
		}
	}
	if sp := p.StorageProfile; sp != nil {
		if od := sp.OSDisk; od != nil {
			if od.OSType != nil {
				out.OSType = string(*od.OSType)
			}
			out.OSDisk = vmDisk(od.Name, nil, od.Vhd, od.ManagedDisk, od.DiskSizeGB)
		}
		for _, dd := range sp.DataDisks {
			if dd != nil {
				out.DataDisks = append(out.DataDisks, vmDisk(dd.Name, dd.Lun, dd.Vhd, dd.ManagedDisk, dd.DiskSizeGB))
			}
		}
	}
	if p.InstanceView != nil {
		out.PowerState = PowerState(p.InstanceView.Statuses)
	}
	return out
}

func vmDisk(name *string, lun *int32, vhd *armcompute.VirtualHardDisk, md *armcompute.ManagedDiskParameters, size *int32) cloud.VMDisk {
	d := cloud.VMDisk{Name: str(name)}
	if lun != nil {
		d.LUN = int(*lun)
	}
	if vhd != nil {
		d.VHDURI = str(vhd.URI)
	}
	if md != nil && md.ID != nil {
		d.ManagedDisk = NameOf(*md.ID)
	}
	if size != nil {
		d.SizeBytes = int64(*size) * GiB
	}
	return d
}

// PowerState reads "PowerState/<state>" out of an instance view's
// statuses: running, stopped, deallocated (or the platform's transitional
// starting, stopping, deallocating).
func PowerState(st []*armcompute.InstanceViewStatus) string {
	for _, s := range st {
		if s != nil && s.Code != nil && strings.HasPrefix(*s.Code, powerPrefix) {
			return strings.TrimPrefix(*s.Code, powerPrefix)
		}
	}
	return ""
}

// InstanceView is the instance view of a VM in power state ps.
func InstanceView(ps string) *armcompute.VirtualMachineInstanceView {
	if ps == "" {
		return nil
	}
	return &armcompute.VirtualMachineInstanceView{Statuses: []*armcompute.InstanceViewStatus{
		{Code: to.Ptr("ProvisioningState/succeeded"), Level: to.Ptr(armcompute.StatusLevelTypesInfo)},
		{Code: to.Ptr(powerPrefix + ps), Level: to.Ptr(armcompute.StatusLevelTypesInfo)},
	}}
}

// VMFromCloud is the Resource Manager model of vm in subscription sub:
// unmanaged disks by vhd uri, managed ones attached by id
// (createOption Attach, since the disk step recreates a VM on disks that
// exist), NICs with the first primary. It carries no instance view; the
// emulator adds one with InstanceView.
func VMFromCloud(sub string, vm cloud.VM) armcompute.VirtualMachine {
	rg := vm.ResourceGroup
	p := &armcompute.VirtualMachineProperties{
		HardwareProfile: &armcompute.HardwareProfile{VMSize: to.Ptr(armcompute.VirtualMachineSizeTypes(vm.Size))},
		NetworkProfile:  &armcompute.NetworkProfile{},
		StorageProfile:  &armcompute.StorageProfile{},
	}
	if vm.AvailabilitySet != "" {
		p.AvailabilitySet = &armcompute.SubResource{ID: to.Ptr(ResourceID(sub, rg, TypeAvailabilitySets, vm.AvailabilitySet))}
	}
	for i, n := range vm.NICs {
		p.NetworkProfile.NetworkInterfaces = append(p.NetworkProfile.NetworkInterfaces, &armcompute.NetworkInterfaceReference{
			ID:         to.Ptr(ResourceID(sub, rg, TypeNetworkIfaces, n)),
			Properties: &armcompute.NetworkInterfaceReferenceProperties{Primary: to.Ptr(i == 0)},
		})
	}
	od := &armcompute.OSDisk{Name: nonEmpty(vm.OSDisk.Name), DiskSizeGB: gib(vm.OSDisk.SizeBytes)}
	if vm.OSType != "" {
		od.OSType = to.Ptr(armcompute.OperatingSystemTypes(vm.OSType))
	}
	od.CreateOption, od.Vhd, od.ManagedDisk = diskSource(sub, rg, vm.OSDisk)
	p.StorageProfile.OSDisk = od
	for _, d := range vm.DataDisks {
		dd := &armcompute.DataDisk{Name: nonEmpty(d.Name), Lun: to.Ptr(int32(d.LUN)), DiskSizeGB: gib(d.SizeBytes)}
		dd.CreateOption, dd.Vhd, dd.ManagedDisk = diskSource(sub, rg, d)
		p.StorageProfile.DataDisks = append(p.StorageProfile.DataDisks, dd)
	}
	// Resource Manager answers a VM's location by its canonical name
	// ("westus", not "West US"), whatever the request spelled.
	v := armcompute.VirtualMachine{
		Location:   nonEmpty(Location(vm.Location)),
		Name:       to.Ptr(vm.Name),
		Type:       to.Ptr(TypeVirtualMachines),
		Properties: p,
	}
	if rg != "" && sub != "" {
		v.ID = to.Ptr(ResourceID(sub, rg, TypeVirtualMachines, vm.Name))
	}
	return v
}

func diskSource(sub, rg string, d cloud.VMDisk) (*armcompute.DiskCreateOptionTypes, *armcompute.VirtualHardDisk, *armcompute.ManagedDiskParameters) {
	if d.ManagedDisk != "" {
		return to.Ptr(armcompute.DiskCreateOptionTypesAttach), nil,
			&armcompute.ManagedDiskParameters{ID: to.Ptr(ResourceID(sub, rg, TypeDisks, d.ManagedDisk))}
	}
	return to.Ptr(armcompute.DiskCreateOptionTypesAttach), &armcompute.VirtualHardDisk{URI: nonEmpty(d.VHDURI)}, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// DiskToCloud reads a managed disk. SizeBytes is diskSizeBytes when the
// API reports it, else an Upload disk's uploadSizeBytes less the footer,
// else diskSizeGB.
func DiskToCloud(d armcompute.Disk) cloud.ManagedDisk {
	out := cloud.ManagedDisk{Name: str(d.Name), Location: str(d.Location)}
	if id, err := ParseID(str(d.ID)); err == nil {
		out.ResourceGroup = id.ResourceGroup
	}
	if d.SKU != nil && d.SKU.Name != nil {
		out.AccountType = string(*d.SKU.Name)
	}
	p := d.Properties
	if p == nil {
		return out
	}
	if p.OSType != nil {
		out.OSType = string(*p.OSType)
	}
	if p.DiskState != nil {
		out.State = string(*p.DiskState)
	}
	if c := p.CreationData; c != nil {
		if c.CreateOption != nil {
			out.CreateOption = string(*c.CreateOption)
		}
		out.SourceURI = str(c.SourceURI)
		if c.UploadSizeBytes != nil && *c.UploadSizeBytes > VHDFooterSize {
			out.SizeBytes = *c.UploadSizeBytes - VHDFooterSize
		}
	}
	switch {
	case p.DiskSizeBytes != nil && *p.DiskSizeBytes > 0:
		out.SizeBytes = *p.DiskSizeBytes
	case out.SizeBytes == 0 && p.DiskSizeGB != nil:
		out.SizeBytes = int64(*p.DiskSizeGB) * GiB
	}
	return out
}

// DiskFromCloud is the body of a disk PUT: Import copies SourceURI from
// the storage account storageAccountID (required by the API for Import);
// Upload makes a disk waiting for SizeBytes+512 bytes. diskSizeGB is sent
// with Import when SizeBytes is known (Azure Stack Hub's procedure for a
// disk from a VHD gives it: azure-stack-managed-disk-considerations, and
// a larger one grows the disk) and with other options, never with Upload,
// whose size is uploadSizeBytes.
func DiskFromCloud(sub string, d cloud.ManagedDisk, storageAccountID string) armcompute.Disk {
	cd := &armcompute.CreationData{CreateOption: to.Ptr(armcompute.DiskCreateOption(d.CreateOption))}
	p := &armcompute.DiskProperties{CreationData: cd}
	switch d.CreateOption {
	case cloud.CreateImport:
		cd.SourceURI = nonEmpty(d.SourceURI)
		cd.StorageAccountID = nonEmpty(storageAccountID)
		p.DiskSizeGB = gib(d.SizeBytes)
	case cloud.CreateUpload:
		cd.UploadSizeBytes = to.Ptr(d.SizeBytes + VHDFooterSize)
	default:
		p.DiskSizeGB = gib(d.SizeBytes)
	}
	if d.OSType != "" {
		p.OSType = to.Ptr(armcompute.OperatingSystemTypes(d.OSType))
	}
	out := armcompute.Disk{Location: nonEmpty(d.Location), Name: to.Ptr(d.Name), Type: to.Ptr(TypeDisks), Properties: p}
	if d.AccountType != "" {
		out.SKU = &armcompute.DiskSKU{Name: to.Ptr(armcompute.DiskStorageAccountTypes(d.AccountType))}
	}
	if d.ResourceGroup != "" && sub != "" {
		out.ID = to.Ptr(ResourceID(sub, d.ResourceGroup, TypeDisks, d.Name))
	}
	return out
}

// ImageToCloud reads a managed image made from a VHD.
func ImageToCloud(img armcompute.Image) cloud.Image {
	out := cloud.Image{Name: str(img.Name), Location: str(img.Location)}
	if id, err := ParseID(str(img.ID)); err == nil {
		out.ResourceGroup = id.ResourceGroup
	}
	if p := img.Properties; p != nil && p.StorageProfile != nil && p.StorageProfile.OSDisk != nil {
		od := p.StorageProfile.OSDisk
		if od.OSType != nil {
			out.OSType = string(*od.OSType)
		}
		out.SourceURI = str(od.BlobURI)
	}
	return out
}

// ImageFromCloud is the body of an image PUT: a generalized OS disk from
// the VHD at SourceURI.
func ImageFromCloud(sub string, img cloud.Image) armcompute.Image {
	out := armcompute.Image{
		Location: nonEmpty(img.Location),
		Name:     to.Ptr(img.Name),
		Type:     to.Ptr(TypeImages),
		Properties: &armcompute.ImageProperties{StorageProfile: &armcompute.ImageStorageProfile{OSDisk: &armcompute.ImageOSDisk{
			OSState: to.Ptr(armcompute.OperatingSystemStateTypesGeneralized),
			OSType:  to.Ptr(armcompute.OperatingSystemTypes(img.OSType)),
			BlobURI: nonEmpty(img.SourceURI),
		}}},
	}
	if img.ResourceGroup != "" && sub != "" {
		out.ID = to.Ptr(ResourceID(sub, img.ResourceGroup, TypeImages, img.Name))
	}
	return out
}
