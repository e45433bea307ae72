package realclient_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/disks/azuritetest"
)

// TestPlatformPythonSDK reads an availability set's SKU, the region's
// fault domain limits and a VM's extensions from the emulator through
// azure.mgmt.compute, aligns the set and adds an extension with the SDK's
// own poller.
func TestPlatformPythonSDK(t *testing.T) {
	py := python(t)
	nodeEnv(t) // Azurite, from the same node_modules
	// sim serve serves Resource Manager compute with the disk step's blob
	// endpoint only.
	az := azuritetest.Start(t)
	inv := cloudtest.Inventory()
	sv := serve(t, inv, serveOptions{blobEndpoint: az.Endpoint, before: migrated})
	ctx := t.Context()
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "rm_platform.py"), cloudtest.ServiceWeb+"-Migrated", "web1", "web-as", "westus")
	cmd.Env = append(os.Environ(), "BASE_URI="+sv.url, "SUBSCRIPTION_ID="+inv.SubscriptionID,
		"TOKEN="+token(t, sv, emulator.ResourceManagerAudience+".default"), "REQUESTS_CA_BUNDLE="+sv.caFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rm_platform.py: %v\n%s", err, stderr.String())
	}
	golden(t, "rm_platform.golden.json", stdout.Bytes())
}
