package armapi

import (
	"errors"
	"reflect"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		in   string
		want ID
		err  bool
	}{
		{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d1", ID{"s", "rg", TypeDisks, "d1"}, false},
		{"/SUBSCRIPTIONS/s/resourcegroups/rg/PROVIDERS/Microsoft.Network/networkInterfaces/n/", ID{"s", "rg", TypeNetworkIfaces, "n"}, false},
		{"/subscriptions/s/resourceGroups/rg", ID{}, true},
		{"/subscriptions/s/resourceGroups//providers/a/b/c", ID{}, true},
		{"", ID{}, true},
	}
	for _, tt := range tests {
		got, err := ParseID(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseID(%q) = %+v, %v; want %+v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !errors.Is(err, ErrBadID) {
			t.Errorf("ParseID(%q) error %v is not ErrBadID", tt.in, err)
		}
		if err == nil {
			if back, _ := ParseID(got.String()); back != got {
				t.Errorf("String/ParseID round trip of %q: %+v", tt.in, back)
			}
		}
	}
}

func TestParseBlobURL(t *testing.T) {
	tests := []struct {
		in   string
		want BlobRef
		err  bool
	}{
		{"https://Acct.blob.core.windows.net/vhds/a/b.vhd", BlobRef{"acct", "vhds", "a/b.vhd"}, false},
		{"https://acct.blob.core.windows.net/vhds/b.vhd?sv=1&sig=x", BlobRef{"acct", "vhds", "b.vhd"}, false},
		{"https://acct.blob.core.windows.net/vhds", BlobRef{}, true},
		{"https://localhost/vhds/b.vhd", BlobRef{}, true},
	}
	for _, tt := range tests {
		got, err := ParseBlobURL(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseBlobURL(%q) = %+v, %v; want %+v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestRoundTrips(t *testing.T) {
	vms := []cloud.VM{
		{ResourceGroup: "rg", Name: "v", Location: "westus", Size: "Standard_D1", AvailabilitySet: "as", NICs: []string{"n1", "n2"},
			OSType: "Windows", OSDisk: cloud.VMDisk{Name: "os", VHDURI: "https://a.blob.core.windows.net/vhds/os.vhd", SizeBytes: 127 << 30},
			DataDisks: []cloud.VMDisk{{Name: "d", LUN: 2, ManagedDisk: "v-d", SizeBytes: 1 << 30, Caching: "ReadOnly", WriteAccelerator: true}},
			Tags:      map[string]string{"env": "prod"}, LicenseType: "Windows_Server", BootDiagnostics: "https://diag.blob.core.windows.net/"},
		{ResourceGroup: "rg", Name: "bare", Location: "eastus", Size: "A0", NICs: []string{"n"}, OSType: "Linux",
			OSDisk: cloud.VMDisk{Name: "os", ManagedDisk: "bare-os"}},
	}
	for _, vm := range vms {
		m := VMFromCloud("s", vm)
		m.Properties.InstanceView = InstanceView(cloud.PowerRunning)
		got := VMToCloud(m)
		vm.PowerState = cloud.PowerRunning
		if !reflect.DeepEqual(got, vm) {
			t.Errorf("VM round trip\n got %+v\nwant %+v", got, vm)
		}
	}
	for _, d := range []cloud.ManagedDisk{
		{ResourceGroup: "rg", Name: "u", Location: "l", AccountType: "Premium_LRS", SizeBytes: 3 << 20, CreateOption: cloud.CreateUpload},
		{ResourceGroup: "rg", Name: "i", Location: "l", AccountType: "Standard_LRS", CreateOption: cloud.CreateImport,
			SourceURI: "https://a.blob.core.windows.net/vhds/os.vhd", OSType: "Linux"},
	} {
		m := DiskFromCloud("s", d, "/subscriptions/s/resourceGroups/a/providers/Microsoft.Storage/storageAccounts/a")
		if d.CreateOption == cloud.CreateUpload && *m.Properties.CreationData.UploadSizeBytes != d.SizeBytes+VHDFooterSize {
			t.Errorf("uploadSizeBytes %d, want size+512", *m.Properties.CreationData.UploadSizeBytes)
		}
		if got := DiskToCloud(m); !reflect.DeepEqual(got, d) {
			t.Errorf("disk round trip\n got %+v\nwant %+v", got, d)
		}
	}
	img := cloud.Image{ResourceGroup: "rg", Name: "g", Location: "l", OSType: "Linux", SourceURI: "https://a.blob.core.windows.net/i/g.vhd"}
	if got := ImageToCloud(ImageFromCloud("s", img)); got != img {
		t.Errorf("image round trip %+v, want %+v", got, img)
	}
}

// TestImportGivesDiskSize: Import sends diskSizeGB (Azure Stack Hub's
// procedure gives it), Upload never does.
func TestImportGivesDiskSize(t *testing.T) {
	imp := DiskFromCloud("s", cloud.ManagedDisk{Name: "i", CreateOption: cloud.CreateImport, SourceURI: "https://a.blob.core.windows.net/v/d.vhd", SizeBytes: 30<<30 + 1}, "acct")
	if imp.Properties.DiskSizeGB == nil || *imp.Properties.DiskSizeGB != 31 {
		t.Errorf("Import diskSizeGB = %v, want 31 (rounded up)", imp.Properties.DiskSizeGB)
	}
	up := DiskFromCloud("s", cloud.ManagedDisk{Name: "u", CreateOption: cloud.CreateUpload, SizeBytes: 1 << 30}, "")
	if up.Properties.DiskSizeGB != nil {
		t.Errorf("Upload sent diskSizeGB %d", *up.Properties.DiskSizeGB)
	}
}

func TestAvailabilitySetMapping(t *testing.T) {
	set := cloud.AvailabilitySet{ResourceGroup: "rg", Name: "as", Location: "westus", SKU: cloud.AvailabilitySetAligned,
		FaultDomains: 2, UpdateDomains: 5, VMs: []string{"a", "b"}}
	if got := AvailabilitySetToCloud(AvailabilitySetFromCloud("s", set)); !reflect.DeepEqual(got, set) {
		t.Errorf("round trip %+v, want %+v", got, set)
	}
	bare := AvailabilitySetFromCloud("s", cloud.AvailabilitySet{ResourceGroup: "rg", Name: "old"})
	if got := AvailabilitySetToCloud(bare); got.SKU != cloud.AvailabilitySetClassic {
		t.Errorf("a set without sku reads %q, want Classic", got.SKU)
	}
	skus := AvailabilitySetSKUs("West US", 3, 2)
	tests := []struct {
		sku, loc string
		want     int
	}{
		{cloud.AvailabilitySetAligned, "westus", 2},
		{cloud.AvailabilitySetClassic, "West US", 3},
		{cloud.AvailabilitySetAligned, "eastus", 0},
	}
	for _, tt := range tests {
		if got := MaxFaultDomains(skus, tt.sku, tt.loc); got != tt.want {
			t.Errorf("MaxFaultDomains(%s, %s) = %d, want %d", tt.sku, tt.loc, got, tt.want)
		}
	}
}

// TestExtensionsAndSecrets: a served VM's extensions (resources) and
// osProfile secrets are read; an extension's body carries public settings
// only.
func TestExtensionsAndSecrets(t *testing.T) {
	x := cloud.Extension{Name: "s", Publisher: "p", Type: "t", TypeHandlerVersion: "1.0", AutoUpgradeMinorVersion: true,
		Settings: []byte(`{"a":1}`)}
	m := VMFromCloud("s", cloud.VM{ResourceGroup: "rg", Name: "v", OSDisk: cloud.VMDisk{VHDURI: "https://a.blob.core.windows.net/v/os.vhd"}})
	if m.Properties.OSProfile != nil || m.Resources != nil {
		t.Fatal("VMFromCloud sent an osProfile or resources")
	}
	body := ExtensionFromCloud("West US", x)
	if body.Properties.ProtectedSettings != nil || *body.Location != "westus" {
		t.Errorf("extension body %+v", body)
	}
	served := body
	served.Properties.ProvisioningState = to.Ptr(cloud.ExtensionSucceeded)
	m.Resources = []*armcompute.VirtualMachineExtension{&served}
	m.Properties.OSProfile = Secrets(2)
	got := VMToCloud(m)
	x.ProvisioningState = cloud.ExtensionSucceeded
	if got.Secrets != 2 || len(got.Extensions) != 1 || !reflect.DeepEqual(got.Extensions[0], x) {
		t.Errorf("VMToCloud read secrets %d, extensions %+v; want 2 and %+v", got.Secrets, got.Extensions, x)
	}
}
