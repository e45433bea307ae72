package cloud

import (
	"context"

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
	// CreateVM creates (and starts) vm on the managed disks its VMDisks
	// name, attached to its NICs and availability set.
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
