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

// TestDriverCallsPythonSDK makes the azure driver's calls that the other
// Python scenarios leave out through azure.mgmt.compute, azure.mgmt.storage
// and azure.storage.blob (testdata/rm_calls.py lists them): listKeys, a
// VHD's snapshots and their page-range diff, Import, a page written and
// read through the disk's SAS, an image, a VM deleted and created again,
// Convert To Managed Disks, a VHD deleted with its snapshots.
func TestDriverCallsPythonSDK(t *testing.T) {
	py := python(t)
	if err := exec.Command(py, "-c", "import azure.storage.blob").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 azure.storage.blob is missing (apt-get install azure-cli): %v", err)
		}
		t.Skipf("python3 azure.storage.blob is missing (apt-get install azure-cli): %v", err)
	}
	nodeEnv(t) // Azurite, from the same node_modules
	az := azuritetest.Start(t)
	inv := cloudtest.Inventory()
	sv := serve(t, inv, serveOptions{blobEndpoint: az.Endpoint, before: migrated})
	ctx := t.Context()
	rg := cloudtest.ServiceLegacy + "-Migrated"
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "rm_calls.py"), rg, "legacy1", sv.front, emulator.DevAccountName)
	cmd.Env = append(os.Environ(), "BASE_URI="+sv.url, "SUBSCRIPTION_ID="+inv.SubscriptionID,
		"TOKEN="+token(t, sv, emulator.ResourceManagerAudience+".default"), "REQUESTS_CA_BUNDLE="+sv.caFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rm_calls.py: %v\n%s", err, stderr.String())
	}
	golden(t, "rm_calls.golden.json", stdout.Bytes())
}
