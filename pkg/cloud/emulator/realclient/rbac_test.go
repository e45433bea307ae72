package realclient_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// TestRoleAssignmentsPythonSDK serves the classic estate of every-rule.json
// (unmigrated, no Azurite: the reads are Resource Manager's alone) and
// reads the role assignments on its classic resources the way discover
// does, through azure.mgmt.authorization: the subscription's assignment
// list, page after page, then each role definition by id for its roleName.
func TestRoleAssignmentsPythonSDK(t *testing.T) {
	py := python(t)
	pythonModule(t, py, "azure.mgmt.authorization")
	inv, err := inventory.Load(filepath.Join("..", "..", "..", "..", "testdata", "estates", "every-rule.json"))
	if err != nil {
		t.Fatal(err)
	}
	inv.Target.Cloud = inventory.CloudAzurePublic // the classic side lives in Azure
	sv := serve(t, inv, serveOptions{})
	cmd := exec.CommandContext(t.Context(), py, filepath.Join("testdata", "rm_rbac.py"))
	cmd.Env = append(os.Environ(), "BASE_URI="+sv.url, "SUBSCRIPTION_ID="+inv.SubscriptionID,
		"TOKEN="+token(t, sv, emulator.ResourceManagerAudience+".default"), "REQUESTS_CA_BUNDLE="+sv.caFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rm_rbac.py: %v\n%s", err, stderr.String())
	}
	golden(t, "rm_rbac.golden.json", stdout.Bytes())
}
