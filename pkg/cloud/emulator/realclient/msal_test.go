package realclient_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
)

// TestMSALClientCredentials gets a token from the emulator's authority
// through MSAL for Python's client-credential flow with tenant discovery
// (the authority's openid-configuration, then its token endpoint); a wrong
// secret is refused with OAuth's invalid_client.
func TestMSALClientCredentials(t *testing.T) {
	py := python(t)
	pythonModule(t, py, "msal")
	sv := serve(t, cloudtest.Inventory(), serveOptions{tenant: "contoso"})
	cmd := exec.CommandContext(t.Context(), py, filepath.Join("testdata", "msal_client.py"))
	cmd.Env = append(os.Environ(), "AUTHORITY="+sv.url+"contoso", "CLIENT_ID="+clientID, "CLIENT_SECRET="+clientSecret,
		"SCOPE="+emulator.ServiceManagementAudience+"/.default", "REQUESTS_CA_BUNDLE="+sv.caFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("msal_client.py: %v\n%s", err, stderr.String())
	}
	golden(t, "msal.golden.json", stdout.Bytes())
}
