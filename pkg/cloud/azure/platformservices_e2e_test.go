package azure_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// TestDiscoverPlatformServices discovers the estate that fires every rule
// at the default API versions and at newer ones an operator may set (an
// Azure AD Domain Services version that reports its network per replica
// set), and checks each VNet gets the platform services Resource Manager
// lists in it, sorted, and no Dynamics Lifecycle Services, which no Azure
// API reports.
func TestDiscoverPlatformServices(t *testing.T) {
	seed, err := inventory.Load(filepath.Join("..", "..", "..", "testdata", "estates", "every-rule.json"))
	if err != nil {
		t.Fatal(err)
	}
	seed.Target.Cloud = inventory.CloudAzurePublic
	want := map[string][]string{
		"every-vnet": {inventory.PlatformApiManagement, inventory.PlatformAppServiceEnvironment,
			inventory.PlatformAzureADDomainServices, inventory.PlatformHDInsight},
	}
	for _, tc := range []struct {
		name string
		api  azure.APIVersions
	}{
		{"defaults", azure.APIVersions{}},
		{"replica sets", azure.APIVersions{DomainServices: "2021-05-01", APIManagement: "2022-08-01"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, seed, setup{api: tc.api})
			got, err := e.driver.Discover(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(got.VirtualNetworks) != len(seed.VirtualNetworks) {
				t.Fatalf("discovered %d VNets; want %d", len(got.VirtualNetworks), len(seed.VirtualNetworks))
			}
			for _, vn := range got.VirtualNetworks {
				if w := want[vn.Name]; !slices.Equal(vn.PlatformServices, w) {
					t.Errorf("%s platformServices = %q; want %q", vn.Name, vn.PlatformServices, w)
				}
			}
		})
	}
}
