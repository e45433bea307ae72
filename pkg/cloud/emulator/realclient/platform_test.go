package realclient_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
)

// TestPlatformPythonSDK reads an availability set's SKU, the region's
// fault domain limits and a VM's extensions from the emulator through
// azure.mgmt.compute, aligns the set and adds an extension with the SDK's
// own poller.
func TestPlatformPythonSDK(t *testing.T) {
	py := python(t)
	inv := cloudtest.Inventory()
	s, err := sim.Open(t.TempDir(), inv, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	for _, u := range []string{cloudtest.UnitVNet, cloudtest.UnitLegacy, cloudtest.UnitStorage} {
		tg := cloudtest.Target(u)
		if err := s.Prepare(ctx, tg); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	srv := emulator.New(s, s, emulator.Options{SubscriptionID: inv.SubscriptionID, ClientID: "app", ClientSecret: "s3cret-for-tests",
		Compute: s, DiskData: s, Platform: s})
	if _, err := srv.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "rm_platform.py"), cloudtest.ServiceWeb+"-Migrated", "web1", "web-as", "westus")
	cmd.Env = append(os.Environ(), "BASE_URI="+srv.URL(), "SUBSCRIPTION_ID="+inv.SubscriptionID,
		"TOKEN="+token(t, srv, emulator.ResourceManagerAudience+".default"), "REQUESTS_CA_BUNDLE="+ca)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rm_platform.py: %v\n%s", err, stderr.String())
	}
	golden(t, "rm_platform.golden.json", stdout.Bytes())
}
