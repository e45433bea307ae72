package azure_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/disks/azuritetest"
)

// hubEnv serves the suite's estate as Azure Stack Hub does: Resource
// Manager VMs on unmanaged disks and no classic side. The simulator's
// units are committed directly (not through the driver, which has no
// classic calls there), so its VMs exist as Resource Manager VMs; the
// emulator's Hub mode then answers 404 to every Service Management path.
func hubEnv(t *testing.T, s setup) *env {
	t.Helper()
	az := azuritetest.Start(t)
	s.blobEndpoint = az.Endpoint
	s.emu.StackHub = true
	e := newEnv(t, diskInventory(), s)
	for _, u := range []string{cloudtest.UnitVNet, cloudtest.UnitLegacy, cloudtest.UnitStorage} {
		tg := cloudtest.Target(u)
		must(t, "validate", func() error { _, err := e.sim.Validate(t.Context(), tg); return err })
		must(t, "prepare", func() error { return e.sim.Prepare(t.Context(), tg) })
		must(t, "commit", func() error { return e.sim.Commit(t.Context(), tg) })
	}
	if e.driver.Cloud() != azure.CloudAzureStackHub {
		t.Fatalf("the emulator's Hub mode configured cloud %q", e.driver.Cloud())
	}
	return e
}

// noClassic checks err is the Hub's refusal of a classic call.
func noClassic(t *testing.T, what string, err error) {
	t.Helper()
	var oe *cloud.OperationError
	if !errors.As(err, &oe) || oe.Code != azure.CodeNoClassicModel || !strings.Contains(oe.Message, "no classic deployment model") {
		t.Errorf("%s on Azure Stack Hub = %v, want *cloud.OperationError %s", what, err, azure.CodeNoClassicModel)
	}
}

// TestStackHubSendsNoClassicCall: every Migrator and Discoverer call is
// refused with a typed error before anything is sent, and preflight
// checks Microsoft.Compute only.
func TestStackHubSendsNoClassicCall(t *testing.T) {
	e := newEnv(t, cloudtest.Inventory(), setup{emu: emulator.Options{StackHub: true,
		Providers: map[string]string{azure.ProviderClassicMigrate: "NotRegistered"}}})
	ctx := t.Context()
	tg := cloudtest.Target(cloudtest.UnitLegacy)
	_, err := e.driver.Validate(ctx, tg)
	noClassic(t, "Validate", err)
	noClassic(t, "Prepare", e.driver.Prepare(ctx, tg))
	noClassic(t, "Commit", e.driver.Commit(ctx, tg))
	noClassic(t, "Abort", e.driver.Abort(ctx, tg))
	_, err = e.driver.State(ctx, tg)
	noClassic(t, "State", err)
	_, err = e.driver.Discover(ctx)
	noClassic(t, "Discover", err)
	if e.driver.Platform() != nil {
		t.Error("Platform() is not nil on Azure Stack Hub")
	}
	err = e.driver.ConvertToManagedDisks(ctx, "rg", "vm")
	var oe *cloud.OperationError
	if !errors.As(err, &oe) || !strings.Contains(oe.Message, "Azure Stack Hub has no conversion") {
		t.Errorf("ConvertToManagedDisks on Azure Stack Hub = %v, want a refusal", err)
	}
	if err := e.driver.Preflight(ctx); err != nil {
		t.Errorf("Preflight on Azure Stack Hub checked the classic migration provider: %v", err)
	}
	for _, l := range strings.Split(e.log.String(), "\n") {
		if strings.HasPrefix(l, "emulator: ") && !strings.Contains(l, "/subscriptions/") && !strings.Contains(l, "/oauth2/") && !strings.Contains(l, "openid") {
			t.Errorf("a request went outside Resource Manager: %s", l)
		}
	}
}

// TestStackHubDiskAPI: the default disk API is the documented 2017-12-01,
// where Upload is refused before sending (and by the emulator if sent);
// a newer profile selected in the configuration uploads.
func TestStackHubDiskAPI(t *testing.T) {
	e := hubEnv(t, setup{})
	ctx := t.Context()
	vms, err := e.sim.ListVMs(ctx)
	if err != nil || len(vms) == 0 {
		t.Fatalf("no VMs: %v", err)
	}
	vm := vms[0]
	up := cloud.ManagedDisk{ResourceGroup: vm.ResourceGroup, Name: "up", Location: vm.Location, AccountType: "Premium_LRS",
		CreateOption: cloud.CreateUpload, SizeBytes: 4 << 20}
	err = e.driver.CreateDisk(ctx, up)
	var ve *azure.APIVersionError
	if !errors.As(err, &ve) || ve.Version != "2017-12-01" || ve.Need != "2019-03-01" || !strings.Contains(err.Error(), "2019-03-01") {
		t.Fatalf("Upload at the Hub's default disk API = %v, want *azure.APIVersionError naming 2017-12-01 and 2019-03-01", err)
	}
	if strings.Contains(e.log.String(), "PUT /subscriptions/"+e.cfg.SubscriptionID+"/resourceGroups/"+vm.ResourceGroup+"/providers/Microsoft.Compute/disks/up") {
		t.Error("the refused Upload was sent")
	}
	// Import works at the default profile, and the VM's resources read.
	imp := cloud.ManagedDisk{ResourceGroup: vm.ResourceGroup, Name: "imp", Location: vm.Location, AccountType: "Standard_LRS",
		CreateOption: cloud.CreateImport, SourceURI: vm.OSDisk.VHDURI, SizeBytes: vm.OSDisk.SizeBytes, OSType: vm.OSType}
	must(t, "import", func() error { return e.driver.CreateDisk(ctx, imp) })
	must(t, "list vms", func() error { _, err := e.driver.ListVMs(ctx); return err })

	newer := hubEnv(t, setup{api: azure.APIVersions{Disks: "2019-07-01"}})
	must(t, "upload at 2019-07-01", func() error { return newer.driver.CreateDisk(ctx, up) })
}
