package sim

import (
	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// What the platform refuses of a managed disk, by profile.
//
//   - Import from a VHD whose storage account is still classic (Azure
//     profiles): the account's blobs belong to Resource Manager only once
//     its unit is Committed, as for CreateImage.
//   - Azure Stack Hub offers Standard_LRS and Premium_LRS managed disks
//     only (no StandardSSD_LRS), of at most 1,023 GiB ("Azure Stack Hub
//     managed disks: differences and considerations", MicrosoftDocs/
//     azure-stack-docs, azure-stack/user/azure-stack-managed-disk-considerations.md).
//   - createOption Upload exists from disk API 2019-03-01 (Azure/azure-cli
//     #10477, "Minimum API Version Required 2019-03-01" for direct upload;
//     the 2019-03-01 disk.json of Azure/azure-rest-api-specs#6824): a Hub
//     whose API profile has an older disk API refuses it as an invalid
//     value for that api-version.

// Disk API versions of the Azure Stack Hub profiles.
const (
	// DefaultHubDiskAPIVersion is the disk API of the Hub API profile
	// the seed lists by default.
	DefaultHubDiskAPIVersion = "2017-12-01"
	// UploadDiskAPIVersion is the first disk API with createOption
	// Upload.
	UploadDiskAPIVersion = "2019-03-01"
	// hubMaxDiskBytes is Azure Stack Hub's largest managed disk.
	hubMaxDiskBytes = 1023 << 30
)

// diskAPIVersion is the disk API the cloud answers with: the option on
// Azure Stack Hub, "" (any) on Azure.
func (s *Sim) diskAPIVersion() string {
	if !s.hub() {
		return ""
	}
	if s.o.DiskAPIVersion != "" {
		return s.o.DiskAPIVersion
	}
	return DefaultHubDiskAPIVersion
}

// refuseDisk checks a new managed disk against what the platform accepts
// (its account type, option, source and size); nil when it may be made.
func (s *Sim) refuseDisk(p *persisted, d cloud.ManagedDisk, unitID string) error {
	switch d.AccountType {
	case "Premium_LRS", "Standard_LRS":
	case "StandardSSD_LRS":
		if s.hub() {
			return opErr(OpCreateDisk, unitID, "InvalidParameter",
				"The value 'StandardSSD_LRS' of parameter 'sku.name' is not supported on Azure Stack Hub, which offers Standard_LRS and Premium_LRS managed disks.")
		}
	default:
		return opErr(OpCreateDisk, unitID, "InvalidParameter", "account type %q", d.AccountType)
	}
	size := d.SizeBytes
	switch d.CreateOption {
	case cloud.CreateImport:
		v, ok := s.vhds[inventory.Key(d.SourceURI)]
		if !ok {
			return opErr(OpCreateDisk, unitID, "InvalidParameter", "source %s is not a VHD this cloud holds", disks.RedactURL(d.SourceURI))
		}
		if d.SizeBytes != 0 && d.SizeBytes < v.size {
			return opErr(OpCreateDisk, unitID, "InvalidParameter", "size %d is smaller than the source's %d", d.SizeBytes, v.size)
		}
		if st := p.Units[unitKey(kindStorage, v.account)]; !s.hub() && (st == nil || st.State != cloud.StateCommitted) {
			return opErr(OpCreateDisk, unitID, "StorageAccountNotMigrated",
				"storage account %s of %s is still classic: migrate it first", v.account, disks.RedactURL(d.SourceURI))
		}
		size = max(size, v.size)
	case cloud.CreateUpload:
		if api := s.diskAPIVersion(); api != "" && api < UploadDiskAPIVersion {
			return opErr(OpCreateDisk, unitID, "InvalidParameter",
				"The value 'Upload' of parameter 'creationData.createOption' is not supported for api-version '%s': direct upload needs disk API %s or later.",
				api, UploadDiskAPIVersion)
		}
	}
	if s.hub() && size > hubMaxDiskBytes {
		return opErr(OpCreateDisk, unitID, "InvalidParameter",
			"Disk size %d GiB is larger than the 1023 GiB Azure Stack Hub allows for a managed disk.", (size+1<<30-1)>>30)
	}
	return nil
}
