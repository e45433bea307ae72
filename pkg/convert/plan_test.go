package convert_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
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
	hub := inventory.CloudAzureStackHub
	for _, tc := range []struct {
		name     string
		o        convert.PlanOptions
		edit     func(*inventory.Inventory)
		problems int
		check    func(t *testing.T, p *convert.Plan)
	}{
		{name: "azure platform by default", check: func(t *testing.T, p *convert.Plan) {
			if p.Summary.VMs != 4 || p.Summary.Disks != 5 || p.Summary.ByMovement[convert.MovePlatform].Disks != 5 {
				t.Errorf("summary %+v", p.Summary)
			}
			app := p.Lookup("cloudservice/small-app/app1")
			if app == nil || app.ID != "vm/small-app-Migrated/app1" || app.OSDisk.AccountType != convert.AccountPremium ||
				app.OSDisk.Tier != "P4" || app.DataDisks[0].Tier != "P10" || app.DataDisks[0].LUN != 0 || app.OSDisk.LUN != -1 {
				t.Errorf("app1: %+v", app)
			}
			if app.Method != convert.MethodPlatform || app.MethodReason == "" || app.OSDisk.MaxBandwidth != 0 {
				t.Errorf("app1 method %q (%q), disk %+v", app.Method, app.MethodReason, app.OSDisk)
			}
			// In a VNet the VM waits for its VNet's unit and for the
			// storage accounts of its disks, each once.
			if got := strings.Join(app.Units, " "); got != "vnet/small-vnet storage/smallprem" {
				t.Errorf("app1 units %q", got)
			}
			if got := strings.Join(p.Lookup("vm/small-legacy-Migrated/legacy1").Units, " "); got != "cloudservice/small-legacy storage/smallstd" {
				t.Errorf("legacy1 units %q", got)
			}
			web := p.Lookup("vm/small-web-Migrated/web1")
			if web.OSDisk.AccountType != convert.AccountStandard || web.OSDisk.Tier != "S10" || web.AvailabilitySet != "web-as" || web.DowntimeSeconds <= 0 {
				t.Errorf("web1: %+v", web)
			}
		}},
		{name: "azure cutover asked for", o: convert.PlanOptions{Method: convert.MethodCutover}, check: func(t *testing.T, p *convert.Plan) {
			if p.Summary.ByMovement[convert.MoveImport].Disks != 5 || p.VMs[0].Method != convert.MethodCutover {
				t.Errorf("summary %+v, vm %+v", p.Summary, p.VMs[0])
			}
		}},
		{name: "azure precopy asked for", o: convert.PlanOptions{Method: convert.MethodPrecopy}, check: func(t *testing.T, p *convert.Plan) {
			if p.Summary.ByMovement[convert.MoveUpload].Disks != 5 || p.VMs[0].Method != convert.MethodPrecopy {
				t.Errorf("summary %+v, vm %+v", p.Summary, p.VMs[0])
			}
		}},
		{name: "rate cap streams", o: convert.PlanOptions{MaxBandwidth: 1e6}, check: func(t *testing.T, p *convert.Plan) {
			if p.Summary.ByMovement[convert.MoveUpload].Disks != 5 || p.VMs[0].OSDisk.MaxBandwidth != 1e6 || p.VMs[0].Method != convert.MethodCutover {
				t.Errorf("summary %+v, vm %+v", p.Summary, p.VMs[0])
			}
		}},
		{name: "staging", o: convert.PlanOptions{Staging: true}, check: func(t *testing.T, p *convert.Plan) {
			if !p.Staged || !p.VMs[0].OSDisk.Staged || p.VMs[0].OSDisk.Movement != convert.MoveUpload || p.VMs[0].Method != convert.MethodCutover {
				t.Errorf("disk %+v", p.VMs[0].OSDisk)
			}
		}},
		{name: "hub default profile imports at cut-over", o: convert.PlanOptions{Cloud: hub}, check: func(t *testing.T, p *convert.Plan) {
			app := p.Lookup("vm/small-app/app1")
			if app == nil || app.Method != convert.MethodCutover || len(app.Units) != 0 || app.OSDisk.Movement != convert.MoveImport {
				t.Fatalf("app1: %+v", app)
			}
			// Caps apply to streamed copies only, never to an Import.
			if app.OSDisk.MaxBandwidth != 0 || app.OSDisk.MaxIOPS != 0 || app.OSDisk.Tier != "M4" {
				t.Errorf("app1 os: %+v", app.OSDisk)
			}
			if !strings.Contains(app.MethodReason, convert.HubPrecopyDiskAPIVersion) || !strings.Contains(app.MethodReason, convert.HubDefaultDiskAPIVersion) {
				t.Errorf("reason %q does not say why nor how to get precopy", app.MethodReason)
			}
		}},
		{name: "hub newer profile pre-copies with premium caps", o: convert.PlanOptions{Cloud: hub, DiskAPIVersion: convert.HubPrecopyDiskAPIVersion}, check: func(t *testing.T, p *convert.Plan) {
			app := p.Lookup("vm/small-app/app1")
			if app.Method != convert.MethodPrecopy || app.OSDisk.Movement != convert.MoveUpload {
				t.Errorf("app1: %+v", app)
			}
			if app.OSDisk.Tier != "M4" || app.OSDisk.MaxIOPS != convert.HubPremiumIOPS || app.OSDisk.MaxBandwidth != convert.HubPremiumBandwidth {
				t.Errorf("app1 os: %+v", app.OSDisk)
			}
			if web := p.Lookup("vm/small-web/web1"); web.OSDisk.MaxIOPS != 0 || web.OSDisk.Tier != "M10" {
				t.Errorf("web1 os: %+v", web.OSDisk)
			}
		}},
		{name: "hub stream on the default profile", o: convert.PlanOptions{Cloud: hub, Stream: true}, problems: 1},
		{name: "hub platform", o: convert.PlanOptions{Cloud: hub, Method: convert.MethodPlatform}, problems: 1},
		{name: "hub precopy without upload", o: convert.PlanOptions{Cloud: hub, Method: convert.MethodPrecopy}, problems: 1},
		{name: "hub unknown disk api", o: convert.PlanOptions{Cloud: hub, DiskAPIVersion: "2018-06-01"}, problems: 1},
		{name: "disk api not a date", o: convert.PlanOptions{DiskAPIVersion: "latest"}, problems: 1},
		{name: "unknown method", o: convert.PlanOptions{Method: "teleport"}, problems: 1},
		{name: "platform with a rate cap", o: convert.PlanOptions{Method: convert.MethodPlatform, MaxIOPS: 500}, problems: 1},
		{name: "precopy with staging", o: convert.PlanOptions{Method: convert.MethodPrecopy, Staging: true}, problems: 1},
		{name: "hub has no standard ssd", o: convert.PlanOptions{Cloud: hub, AccountType: convert.AccountStandardSSD}, problems: 1},
		{name: "hub 2 TiB", o: convert.PlanOptions{Cloud: hub}, edit: func(inv *inventory.Inventory) {
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

func TestBuildFromVMs(t *testing.T) {
	vhd := func(name string, lun int, gib int64) cloud.VMDisk {
		return cloud.VMDisk{Name: name, LUN: lun, VHDURI: "https://hubvhds.blob.local.azurestack.external/vhds/" + name + ".vhd", SizeBytes: gib << 30}
	}
	vms := []cloud.VM{
		{ResourceGroup: "web", Name: "web2", Size: "Standard_D2", AvailabilitySet: "web-as", OSType: "Linux", OSDisk: vhd("web2-os", 0, 30),
			Extensions: []cloud.Extension{{Name: "CustomScript", HasProtectedSettings: true, ProvisioningState: cloud.ExtensionSucceeded},
				{Name: "Monitor", ProvisioningState: cloud.ExtensionSucceeded}}, Secrets: 1},
		{ResourceGroup: "web", Name: "web1", Size: "Standard_D2", AvailabilitySet: "web-as", OSType: "Linux", OSDisk: vhd("web1-os", 0, 30),
			DataDisks: []cloud.VMDisk{vhd("web1-data", 2, 128)}},
		{ResourceGroup: "done", Name: "managed1", OSDisk: cloud.VMDisk{Name: "m-os", ManagedDisk: "m-os", SizeBytes: 30 << 30}},
		{ResourceGroup: "mixed", Name: "mixed1", OSDisk: vhd("mixed-os", 0, 30),
			DataDisks: []cloud.VMDisk{{Name: "m-data", LUN: 0, ManagedDisk: "m-data", SizeBytes: 30 << 30}}},
	}
	o := convert.PlanOptions{DiskAPIVersion: convert.HubPrecopyDiskAPIVersion, AccountTypes: map[string]string{"HubVHDs": convert.AccountPremium}}
	p, err := convert.BuildFromVMs(inventory.CloudAzureStackHub, vms, o)
	var pe *convert.PlanError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems[0].VM != "vm/mixed/mixed1" {
		t.Fatalf("BuildFromVMs: %v, want one problem for the mixed VM", err)
	}
	var ids []string
	for _, v := range p.VMs {
		ids = append(ids, v.ID)
	}
	// Sorted, the managed VM left out.
	if got := strings.Join(ids, " "); got != "vm/mixed/mixed1 vm/web/web1 vm/web/web2" {
		t.Fatalf("VMs %s", got)
	}
	web1, web2 := p.Lookup("vm/web/web1"), p.Lookup("vm/web/web2")
	if web1.Method != convert.MethodPrecopy || len(web1.Units) != 0 || web1.OSDisk.Account != "hubvhds" || web1.OSDisk.AccountType != convert.AccountPremium ||
		web1.OSDisk.OS != "Linux" || web1.OSDisk.LUN != -1 || web1.DataDisks[0].LUN != 2 || web1.DataDisks[0].Tier != "M10" || web1.DataDisks[0].OS != "" {
		t.Errorf("web1: %+v", web1)
	}
	if len(web1.Dropped) != 0 || len(web2.Dropped) != 2 || !strings.Contains(web2.Dropped[0], "CustomScript") || !strings.Contains(web2.Dropped[1], "secrets") {
		t.Errorf("dropped: web1 %q, web2 %q", web1.Dropped, web2.Dropped)
	}
}

func TestEstimate(t *testing.T) {
	inv := loadEstate(t, "contoso.json")
	build := func(t *testing.T, o convert.PlanOptions) *convert.Plan {
		t.Helper()
		p, err := convert.Build(inv, o)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Issue 10: on the sample estate every VM is down at most 15 minutes
	// with the platform's conversion and with the pre-copy.
	for _, method := range []string{"", convert.MethodPrecopy} {
		p := build(t, convert.PlanOptions{Method: method})
		for _, v := range p.VMs {
			if v.Downtime > 15*time.Minute || v.Downtime < time.Minute {
				t.Errorf("method %q: %s down %s", v.Method, v.ID, v.Downtime)
			}
		}
	}
	pre := build(t, convert.PlanOptions{Method: convert.MethodPrecopy}).Lookup("cloudservice/contoso-sql/sql1")
	if pre.CatchUpPasses == 0 || time.Duration(pre.PrecopySeconds)*time.Second < 5*time.Hour {
		t.Errorf("sql1 pre-copy: %d catch-up passes, %ds running before the cut-over", pre.CatchUpPasses, pre.PrecopySeconds)
	}
	// A busier VM leaves more to copy at cut-over.
	busy := build(t, convert.PlanOptions{Method: convert.MethodPrecopy, ChangeRate: 20e6}).Lookup("cloudservice/contoso-sql/sql1")
	if busy.Downtime <= pre.Downtime {
		t.Errorf("20 MB/s of writes: down %s, 1 MB/s: %s", busy.Downtime, pre.Downtime)
	}
	// The honest cut-over: every byte while down, the disks of a VM in
	// parallel (sql1's largest disk is 1023 GiB at 60 MB/s read back).
	cut := build(t, convert.PlanOptions{Method: convert.MethodCutover}).Lookup("cloudservice/contoso-sql/sql1")
	if cut.Downtime < 5*time.Hour || cut.Downtime > 8*time.Hour {
		t.Errorf("sql1 cut-over down %s", cut.Downtime)
	}
	// Allocated bytes, where known, replace the virtual size.
	alloc := map[string]int64{}
	for _, d := range cut.Disks() {
		alloc[strings.ToUpper(d.VHDURI)] = 10 << 30
	}
	sparse := build(t, convert.PlanOptions{Method: convert.MethodCutover, Allocated: alloc}).Lookup("cloudservice/contoso-sql/sql1")
	if sparse.OSDisk.AllocatedBytes != 10<<30 || sparse.Downtime > cut.Downtime/10 {
		t.Errorf("sparse sql1: allocated %d, down %s (full: %s)", sparse.OSDisk.AllocatedBytes, sparse.Downtime, cut.Downtime)
	}
}
