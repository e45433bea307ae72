package armapi

import "strings"

// ClassicResourceGroup is the resource group Azure shows a classic cloud
// service, and its VMs, in: the cloud service's own name (azure-docs
// azure-monitor activity log examples, ".../resourceGroups/myResourceGroup/
// providers/Microsoft.ClassicCompute/domainNames/myResourceGroup/..."). The
// driver matches classic ids with it and the emulator renders them with it.
func ClassicResourceGroup(cloudService string) string { return cloudService }

// ClassicStorageResourceGroup is the resource group Azure shows a classic
// storage account of location in: Default-Storage-{location without
// spaces} (azure-docs examples name .../resourceGroups/
// Default-Storage-SouthCentralUS/providers/Microsoft.ClassicStorage/...).
func ClassicStorageResourceGroup(location string) string {
	return "Default-Storage-" + strings.ReplaceAll(location, " ", "")
}
