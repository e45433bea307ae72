package azure_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
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
	want := []string{inventory.PlatformApiManagement, inventory.PlatformAppServiceEnvironment,
		inventory.PlatformAzureADDomainServices, inventory.PlatformHDInsight}
	for _, tc := range []struct {
		name      string
		api       azure.APIVersions
		providers map[string]string
		want      []string
	}{
		{"defaults", azure.APIVersions{}, nil, want},
		{"replica sets", azure.APIVersions{DomainServices: "2021-05-01", APIManagement: "2022-08-01"}, nil, want},
		// A subscription not registered for a provider holds none of its
		// resources: Resource Manager's refusal is an empty list.
		{"unregistered", azure.APIVersions{}, map[string]string{"Microsoft.HDInsight": "NotRegistered"},
			slices.DeleteFunc(slices.Clone(want), func(s string) bool { return s == inventory.PlatformHDInsight })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, seed, setup{api: tc.api, emu: emulator.Options{Providers: tc.providers}})
			got, err := e.driver.Discover(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(got.VirtualNetworks) != len(seed.VirtualNetworks) {
				t.Fatalf("discovered %d VNets; want %d", len(got.VirtualNetworks), len(seed.VirtualNetworks))
			}
			for _, vn := range got.VirtualNetworks {
				var w []string
				if vn.Name == "every-vnet" {
					w = tc.want
				}
				if !slices.Equal(vn.PlatformServices, w) {
					t.Errorf("%s platformServices = %q; want %q", vn.Name, vn.PlatformServices, w)
				}
			}
		})
	}
}
