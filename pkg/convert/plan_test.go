package convert_test

import (
	"errors"
	"testing"

	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

func TestTier(t *testing.T) {
	for _, tc := range []struct {
		cloud, account string
		gib            int64
		want           string
		err            bool
	}{
		{inventory.CloudAzurePublic, convert.AccountPremium, 30, "P4", false},
		{inventory.CloudAzurePublic, convert.AccountPremium, 1023, "P30", false},
		{inventory.CloudAzurePublic, convert.AccountPremium, 4, "P1", false},
		{inventory.CloudAzurePublic, convert.AccountStandardSSD, 128, "E10", false},
		{inventory.CloudAzurePublic, convert.AccountStandard, 127, "S10", false},
		{inventory.CloudAzurePublic, convert.AccountStandard, 1, "S4", false},
		{inventory.CloudAzurePublic, convert.AccountStandard, 32767, "S80", false},
		{inventory.CloudAzurePublic, convert.AccountPremium, 32768, "", true},
		{inventory.CloudAzureStackHub, convert.AccountPremium, 30, "M4", false},
		{inventory.CloudAzureStackHub, convert.AccountStandard, 1024, "M30", false},
		{inventory.CloudAzureStackHub, convert.AccountStandard, 2048, "", true},
	} {
		got, err := convert.Tier(tc.cloud, tc.account, tc.gib<<30)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("Tier(%s, %s, %d GiB) = %q, %v; want %q, error %v", tc.cloud, tc.account, tc.gib, got, err, tc.want, tc.err)
		}
	}
}

func TestBuild(t *testing.T) {
	inv := loadEstate(t, "small.json")
	for _, tc := range []struct {
		name     string
		o        convert.PlanOptions
		edit     func(*inventory.Inventory)
		problems int
		check    func(t *testing.T, p *convert.Plan)
	}{
		{name: "azure import", check: func(t *testing.T, p *convert.Plan) {
			if p.Summary.VMs != 4 || p.Summary.Disks != 5 || p.Summary.ByMovement[convert.MoveImport].Disks != 5 {
				t.Errorf("summary %+v", p.Summary)
			}
			app := p.Lookup("cloudservice/small-app/app1")
			if app == nil || app.ID != "vm/small-app-Migrated/app1" || app.OSDisk.AccountType != convert.AccountPremium ||
				app.OSDisk.Tier != "P4" || app.DataDisks[0].Tier != "P10" || app.DataDisks[0].LUN != 0 || app.OSDisk.LUN != -1 {
				t.Errorf("app1: %+v", app)
			}
			web := p.Lookup("vm/small-web-Migrated/web1")
			if web.OSDisk.AccountType != convert.AccountStandard || web.OSDisk.Tier != "S10" || web.AvailabilitySet != "web-as" || web.DowntimeSeconds <= 210 {
				t.Errorf("web1: %+v", web)
			}
		}},
		{name: "rate cap streams", o: convert.PlanOptions{MaxBandwidth: 1e6}, check: func(t *testing.T, p *convert.Plan) {
			if p.Summary.ByMovement[convert.MoveUpload].Disks != 5 || p.VMs[0].OSDisk.MaxBandwidth != 1e6 {
				t.Errorf("summary %+v, disk %+v", p.Summary, p.VMs[0].OSDisk)
			}
		}},
		{name: "staging", o: convert.PlanOptions{Staging: true}, check: func(t *testing.T, p *convert.Plan) {
			if !p.Staged || !p.VMs[0].OSDisk.Staged || p.VMs[0].OSDisk.Movement != convert.MoveUpload {
				t.Errorf("disk %+v", p.VMs[0].OSDisk)
			}
		}},
		{name: "hub premium caps", o: convert.PlanOptions{Cloud: inventory.CloudAzureStackHub, Stream: true}, check: func(t *testing.T, p *convert.Plan) {
			app := p.Lookup("vm/small-app-Migrated/app1")
			if app.OSDisk.Tier != "M4" || app.OSDisk.MaxIOPS != convert.HubPremiumIOPS || app.OSDisk.MaxBandwidth != convert.HubPremiumBandwidth {
				t.Errorf("app1 os: %+v", app.OSDisk)
			}
			if web := p.Lookup("vm/small-web-Migrated/web1"); web.OSDisk.MaxIOPS != 0 || web.OSDisk.Tier != "M10" {
				t.Errorf("web1 os: %+v", web.OSDisk)
			}
		}},
		{name: "hub has no standard ssd", o: convert.PlanOptions{Cloud: inventory.CloudAzureStackHub, AccountType: convert.AccountStandardSSD}, problems: 1},
		{name: "hub 2 TiB", o: convert.PlanOptions{Cloud: inventory.CloudAzureStackHub}, edit: func(inv *inventory.Inventory) {
			inv.StorageAccounts[1].Disks[1].SizeGiB, inv.StorageAccounts[1].Disks[1].BlobSizeBytes = 2048, 0
			inv.StorageAccounts[0].Disks[0].SizeGiB, inv.StorageAccounts[0].Disks[0].BlobSizeBytes = 4096, 0
		}, problems: 2},
		{name: "not whole MiB", edit: func(inv *inventory.Inventory) {
			inv.StorageAccounts[0].Disks[0].BlobSizeBytes = 127<<30 + 4096 + 512
		}, problems: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := loadEstate(t, "small.json")
			if tc.edit != nil {
				tc.edit(in)
			}
			_ = inv
			p, err := convert.Build(in, tc.o)
			var pe *convert.PlanError
			switch {
			case tc.problems == 0 && err != nil:
				t.Fatal(err)
			case tc.problems > 0 && (!errors.As(err, &pe) || len(pe.Problems) != tc.problems):
				t.Fatalf("Build: %v, want %d problems", err, tc.problems)
			}
			if p == nil {
				t.Fatal("no plan returned")
			}
			if tc.check != nil {
				tc.check(t, p)
			}
		})
	}
}
