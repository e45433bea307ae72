package realclient_test

import (
	"bytes"
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
	py := python(t)
	nodeEnv(t) // Azurite, from the same node_modules
	az := azuritetest.Start(t)
	inv := cloudtest.Inventory()
	s, err := sim.Open(t.TempDir(), inv, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	for _, u := range []string{cloudtest.UnitVNet, cloudtest.UnitLegacy, cloudtest.UnitStorage} {
		tg := cloudtest.Target(u)
		for _, step := range []func() error{func() error { return s.Prepare(ctx, tg) }, func() error { return s.Commit(ctx, tg) }} {
			if err := step(); err != nil {
				t.Fatalf("%s: %v", u, err)
			}
		}
		if st, err := s.State(ctx, tg); err != nil || st != cloud.StateCommitted {
			t.Fatalf("%s: %s %v", u, st, err)
		}
	}
	srv := emulator.New(s, s, emulator.Options{SubscriptionID: inv.SubscriptionID, ClientID: "app", ClientSecret: "s3cret-for-tests",
		Compute: s, DiskData: s, BlobEndpoint: az.Endpoint})
	if _, err := srv.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	rg := cloudtest.ServiceLegacy + "-Migrated"
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "rm.py"), rg, "legacy1")
	cmd.Env = append(os.Environ(), "BASE_URI="+srv.URL(), "SUBSCRIPTION_ID="+inv.SubscriptionID,
		"TOKEN="+token(t, srv, emulator.ResourceManagerAudience+".default"), "REQUESTS_CA_BUNDLE="+ca)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rm.py: %v\n%s", err, stderr.String())
	}
	golden(t, "rm.golden.json", stdout.Bytes())
}
