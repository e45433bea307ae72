package azure_test

import (
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
)

func TestCanonicalCloud(t *testing.T) {
	for in, want := range map[string]string{
		"":                  azure.CloudAzurePublic,
		"AzureCloud":        azure.CloudAzurePublic,
		"azurepublic":       azure.CloudAzurePublic,
		"AzureChinaCloud":   azure.CloudAzureChina,
		"AzureUSGovernment": azure.CloudAzureUSGovernment,
		"azurestackhub":     azure.CloudAzureStackHub,
		"Custom":            azure.CloudCustom,
		"Mars":              "Mars",
	} {
		if got := azure.CanonicalCloud(in); got != want {
			t.Errorf("CanonicalCloud(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCustomCloudFromMetadata points a driver at the emulator with only its
// Resource Manager and Service Management endpoints: the authority and the
// audience come from the metadata document, as `az cloud register` reads
// them, and the driver then works.
func TestCustomCloudFromMetadata(t *testing.T) {
	e := newEnv(t, cloudtest.Inventory(), setup{})
	cfg := e.cfg
	cfg.AuthorityHost, cfg.Audience = "", ""
	d, err := azure.New(t.Context(), cfg, azure.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Cloud() != azure.CloudCustom {
		t.Errorf("Cloud() = %q", d.Cloud())
	}
	if _, err := d.Validate(t.Context(), cloudtest.Target(cloudtest.UnitNSG)); err != nil {
		t.Fatalf("Validate through metadata-filled endpoints: %v", err)
	}
}
