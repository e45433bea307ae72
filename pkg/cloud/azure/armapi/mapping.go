package armapi

import (
	"encoding/json"
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
			out.OSDisk.Caching, out.OSDisk.WriteAccelerator = caching(od.Caching), od.WriteAcceleratorEnabled != nil && *od.WriteAcceleratorEnabled
		}
		for _, dd := range sp.DataDisks {
			if dd != nil {
				d := vmDisk(dd.Name, dd.Lun, dd.Vhd, dd.ManagedDisk, dd.DiskSizeGB)
				d.Caching, d.WriteAccelerator = caching(dd.Caching), dd.WriteAcceleratorEnabled != nil && *dd.WriteAcceleratorEnabled
				out.DataDisks = append(out.DataDisks, d)
			}
		}
	}
	if p.InstanceView != nil {
		out.PowerState = PowerState(p.InstanceView.Statuses)
	}
	out.LicenseType = str(p.LicenseType)
	if dp := p.DiagnosticsProfile; dp != nil && dp.BootDiagnostics != nil && dp.BootDiagnostics.Enabled != nil && *dp.BootDiagnostics.Enabled {
		out.BootDiagnostics = str(dp.BootDiagnostics.StorageURI)
	}
	if p.OSProfile != nil {
		out.Secrets = len(p.OSProfile.Secrets)
	}
	for _, x := range v.Resources {
		if x != nil {
			out.Extensions = append(out.Extensions, ExtensionToCloud(*x))
		}
	}
	if len(v.Tags) > 0 {
		out.Tags = map[string]string{}
		for k, t := range v.Tags {
			out.Tags[k] = str(t)
		}
	}
	return out
}

// ExtensionToCloud reads a VM extension. Protected settings are never
// returned by the platform: HasProtectedSettings is set only when it
// reports a Key Vault reference for them (protectedSettingsFromKeyVault),
// the one trace of them it gives.
func ExtensionToCloud(x armcompute.VirtualMachineExtension) cloud.Extension {
	out := cloud.Extension{Name: str(x.Name)}
	if p := x.Properties; p != nil {
		out.Publisher, out.Type, out.TypeHandlerVersion = str(p.Publisher), str(p.Type), str(p.TypeHandlerVersion)
		out.AutoUpgradeMinorVersion = p.AutoUpgradeMinorVersion != nil && *p.AutoUpgradeMinorVersion
		out.ProvisioningState = str(p.ProvisioningState)
		out.HasProtectedSettings = p.ProtectedSettingsFromKeyVault != nil
		if p.Settings != nil {
			if b, err := json.Marshal(p.Settings); err == nil && string(b) != "null" {
				out.Settings = b
			}
		}
	}
	return out
}

// ExtensionFromCloud is the body of an extension PUT on a VM in location:
// its public settings only (protected ones are never known).
func ExtensionFromCloud(location string, x cloud.Extension) armcompute.VirtualMachineExtension {
	p := &armcompute.VirtualMachineExtensionProperties{
		Publisher: nonEmpty(x.Publisher), Type: nonEmpty(x.Type), TypeHandlerVersion: nonEmpty(x.TypeHandlerVersion),
		AutoUpgradeMinorVersion: to.Ptr(x.AutoUpgradeMinorVersion),
	}
	if len(x.Settings) > 0 {
		p.Settings = x.Settings
	}
	return armcompute.VirtualMachineExtension{Location: nonEmpty(Location(location)), Name: to.Ptr(x.Name), Properties: p}
}

func caching(c *armcompute.CachingTypes) string {
	if c == nil {
		return ""
	}
	return string(*c)
}

// diskProps are the per-disk properties a VM carries: host caching and
// write accelerator (sent only when on).
func diskProps(d cloud.VMDisk) (*armcompute.CachingTypes, *bool) {
	var c *armcompute.CachingTypes
	if d.Caching != "" {
		c = to.Ptr(armcompute.CachingTypes(d.Caching))
	}
	var wa *bool
	if d.WriteAccelerator {
		wa = to.Ptr(true)
	}
	return c, wa
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
// exist), with their caching and write accelerator; NICs with the first
// primary; tags, license type and boot diagnostics. It carries no
// instance view, no extensions (resources are read-only: each is PUT on
// its own) and no osProfile (a VM attached to an existing OS disk takes
// none, so its secrets cannot be sent); the emulator adds what it serves
// with InstanceView, ExtensionFromCloud and Secrets.
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
	od.Caching, od.WriteAcceleratorEnabled = diskProps(vm.OSDisk)
	p.StorageProfile.OSDisk = od
	for _, d := range vm.DataDisks {
		dd := &armcompute.DataDisk{Name: nonEmpty(d.Name), Lun: to.Ptr(int32(d.LUN)), DiskSizeGB: gib(d.SizeBytes)}
		dd.CreateOption, dd.Vhd, dd.ManagedDisk = diskSource(sub, rg, d)
		dd.Caching, dd.WriteAcceleratorEnabled = diskProps(d)
		p.StorageProfile.DataDisks = append(p.StorageProfile.DataDisks, dd)
	}
	p.LicenseType = nonEmpty(vm.LicenseType)
	if vm.BootDiagnostics != "" {
		p.DiagnosticsProfile = &armcompute.DiagnosticsProfile{BootDiagnostics: &armcompute.BootDiagnostics{
			Enabled: to.Ptr(true), StorageURI: to.Ptr(vm.BootDiagnostics)}}
	}
	// Resource Manager answers a VM's location by its canonical name
	// ("westus", not "West US"), whatever the request spelled.
	v := armcompute.VirtualMachine{
		Location:   nonEmpty(Location(vm.Location)),
		Name:       to.Ptr(vm.Name),
		Type:       to.Ptr(TypeVirtualMachines),
		Properties: p,
	}
	if len(vm.Tags) > 0 {
		v.Tags = map[string]*string{}
		for k, t := range vm.Tags {
			v.Tags[k] = to.Ptr(t)
		}
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

// Secrets is an osProfile holding n Key Vault secret groups, for serving
// a VM's secrets count (their contents are not modelled).
func Secrets(n int) *armcompute.OSProfile {
	if n <= 0 {
		return nil
	}
	out := &armcompute.OSProfile{}
	for range n {
		out.Secrets = append(out.Secrets, &armcompute.VaultSecretGroup{})
	}
	return out
}
