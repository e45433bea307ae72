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
		Compute: s, DiskData: s, Platform: s, BlobEndpoint: az.Endpoint})
	if _, err := srv.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	rg := cloudtest.ServiceLegacy + "-Migrated"
	front := srv.URL() + "blob/" + emulator.DevAccountName
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "rm_calls.py"), rg, "legacy1", front, emulator.DevAccountName)
	cmd.Env = append(os.Environ(), "BASE_URI="+srv.URL(), "SUBSCRIPTION_ID="+inv.SubscriptionID,
		"TOKEN="+token(t, srv, emulator.ResourceManagerAudience+".default"), "REQUESTS_CA_BUNDLE="+ca)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rm_calls.py: %v\n%s", err, stderr.String())
	}
	golden(t, "rm_calls.golden.json", stdout.Bytes())
}
