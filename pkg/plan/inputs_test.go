package plan

import (
	"errors"
	"strings"
	"testing"
)

func TestBuildRefusesWhatThePlatformCannotDo(t *testing.T) {
	cases := []struct {
		name string
		edit func(*testing.T) error
		path string
		msg  string
	}{
		{name: "suffix", path: "target.resourceGroupSuffix", msg: `does not let anyone choose; remove the field (got "-rg")`,
			edit: func(t *testing.T) error {
				inv := sampleInventory()
				inv.Target.ResourceGroupSuffix = "-rg"
				_, err := Build(inv)
				return err
			}},
		{name: "blobs only with attached disks", path: "storageAccounts[0].blobsOnly", msg: "web1-os (attached to cloudservice/contoso-web/web1)",
			edit: func(t *testing.T) error {
				inv := sampleInventory()
				inv.StorageAccounts[0].BlobsOnly = true
				_, err := Build(inv)
				return err
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.edit(t)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Build: %v, want an *InputError", err)
			}
			if len(ie.Problems) != 1 || ie.Problems[0].Path != tc.path || !strings.Contains(ie.Problems[0].Message, tc.msg) {
				t.Errorf("problems %+v, want one at %s containing %q", ie.Problems, tc.path, tc.msg)
			}
		})
	}
	// The calm twins: the default suffix and a blobs-only account no VM uses.
	inv := sampleInventory()
	inv.Target.ResourceGroupSuffix = ""
	if _, err := Build(inv); err != nil {
		t.Errorf("empty suffix (Load's default): %v", err)
	}
}

// TestDestinationIntoMigratedVNet: a not-in-VNet cloud service whose
// destination is a classic VNet's migrated form (<vnet>-Migrated, VNet name
// kept) waits for that VNet's unit; one naming the VNet <vnet>-Migrated (the
// old guess) does not match any classic VNet.
func TestDestinationIntoMigratedVNet(t *testing.T) {
	p, err := Build(sampleInventory())
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Unit("cloudservice/legacy-svc").DependsOn; !contains(got, "vnet/contoso-vnet") {
		t.Errorf("legacy-svc depends on %v, want vnet/contoso-vnet among them", got)
	}
	inv := sampleInventory()
	inv.CloudServices[2].Deployment.Destination.VirtualNetwork = "contoso-vnet-Migrated"
	p, err = Build(inv)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Unit("cloudservice/legacy-svc").DependsOn; contains(got, "vnet/contoso-vnet") {
		t.Errorf("legacy-svc depends on %v with a destination VNet that does not exist", got)
	}
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
