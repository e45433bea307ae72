package azure_test

import (
	"bytes"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/disks/azuritetest"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/validate"
)

// operatorRules are the rules that read only inputs no Azure API reports
// (docs/spec/rules.md, "Discovery"): an inventory from discover cannot
// fire them until the operator adds those inputs.
var operatorRules = map[string]bool{
	"dynamics-lcs": true, "destination-vnet": true,
}

// findingKeys are the findings of inv's rules that discovery can feed, as
// comparable strings.
func findingKeys(t *testing.T, inv *inventory.Inventory) []string {
	t.Helper()
	p, err := plan.Build(inv)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range validate.Check(inv, p) {
		if !operatorRules[f.Rule] {
			out = append(out, f.Rule+" "+string(f.Severity)+" "+f.Unit+" "+f.Resource)
		}
	}
	sort.Strings(out)
	return out
}

// TestDiscoverFindingsRoundTrip seeds the estate that fires every rule,
// serves it from the emulator, discovers it through the driver and checks
// the discovered inventory loads and yields the same findings for every
// rule whose inputs discovery fills: gateways with their connections'
// states and local sites' address spaces, ExpressRoute circuits (owned or
// another subscription's), application gateways, subnets' route tables,
// boot diagnostics, the VM agent's and extensions' statuses, affinity
// groups, and the disks' blob sizes read from the Blob service (Azurite)
// with the classic accounts' keys.
func TestDiscoverFindingsRoundTrip(t *testing.T) {
	seed, err := inventory.Load(filepath.Join("..", "..", "..", "testdata", "estates", "every-rule.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The classic estate lives in Azure; the Stack Hub target (the seed's,
	// for the stack-* rules) is the operator's choice of destination, so
	// it is seeded as Azure and set again on what discovery returns.
	seed.Target.Cloud = inventory.CloudAzurePublic
	e := newEnv(t, seed, setup{blobEndpoint: azuritetest.Start(t).Endpoint})
	got, err := e.driver.Discover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := cloud.ReadBlobSizes(t.Context(), e.driver, got); err != nil {
		t.Fatal(err)
	}
	for _, sa := range got.StorageAccounts {
		for _, d := range sa.Disks {
			if d.BlobSizeBytes == 0 {
				t.Errorf("disk %s: no blob size discovered", d.Name)
			}
		}
	}
	if k := emulator.DevAccountKey[:24]; strings.Contains(e.log.String(), k) {
		t.Errorf("the driver's call log holds the storage key:\n%s", e.log)
	}
	// What an operator gets: the file discover writes, loaded back.
	var buf bytes.Buffer
	if err := inventory.Write(&buf, got, "json"); err != nil {
		t.Fatal(err)
	}
	loaded, err := inventory.Parse("discovered.json", buf.Bytes())
	if err != nil {
		t.Fatalf("the discovered inventory does not load: %v\n%s", err, buf.String())
	}
	want, err := inventory.Load(filepath.Join("..", "..", "..", "testdata", "estates", "every-rule.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The destination cloud is the operator's choice; the quotas are what
	// discovery read.
	loaded.Target.Cloud = want.Target.Cloud
	w, g := findingKeys(t, want), findingKeys(t, loaded)
	if len(w) == 0 {
		t.Fatal("the seed fires no rule")
	}
	missing, extra := diff(w, g), diff(g, w)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("findings differ after discovery\nmissing: %q\nextra:   %q", missing, extra)
	}
}

// diff is what a has that b has not.
func diff(a, b []string) []string {
	in := map[string]int{}
	for _, x := range b {
		in[x]++
	}
	var out []string
	for _, x := range a {
		if in[x] > 0 {
			in[x]--
			continue
		}
		out = append(out, x)
	}
	return out
}

// TestBlobSizesAfterCommit reads blob sizes of VHDs whose storage account
// has moved to Resource Manager: Service Management no longer knows the
// account (404 on Get Storage Keys), and the key comes from listKeys.
func TestBlobSizesAfterCommit(t *testing.T) {
	e := diskEnv(t, setup{})
	inv := diskInventory()
	var uris []string
	want := map[string]int64{}
	for _, d := range inv.StorageAccounts[0].Disks {
		uris = append(uris, d.VHDURI)
		want[d.VHDURI] = d.SizeGiB<<30 + 512
	}
	missing := "https://" + inv.StorageAccounts[0].Name + ".blob.core.windows.net/vhds/never-written.vhd"
	got, err := e.driver.BlobSizes(t.Context(), append(uris, missing))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("blob sizes %v, want %v (a missing blob is left out)", got, want)
	}
	if !strings.Contains(e.log.String(), "listKeys") {
		t.Errorf("no listKeys call after Get Storage Keys answered 404:\n%s", e.log)
	}
}
