package emulator

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
)

// Azure Stack Hub mode (Options.StackHub): Resource Manager only, with the
// managed disk limits Azure Stack Hub documents
// (learn.microsoft.com azure-stack/user/azure-stack-managed-disk-
// considerations, quoted by the seed reference 000_*: API versions
// 2017-03-30 and 2017-12-01; Standard and Premium disks only; "Migration:
// Not yet supported"; azure-stack-vm-considerations: disks up to 1,023
// GiB).

// stackHubDiskAPIs are the managed disks API versions the Hub mode serves:
// the documented two, and the profiles of newer Hub builds
// (2019-03-01-hybrid ships disks 2019-03-01 in later updates,
// 2020-09-01-hybrid disks 2019-07-01) so a newer profile can be selected.
var stackHubDiskAPIs = []string{"2017-03-30", "2017-12-01", "2019-03-01", "2019-07-01"}

// uploadDiskAPI is the first disks API version with createOption Upload
// (Azure/azure-rest-api-specs, Microsoft.Compute/stable/2019-03-01/
// disk.json adds "Upload" to DiskCreateOption and uploadSizeBytes).
const uploadDiskAPI = "2019-03-01"

// stackHubMaxDiskGiB is the largest disk Azure Stack Hub creates.
const stackHubMaxDiskGiB = 1023

// apiBefore reports whether api-version v is older than want (the
// YYYY-MM-DD prefix orders as text).
func apiBefore(v, want string) bool {
	if len(v) > len(want) {
		v = v[:len(want)]
	}
	return v < want
}

// noRegisteredProvider answers what Resource Manager answers for a
// resource type or API version a cloud's provider does not serve: 400
// NoRegisteredProviderFound, "No registered resource provider found for
// location '...' and API version '...' for type '...'. The supported
// api-versions are '...'" (the shape quoted in Azure/azure-cli#28496 and
// azure-sdk-for-js#4097). Azure Stack Hub's Microsoft.Compute has no
// convertToManagedDisks action and only the disk API versions above, and
// answers the same way.
func noRegisteredProvider(w http.ResponseWriter, loc, version, typ string, supported []string) {
	armError(w, http.StatusBadRequest, "NoRegisteredProviderFound",
		fmt.Sprintf("No registered resource provider found for location '%s' and API version '%s' for type '%s'. The supported api-versions are '%s'.",
			armapi.Location(loc), version, typ, strings.Join(supported, ", ")))
}

// diskRefusal is the platform's refusal of a disk PUT, or "" : createOption
// Upload on an API version without it (both modes), and in the Hub mode an
// API version the Hub does not serve, StandardSSD_LRS, a disk over 1,023
// GiB. It writes the answer itself and reports whether it did.
func (s *Server) diskRefusal(w http.ResponseWriter, r *http.Request, m armcompute.Disk, d cloud.ManagedDisk) bool {
	v := r.URL.Query().Get("api-version")
	if s.o.StackHub {
		known := false
		for _, k := range stackHubDiskAPIs {
			known = known || k == v
		}
		if !known {
			noRegisteredProvider(w, d.Location, v, "disks", stackHubDiskAPIs)
			return true
		}
	}
	if d.CreateOption == cloud.CreateUpload && apiBefore(v, uploadDiskAPI) {
		// An API version before Upload does not know the enum value.
		armError(w, http.StatusBadRequest, "InvalidParameter",
			fmt.Sprintf("The value 'Upload' of parameter 'creationData.createOption' is not valid in api-version '%s'; Upload exists from api-version %s.", v, uploadDiskAPI))
		return true
	}
	if !s.o.StackHub {
		return false
	}
	if strings.EqualFold(d.AccountType, "StandardSSD_LRS") || (d.AccountType != "" &&
		!strings.EqualFold(d.AccountType, "Standard_LRS") && !strings.EqualFold(d.AccountType, "Premium_LRS")) {
		armError(w, http.StatusBadRequest, "InvalidParameter",
			fmt.Sprintf("Storage account type '%s' is not supported. Azure Stack Hub supports Standard_LRS and Premium_LRS.", d.AccountType))
		return true
	}
	gib := int64(0)
	if p := m.Properties; p != nil {
		if p.DiskSizeGB != nil {
			gib = int64(*p.DiskSizeGB)
		}
		if c := p.CreationData; c != nil && c.UploadSizeBytes != nil {
			gib = max(gib, (*c.UploadSizeBytes-armapi.VHDFooterSize+armapi.GiB-1)/armapi.GiB)
		}
	}
	if gib > stackHubMaxDiskGiB {
		armError(w, http.StatusBadRequest, "InvalidParameter",
			fmt.Sprintf("The disk size %d GB is larger than %d GB, the largest disk Azure Stack Hub supports.", gib, stackHubMaxDiskGiB))
		return true
	}
	return false
}
