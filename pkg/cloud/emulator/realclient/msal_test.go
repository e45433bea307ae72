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

// TestMSALClientCredentials gets a token from the emulator's authority
// through MSAL for Python's client-credential flow with tenant discovery
// (the authority's openid-configuration, then its token endpoint); a wrong
// secret is refused with OAuth's invalid_client.
func TestMSALClientCredentials(t *testing.T) {
	py := python(t)
	if err := exec.Command(py, "-c", "import msal").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("msal is missing (apt-get install azure-cli): %v", err)
		}
		t.Skipf("msal is missing: %v", err)
	}
	inv := cloudtest.Inventory()
	s, err := sim.Open(t.TempDir(), inv, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	srv := emulator.New(s, s, emulator.Options{SubscriptionID: inv.SubscriptionID, TenantID: "contoso", ClientID: "app", ClientSecret: "s3cret-for-tests"})
	if _, err := srv.Start(t.Context(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), py, filepath.Join("testdata", "msal_client.py"))
	cmd.Env = append(os.Environ(), "AUTHORITY="+srv.URL()+"contoso", "CLIENT_ID=app", "CLIENT_SECRET=s3cret-for-tests",
		"SCOPE="+emulator.ServiceManagementAudience+"/.default", "REQUESTS_CA_BUNDLE="+ca)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("msal_client.py: %v\n%s", err, stderr.String())
	}
	golden(t, "msal.golden.json", stdout.Bytes())
}
