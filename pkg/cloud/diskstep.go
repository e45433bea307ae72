package cloud

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// The disk step (disks.md): after Commit, migrated VMs still boot from VHD
// page blobs. Converting one keeps its disks, removes the VM, creates a
// managed disk from each VHD and recreates the VM on them with the same
// size, availability set, NIC and data-disk LUNs.

// Power states of a Resource Manager VM, as the disk step reads them.
const (
	PowerRunning     = "running"
	PowerStopped     = "stopped"
	PowerDeallocated = "deallocated"
)

// VM is a Resource Manager virtual machine as the disk step sees it.
type VM struct {
	ResourceGroup string `json:"resourceGroup"`
	Name          string `json:"name"`
	Location      string `json:"location"`
	Size          string `json:"size"`
	// AvailabilitySet is the name of an availability set in the VM's
	// resource group, or "".
	AvailabilitySet string `json:"availabilitySet,omitempty"`
	// NICs are network interface names in the VM's resource group, primary
	// first.
	NICs   []string `json:"nics"`
	OSType string   `json:"osType"` // Windows or Linux
	OSDisk VMDisk   `json:"osDisk"`
	// DataDisks keep their LUNs across a conversion.
	DataDisks  []VMDisk `json:"dataDisks"`
	PowerState string   `json:"powerState"`

	// What a recreate must carry over (issue 10). The platform's own
	// conversion (PlatformConversion) keeps all of it; removing and
	// creating the VM again keeps only what CreateVM is given.

	// Tags are the VM's ARM tags.
	Tags map[string]string `json:"tags,omitempty"`
	// Extensions are the VM's extensions with their provisioning state.
	Extensions []Extension `json:"extensions,omitempty"`
	// BootDiagnostics is the storage URI of boot diagnostics, "" when off.
	BootDiagnostics string `json:"bootDiagnostics,omitempty"`
	// LicenseType is Windows_Server, Windows_Client or "" (Azure Hybrid
	// Benefit off).
	LicenseType string `json:"licenseType,omitempty"`
	// Secrets counts the Key Vault certificate groups of the VM's
	// osProfile. A VM created on an existing OS disk (createOption
	// Attach) takes no osProfile, so a recreate drops them.
	Secrets int `json:"secrets,omitempty"`
}

// Extension is one VM extension as the platform reports it. Protected
// settings are never returned by the platform (they are write-only), so a
// recreate cannot carry them over: HasProtectedSettings says they existed.
type Extension struct {
	Name                    string          `json:"name"`
	Publisher               string          `json:"publisher"`
	Type                    string          `json:"type"`
	TypeHandlerVersion      string          `json:"typeHandlerVersion"`
	AutoUpgradeMinorVersion bool            `json:"autoUpgradeMinorVersion,omitempty"`
	Settings                json.RawMessage `json:"settings,omitempty"`
	HasProtectedSettings    bool            `json:"hasProtectedSettings,omitempty"`
	// ProvisioningState is the extension's ARM provisioningState
	// (ExtensionSucceeded when it reports success).
	ProvisioningState string `json:"provisioningState"`
}

// ExtensionSucceeded is the provisioning state the platform's conversion
// requires of every extension of the VM.
const ExtensionSucceeded = "Succeeded"

// Availability set SKUs (ARM availabilitySets sku.name). A set migrated
// from the classic model is Classic; a VM on managed disks may only join an
// Aligned set ("Addition of a VM with managed disks to non-managed
// Availability Set ... create an Availability Set with 'Aligned' SKU").
const (
	AvailabilitySetClassic = "Classic"
	AvailabilitySetAligned = "Aligned"
)

// AvailabilitySet is a Resource Manager availability set.
type AvailabilitySet struct {
	ResourceGroup string `json:"resourceGroup"`
	Name          string `json:"name"`
	Location      string `json:"location"`
	SKU           string `json:"sku"`
	FaultDomains  int    `json:"platformFaultDomainCount"`
	UpdateDomains int    `json:"platformUpdateDomainCount"`
	// VMs names the VMs in the set.
	VMs []string `json:"vms"`
	// MaxAlignedFaultDomains is the region's fault domain count for an
	// Aligned set (2 or 3: managed disks' storage fault domains), read from
	// the platform (resource SKUs, MaximumPlatformFaultDomainCount).
	MaxAlignedFaultDomains int `json:"maxAlignedFaultDomains"`
}

