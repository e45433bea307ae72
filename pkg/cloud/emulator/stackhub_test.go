package emulator_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
)

// armDo sends one Resource Manager request with a bearer token and
// returns the status and the error code of the answer.
func armDo(t *testing.T, srv *emulator.Server, c *http.Client, bearer, method, path, body string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", bearer)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(smapi.HeaderVersion, smapi.Version)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error.Code, e.Error.Message
}

// TestStackHubRefusals: the Hub mode refuses what Azure Stack Hub refuses,
// before anything is created.
func TestStackHubRefusals(t *testing.T) {
	srv, c := startWith(t, func(o *emulator.Options, s *sim.Sim) { o.StackHub, o.Compute, o.DiskData = true, s, s })
	_, tok := token(t, srv, c, "s3cret-for-tests")
	bearer := "Bearer " + tok["access_token"].(string)
	sub := cloudtest.Inventory().SubscriptionID
	disk := "subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/disks/d?api-version="
	upload := func(gib int64, sku string) string {
		return `{"location":"local","sku":{"name":"` + sku + `"},"properties":{"creationData":{"createOption":"Upload","uploadSizeBytes":` +
			jsonInt(gib<<30+512) + `}}}`
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		code, says               string
	}{
		{"service management", "GET", sub + "/services/hostedservices", "", 404, "NotFound", "no classic deployment model"},
		{"upload before 2019-03-01", "PUT", disk + "2017-12-01", upload(1, "Premium_LRS"), 400, "InvalidParameter", "2019-03-01"},
		{"api version not served", "PUT", disk + "2024-03-02", upload(1, "Premium_LRS"), 400, "NoRegisteredProviderFound", "2017-12-01"},
		{"standard ssd", "PUT", disk + "2019-07-01", upload(1, "StandardSSD_LRS"), 400, "InvalidParameter", "StandardSSD_LRS"},
		{"over 1023 GiB", "PUT", disk + "2019-07-01", upload(1024, "Premium_LRS"), 400, "InvalidParameter", "1023"},
		{"convert to managed disks", "POST", "subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/convertToManagedDisks?api-version=2017-12-01", "",
			400, "NoRegisteredProviderFound", "virtualMachines/convertToManagedDisks"},
		{"import over 1023 GiB", "PUT", disk + "2017-12-01",
			`{"location":"local","sku":{"name":"Standard_LRS"},"properties":{"diskSizeGB":2048,"creationData":{"createOption":"Import","sourceUri":"https://a.blob.local/v/d.vhd","storageAccountId":"/subscriptions/s/resourceGroups/a/providers/Microsoft.Storage/storageAccounts/a"}}}`,
			400, "InvalidParameter", "1023"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code, msg := armDo(t, srv, c, bearer, tt.method, tt.path, tt.body)
			if status != tt.status || code != tt.code || !strings.Contains(msg, tt.says) {
				t.Errorf("%d %s %q, want %d %s saying %q", status, code, msg, tt.status, tt.code, tt.says)
			}
		})
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestStackHubWriteConfig: the Hub mode's configuration names the cloud
// and no Service Management endpoint.
func TestStackHubWriteConfig(t *testing.T) {
	srv, _ := startWith(t, func(o *emulator.Options, _ *sim.Sim) { o.StackHub = true })
	path := filepath.Join(t.TempDir(), "hub.yaml")
	if err := srv.WriteConfig(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c emulator.Config
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.Azure.Cloud != "AzureStackHub" || c.Azure.ServiceManagementEndpoint != "" || c.Azure.ResourceManagerEndpoint != srv.URL() {
		t.Errorf("Hub config %+v", c.Azure)
	}
}

// TestImportFromClassicStorage: Import from a storage account that has
// not migrated is refused as Azure refuses an account the Storage Resource
// Provider does not know.
func TestImportFromClassicStorage(t *testing.T) {
	srv, c := startWith(t, func(o *emulator.Options, s *sim.Sim) { o.Compute, o.DiskData = s, s })
	_, tok := token(t, srv, c, "s3cret-for-tests")
	bearer := "Bearer " + tok["access_token"].(string)
	sub := cloudtest.Inventory().SubscriptionID
	vhd := cloudtest.Inventory().StorageAccounts[0].Disks[0].VHDURI
	body := `{"location":"westus","sku":{"name":"Standard_LRS"},"properties":{"creationData":{"createOption":"Import","sourceUri":"` + vhd +
		`","storageAccountId":"/subscriptions/` + sub + `/resourceGroups/x/providers/Microsoft.Storage/storageAccounts/` + cloudtest.Storage + `"}}}`
	status, code, msg := armDo(t, srv, c, bearer, "PUT", "subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.Compute/disks/d?api-version=2024-03-02", body)
	if status != http.StatusBadRequest || code != "InternalOperationError" || !strings.Contains(msg, "Could not resolve storage account "+cloudtest.Storage) {
		t.Errorf("Import from a classic account: %d %s %q", status, code, msg)
	}
}
