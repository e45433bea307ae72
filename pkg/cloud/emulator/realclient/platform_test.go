package realclient_test

import (
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
)

// TestPlatformPythonSDK reads an availability set's SKU, the region's
// fault domain limits and a VM's extensions from the emulator through
// azure.mgmt.compute, aligns the set and adds an extension with the SDK's
// own poller.
func TestPlatformPythonSDK(t *testing.T) {
	golden(t, "rm_platform.golden.json", runRMScript(t, python(t), "rm_platform.py", func(*served) []string {
		return []string{cloudtest.ServiceWeb + "-Migrated", "web1", "web-as", "westus"}
	}))
}