// PlatformConversion is the platform's own conversion of a VM from
// unmanaged to managed disks (Azure, public and sovereign: POST
// .../virtualMachines/{vm}/convertToManagedDisks, what
// ConvertTo-AzVMManagedDisk calls). Azure Stack Hub has none (its managed
// disks document: "Migration ... Not yet supported"); a driver for it does
// not implement this interface. Methods follow Compute's contract.
type PlatformConversion interface {
	GetAvailabilitySet(ctx context.Context, resourceGroup, name string) (AvailabilitySet, error)
	// AlignAvailabilitySet makes the set Aligned with faultDomains fault
	// domains (at most its MaxAlignedFaultDomains); VMs on unmanaged disks
	// may stay in it. Aligning an Aligned set with the same count succeeds.
	AlignAvailabilitySet(ctx context.Context, resourceGroup, name string, faultDomains int) error
	// ConvertToManagedDisks converts every disk of a stop-deallocated VM
	// to a managed disk and starts the VM, keeping everything else. The
	// platform refuses a VM that is not deallocated, one in a Classic
	// availability set, and one with an extension not in
	// ExtensionSucceeded (*OperationError).
	ConvertToManagedDisks(ctx context.Context, resourceGroup, name string) error
}

// VHDSnapshots are blob snapshots of VHD page blobs, so a disk can be
// copied while its VM runs and only what changed copied at cut-over (Blob
// service: Snapshot Blob; Get Page Ranges with prevsnapshot). Shared
// access signatures stay inside the driver, as with DiskData.
type VHDSnapshots interface {
	// SnapshotVHD snapshots the VHD's page blob and returns the snapshot's
	// id (the x-ms-snapshot timestamp).
	SnapshotVHD(ctx context.Context, vhdURI string) (string, error)
	// OpenVHDSnapshot opens one snapshot of the VHD for reading; its
	// Allocated lists the snapshot's page ranges.
	OpenVHDSnapshot(ctx context.Context, vhdURI, snapshot string) (disks.Source, error)
	// ChangedSince lists, sorted and merged, the ranges where snapshot
	// differs from the earlier snapshot prev: pages written and pages
	// cleared (those read as zeros in snapshot and must be written so).
	ChangedSince(ctx context.Context, vhdURI, snapshot, prev string) ([]disks.Extent, error)
	// DeleteVHDSnapshot removes one snapshot; a missing one succeeds.
	DeleteVHDSnapshot(ctx context.Context, vhdURI, snapshot string) error
}

// Managed reports whether every disk of the VM is a managed disk.
func (v VM) Managed() bool {
	if v.OSDisk.ManagedDisk == "" {
		return false
	}
	for _, d := range v.DataDisks {
		if d.ManagedDisk == "" {
			return false
		}
	}
	return true
}

// VMDisk is one disk of a VM: unmanaged (VHDURI set) or managed
// (ManagedDisk names a disk in the VM's resource group).
type VMDisk struct {
	Name        string `json:"name"`
	LUN         int    `json:"lun"`
	VHDURI      string `json:"vhdUri,omitempty"`
	ManagedDisk string `json:"managedDisk,omitempty"`
	// SizeBytes is the disk's virtual size.
	SizeBytes int64 `json:"sizeBytes"`
	// Caching is the host caching (None, ReadOnly, ReadWrite).
	Caching string `json:"caching,omitempty"`
	// WriteAccelerator is on (M-series Premium disks only).
	WriteAccelerator bool `json:"writeAccelerator,omitempty"`
}

// Managed disk creation options.
const (
	CreateImport = "Import"
	CreateUpload = "Upload"
)

// Managed disk states the disk step reads.
const (
	DiskReadyToUpload = "ReadyToUpload"
	DiskActiveUpload  = "ActiveUpload"
	DiskUnattached    = "Unattached"
	DiskAttached      = "Attached"
)

// ManagedDisk is a Resource Manager managed disk.
type ManagedDisk struct {
	ResourceGroup string `json:"resourceGroup"`
	Name          string `json:"name"`
	Location      string `json:"location"`
	// AccountType is Premium_LRS, Standard_LRS or StandardSSD_LRS.
	AccountType  string `json:"accountType"`
	SizeBytes    int64  `json:"sizeBytes"`
	CreateOption string `json:"createOption"`
	// SourceURI is the VHD an Import disk was made from.
	SourceURI string `json:"sourceUri,omitempty"`
	State     string `json:"state"`
	OSType    string `json:"osType,omitempty"`
}

// Image is a Resource Manager managed image.
type Image struct {
	ResourceGroup string `json:"resourceGroup"`
	Name          string `json:"name"`
	Location      string `json:"location"`
	OSType        string `json:"osType"`
	// SourceURI is the generalized VHD the image was made from.
	SourceURI string `json:"sourceUri"`
}

