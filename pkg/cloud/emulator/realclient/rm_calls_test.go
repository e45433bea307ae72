package realclient_test

import (
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
)

// TestDriverCallsPythonSDK makes the azure driver's calls that the other
// Python scenarios leave out through azure.mgmt.compute, azure.mgmt.storage
// and azure.storage.blob (testdata/rm_calls.py lists them): listKeys, a
// VHD's snapshots and their page-range diff, Import, a page written and
// read through the disk's SAS, an image, a VM deleted and created again,
// Convert To Managed Disks, a VHD deleted with its snapshots.
func TestDriverCallsPythonSDK(t *testing.T) {
	py := python(t)
	pythonModule(t, py, "azure.storage.blob")
	rg := cloudtest.ServiceLegacy + "-Migrated"
	golden(t, "rm_calls.golden.json", runRMScript(t, py, "rm_calls.py", func(sv *served) []string {
		return []string{rg, "legacy1", sv.front, emulator.DevAccountName}
	}))
}
