package azure

import (
	"fmt"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

// CodeNoClassicModel is the Code of the *cloud.OperationError every
// classic call (Migrator, Discoverer) answers on Azure Stack Hub.
const CodeNoClassicModel = "NoClassicDeploymentModel"

// noClassicMessage says why: Azure Stack Hub serves Resource Manager only
// (learn.microsoft.com azure-stack/user/azure-stack-considerations: "Azure
// Stack Hub ... only supports the Resource Manager deployment model"), so
// the classic migration never happens there and its VMs on unmanaged
// disks are discovered from Resource Manager (ListVMs).
const noClassicMessage = "Azure Stack Hub has no classic deployment model: it is a target of the disk step only (its VMs are Resource Manager VMs, listed with ListVMs)"

// classicRefused is the refusal of a classic call on Azure Stack Hub, made
// before anything is sent; nil elsewhere.
func (d *Driver) classicRefused(op, unit string) error {
	if !d.ep.stackHub {
		return nil
	}
	return &cloud.OperationError{Op: op, Unit: unit, Code: CodeNoClassicModel, Message: noClassicMessage}
}

// Disk API versions the disk step depends on.
const (
	// uploadDisksAPI is the first managed disks API version with
	// createOption Upload (Azure/azure-rest-api-specs
	// specification/compute/resource-manager/Microsoft.Compute/stable/
	// 2019-03-01/disk.json: DiskCreateOption gains "Upload" and
	// CreationData "uploadSizeBytes" there; 2018-09-30 has neither).
	uploadDisksAPI = "2019-03-01"
)

// APIVersionError is a call the configured API version cannot make: the
// platform would refuse or misread it, so it is refused before sending.
// Callers branch on the type: it is a configuration problem (select a
// newer profile, or another method), never worth retrying.
type APIVersionError struct {
	// Op is what was asked ("createDisk rg/name with createOption Upload").
	Op string
	// API names the versioned API ("disks").
	API string
	// Version is the configured version; Need the first that works.
	Version, Need string
}

func (e *APIVersionError) Error() string {
	return fmt.Sprintf("%s needs %s API version %s or later, but the configured one is %s (set azure.apiVersions.%s, e.g. %s, if the cloud's profile serves it; otherwise use the cutover method, which imports)",
		e.Op, e.API, e.Need, e.Version, e.API, e.Need)
}

// versionBefore reports whether API version v (YYYY-MM-DD, perhaps with a
// -preview suffix) is older than want. The date prefix orders as text.
func versionBefore(v, want string) bool {
	if len(v) > len(want) {
		v = v[:len(want)]
	}
	return v < want
}