// Compute is the Resource Manager compute surface the disk step drives.
//
// Every method is idempotent: creating what already exists with the same
// definition succeeds, deleting what is gone succeeds, deallocating a
// deallocated VM succeeds, starting a running VM succeeds. A missing VM, disk or image is ErrNotFound on
// reads. Transient faults are *TransientError (RetryAfter honoured by the
// caller; azure drivers have already exhausted the SDK's own retries); a
// request the platform refuses is *OperationError. Long-running operations
// are finished before a method returns. Safe for concurrent use.
type Compute interface {
	// ListVMs lists the subscription's Resource Manager VMs.
	ListVMs(ctx context.Context) ([]VM, error)
	GetVM(ctx context.Context, resourceGroup, name string) (VM, error)
	DeallocateVM(ctx context.Context, resourceGroup, name string) error
	// StartVM starts a stopped or deallocated VM on the disks it has; a
	// running VM stays so. A missing VM is ErrNotFound.
	StartVM(ctx context.Context, resourceGroup, name string) error
	// DeleteVM removes the VM and keeps its disks, VHDs and NICs.
	DeleteVM(ctx context.Context, resourceGroup, name string) error
	// CreateVM creates (and starts) vm on the disks its VMDisks name
	// (managed disks, or VHDs to attach again), attached to its NICs and
	// availability set, with its tags, boot diagnostics, license type,
	// per-disk caching and write accelerator; then adds each of its
	// Extensions (public settings only). A managed-disk VM in a Classic
	// availability set is refused (*OperationError), as Azure refuses it.
	CreateVM(ctx context.Context, vm VM) error
	GetDisk(ctx context.Context, resourceGroup, name string) (ManagedDisk, error)
	// CreateDisk creates a managed disk: CreateImport copies SourceURI
	// server side; CreateUpload makes an empty disk of SizeBytes waiting
	// for its data (state ReadyToUpload).
	CreateDisk(ctx context.Context, d ManagedDisk) error
	DeleteDisk(ctx context.Context, resourceGroup, name string) error
	// CreateImage makes a managed image from a generalized VHD.
	CreateImage(ctx context.Context, img Image) error
	GetImage(ctx context.Context, resourceGroup, name string) (Image, error)
}

// DiskData opens disk contents for the copier. Shared access signatures
// stay inside the driver: never returned, printed, logged or journaled; a
// fresh one is granted on each open.
type DiskData interface {
	// OpenVHD opens an unmanaged disk's page blob for reading.
	OpenVHD(ctx context.Context, vhdURI string) (disks.Source, error)
	// OpenUpload grants write access to a disk created with CreateUpload
	// and returns a sink for its data (the fixed VHD footer included); with
	// resume the data written so far is kept. EndUpload revokes the access.
	OpenUpload(ctx context.Context, resourceGroup, name string, sizeBytes int64, resume bool) (disks.Sink, error)
	EndUpload(ctx context.Context, resourceGroup, name string) error
	// OpenManaged grants read access to a managed disk and opens it, for
	// verification; closing the source revokes the access.
	OpenManaged(ctx context.Context, resourceGroup, name string) (disks.Source, error)
}

// PageCopyMaxBytes is the most one server-side page copy call writes: Put
// Page From URL takes a range "up to 4 MiB" (Blob service REST reference,
// learn.microsoft.com rest/api/storageservices/put-page-from-url).
const PageCopyMaxBytes = 4 << 20

// PageCopyMinVersion is the first Blob service version with Put Page From
// URL (comp=page, x-ms-page-write: update, x-ms-copy-source and
// x-ms-source-range; same reference).
const PageCopyMinVersion = "2018-11-09"

// ErrPageCopyUnsupported is returned by PageCopier.CopyPages where the
// target's storage service has no Put Page From URL. Azure has it. Azure
// Stack Hub lists Blob service versions up to 2017-11-09 before its 2005
// update and up to 2019-02-02 from it (MicrosoftDocs/azure-stack-docs,
// azure-stack/user/azure-stack-acs-differences.md, "API version"): a
// stamp at 2005 or later has it (every update still serviced is), an
// older one does not. The caller streams the pages through the copier
// instead.
var ErrPageCopyUnsupported = errors.New("the target's storage service has no Put Page From URL: stream the pages instead")

// PageCopier copies pages of a VHD's blob snapshot into a managed disk
// being uploaded, server side: the storage service reads the source and
// writes the target (Put Page From URL), so the data never passes through
// this machine. It is the pre-copy's fast path where the target has it.
// Found by type assertion on a driver. Shared access signatures stay
// inside the driver, as with DiskData.
type PageCopier interface {
	// PageCopySupported reports whether the target's storage service has
	// Put Page From URL; false means CopyPages returns
	// ErrPageCopyUnsupported before sending anything.
	PageCopySupported() bool
	// CopyPages writes each extent of the VHD's snapshot (an id from
	// VHDSnapshots.SnapshotVHD) at the same offset of managed disk
	// resourceGroup/name, whose upload is open (DiskData.OpenUpload, before
	// EndUpload). Extents are 512-byte aligned; each is sent in calls of
	// at most PageCopyMaxBytes. Pages the snapshot holds as zeros are
	// written as zeros. Idempotent: a copy repeated after a failure writes
	// the same bytes. A missing disk, upload or snapshot is ErrNotFound;
	// transient faults are *TransientError; a refusal is *OperationError.
	// Safe for concurrent use on different extents.
	CopyPages(ctx context.Context, vhdURI, snapshot, resourceGroup, name string, extents []disks.Extent) error
}
