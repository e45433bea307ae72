package realclient_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/disks/azuritetest"
)

// python finds /usr/bin/python3 with the Python SDKs of Debian's azure-cli
// package: missing, the test is skipped, or fails in CI.
func python(t *testing.T) string {
	t.Helper()
	// Debian's azure-cli runs on the system interpreter (its /usr/bin/az
	// starts with #!/usr/bin/python3), not on whatever python3 is first on
	// PATH.
	py, err := exec.LookPath("/usr/bin/python3")
	if err == nil {
		err = exec.Command(py, "-c", "import azure.mgmt.compute, azure.mgmt.storage, azure.mgmt.resource").Run()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 with azure.mgmt.* is missing (apt-get install azure-cli): %v", err)
		}
		t.Skipf("python3 with azure.mgmt.* is missing (apt-get install azure-cli): %v", err)
	}
	return py
}

// TestResourceManagerPythonSDK migrates the suite's estate in the
// simulator, then drives the disk step's Resource Manager calls through
// azure.mgmt.compute, storage and resource against the emulator: provider
// registration, VMs listed by subscription and by resource group, get with
// the instance view, deallocate and start, a managed disk created for
// upload, access granted and revoked, the disk deleted (and then
// ResourceNotFound), the migrated storage account listed with location and
// sku, every long-running operation through the SDK's own poller.
func TestResourceManagerPythonSDK(t *testing.T) {
	rg := cloudtest.ServiceLegacy + "-Migrated"
	golden(t, "rm.golden.json", runRMScript(t, python(t), "rm.py", func(*served) []string { return []string{rg, "legacy1"} }))
}

// pythonModule fails (in CI) or skips the test when py cannot import
// module.
func pythonModule(t *testing.T, py, module string) {
	t.Helper()
	if err := exec.Command(py, "-c", "import "+module).Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 %s is missing (apt-get install azure-cli): %v", module, err)
		}
		t.Skipf("python3 %s is missing (apt-get install azure-cli): %v", module, err)
	}
}

// runRMScript serves the suite's estate, migrated, with its page data in
// a fresh Azurite, and runs the Python script testdata/script against its
// Resource Manager with a token for it; args gives the script's arguments
// once the server is up. It returns what the script printed.
func runRMScript(t *testing.T, py, script string, args func(*served) []string) []byte {
	t.Helper()
	nodeEnv(t) // Azurite, from the same node_modules
	az := azuritetest.Start(t)
	inv := cloudtest.Inventory()
	sv := serve(t, inv, serveOptions{blobEndpoint: az.Endpoint, before: migrated})
	return runPython(t, py, script, sv, inv.SubscriptionID, args(sv))
}

// runPython runs the Python script testdata/script with args against sv's
// Resource Manager for subscription sub, with a token for it, and returns
// what the script printed.
func runPython(t *testing.T, py, script string, sv *served, sub string, args []string) []byte {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), py, append([]string{filepath.Join("testdata", script)}, args...)...)
	cmd.Env = append(os.Environ(), "BASE_URI="+sv.url, "SUBSCRIPTION_ID="+sub,
		"TOKEN="+token(t, sv, emulator.ResourceManagerAudience+".default"), "REQUESTS_CA_BUNDLE="+sv.caFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	return stdout.Bytes()
}

// migrated is a serveOptions.before that prepares and commits the suite's
// VNet, legacy service and storage units, so Resource Manager holds their
// VMs and account.
func migrated(ctx context.Context, s *sim.Sim) error {
	for _, u := range []string{cloudtest.UnitVNet, cloudtest.UnitLegacy, cloudtest.UnitStorage} {
		tg := cloudtest.Target(u)
		if err := s.Prepare(ctx, tg); err != nil {
			return fmt.Errorf("%s: %w", u, err)
		}
		if err := s.Commit(ctx, tg); err != nil {
			return fmt.Errorf("%s: %w", u, err)
		}
		st, err := s.State(ctx, tg)
		if err != nil {
			return fmt.Errorf("%s: %w", u, err)
		}
		if st != cloud.StateCommitted {
			return fmt.Errorf("%s: %s after Commit", u, st)
		}
	}
	return nil
}
