package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

func mustBuild(t *testing.T, inv *inventory.Inventory) *Plan {
	t.Helper()
	p, err := Build(inv)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p
}

func TestBuildUnits(t *testing.T) {
	p := mustBuild(t, sampleInventory())
	const gib = int64(1) << 30
	tests := []struct {
		id        string
		scope     Scope
		downtime  Downtime
		wave      int
		rank      int
		vms       int
		diskBytes int64
		resources []string
		dependsOn []string
	}{
		{"vnet/Group rg legacy-vnet", ScopeVMInVNet, DowntimeNone, 0, 4, 1, 30 * gib,
			[]string{"vnet/Group rg legacy-vnet", "cloudservice/contoso-app", "nsg/shared-nsg"}, []string{}},
		{"vnet/contoso-vnet", ScopeVMInVNet, DowntimeNone, 1, 3, 1, 158 * gib,
			[]string{"vnet/contoso-vnet", "cloudservice/contoso-web", "nsg/vm-nsg", "nsg/web-nsg", "reservedip/web-ip", "routetable/web-routes"},
			[]string{"vnet/Group rg legacy-vnet"}},
		{"vnet/empty-vnet", ScopeVMInVNet, DowntimeNone, 0, 1, 0, 0, []string{"vnet/empty-vnet"}, []string{}},
		{"cloudservice/legacy-svc", ScopeVMNoVNet, DowntimeRestart, 2, 2, 1, 30 * gib,
			[]string{"cloudservice/legacy-svc", "reservedip/legacy-ip"}, []string{"vnet/contoso-vnet"}},
		{"cloudservice/db-svc", ScopeVMNoVNet, DowntimeRestart, 0, 2, 1, 127 * gib,
			[]string{"cloudservice/db-svc", "nsg/db-nsg"}, []string{}},
		{"storage/contosovhds", ScopeStorage, DowntimeNone, 3, 1, 0, 346 * gib,
			[]string{"storage/contosovhds"},
			[]string{"cloudservice/legacy-svc", "vnet/Group rg legacy-vnet", "vnet/contoso-vnet"}},
		{"storage/Other Store", ScopeStorage, DowntimeNone, 1, 1, 0, 127 * gib,
			[]string{"storage/Other Store"}, []string{"cloudservice/db-svc"}},
		{"storage/logsblobs", ScopeStorage, DowntimeNone, 0, 1, 0, 0, []string{"storage/logsblobs"}, []string{}},
		{"nsg/lonely-nsg", ScopeUnattached, DowntimeNone, 0, 1, 0, 0, []string{"nsg/lonely-nsg"}, []string{}},
		{"routetable/spare-routes", ScopeUnattached, DowntimeNone, 0, 1, 0, 0, []string{"routetable/spare-routes"}, []string{}},
		{"reservedip/spare-ip", ScopeUnattached, DowntimeNone, 0, 1, 0, 0, []string{"reservedip/spare-ip"}, []string{}},
	}
	if len(p.Units) != len(tests) {
		var ids []string
		for _, u := range p.Units {
			ids = append(ids, u.ID)
		}
		t.Fatalf("got %d units %q, want %d", len(p.Units), ids, len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			u := p.Unit(tt.id)
			if u == nil {
				t.Fatalf("no unit %q", tt.id)
			}
			if u.Scope != tt.scope || u.Downtime != tt.downtime || u.Wave != tt.wave || u.Rank != tt.rank || u.VMs != tt.vms || u.DiskBytes != tt.diskBytes {
				t.Errorf("got scope %s downtime %s wave %d rank %d vms %d disk %d; want %s %s %d %d %d %d",
					u.Scope, u.Downtime, u.Wave, u.Rank, u.VMs, u.DiskBytes,
					tt.scope, tt.downtime, tt.wave, tt.rank, tt.vms, tt.diskBytes)
			}
			if !reflect.DeepEqual(u.Resources, tt.resources) {
				t.Errorf("resources %q, want %q", u.Resources, tt.resources)
			}
			if !reflect.DeepEqual(u.DependsOn, tt.dependsOn) {
				t.Errorf("dependsOn %q, want %q", u.DependsOn, tt.dependsOn)
			}
		})
	}
	if p.Waves != 4 {
		t.Errorf("waves %d, want 4", p.Waves)
	}
	wantCrit := []string{"vnet/Group rg legacy-vnet", "vnet/contoso-vnet", "cloudservice/legacy-svc", "storage/contosovhds"}
	if !reflect.DeepEqual(p.CriticalPath, wantCrit) {
		t.Errorf("critical path %q, want %q", p.CriticalPath, wantCrit)
	}
	for i := 1; i < len(p.Units); i++ {
		a, b := p.Units[i-1], p.Units[i]
		if a.Wave > b.Wave || (a.Wave == b.Wave && a.ID >= b.ID) {
			t.Errorf("units out of (wave, id) order: %s (wave %d) before %s (wave %d)", a.ID, a.Wave, b.ID, b.Wave)
		}
	}
}

func TestUnitOf(t *testing.T) {
	p := mustBuild(t, sampleInventory())
	tests := []struct{ resource, unit string }{
		{"vnet/contoso-vnet", "vnet/contoso-vnet"},
		{"VNET/CONTOSO-VNET", "vnet/contoso-vnet"},
		{"gateway/contoso-vnet/Vpn", "vnet/contoso-vnet"},
		{"cloudservice/contoso-web", "vnet/contoso-vnet"},
		{"cloudservice/contoso-web/web1", "vnet/contoso-vnet"},
		{"cloudservice/contoso-web/worker", "vnet/contoso-vnet"},
		{"availabilityset/contoso-web/web-as", "vnet/contoso-vnet"},
		{"cloudservice/Contoso-App/APP1", "vnet/Group rg legacy-vnet"},
		{"nsg/shared-nsg", "vnet/Group rg legacy-vnet"},
		{"nsg/db-nsg", "cloudservice/db-svc"},
		{"cloudservice/legacy-svc/legacy1", "cloudservice/legacy-svc"},
		{"reservedip/legacy-ip", "cloudservice/legacy-svc"},
		{"storage/contosovhds", "storage/contosovhds"},
		{"disk/contosovhds/old-data", "storage/contosovhds"},
		{"image/contosovhds/golden-2019", "storage/contosovhds"},
		{"disk/other store/db1-os", "storage/Other Store"},
		{"nsg/lonely-nsg", "nsg/lonely-nsg"},
		{"routetable/spare-routes", "routetable/spare-routes"},
		{"reservedip/spare-ip", "reservedip/spare-ip"},
		{"vnet/nowhere", ""},
		{"cloudservice/contoso-web/ghost", ""},
	}
	for _, tt := range tests {
		if got := p.UnitOf(tt.resource); got != tt.unit {
			t.Errorf("UnitOf(%q) = %q, want %q", tt.resource, got, tt.unit)
		}
	}
}

func TestBuildCycle(t *testing.T) {
	// A not-in-VNet service whose destination is contoso-vnet shares an NSG
	// with that VNet; the NSG goes to the service (first in id order), so the
	// VNet depends on the service and the service on the VNet.
	inv := sampleInventory()
	inv.CloudServices[2].Deployment.Roles[0].NetworkSecurityGroup = "web-nsg"
	_, err := Build(inv)
	var ce *CycleError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCycle) {
		t.Fatalf("Build: %v, want a *CycleError", err)
	}
	want := [][]string{{"cloudservice/legacy-svc", "vnet/contoso-vnet"}}
	if !reflect.DeepEqual(ce.Cycles, want) {
		t.Errorf("cycles %q, want %q", ce.Cycles, want)
	}
	const msg = "plan: units depend on each other: cycle: cloudservice/legacy-svc -> vnet/contoso-vnet -> cloudservice/legacy-svc"
	if err.Error() != msg {
		t.Errorf("error %q, want %q", err, msg)
	}
}

func TestBuildEmpty(t *testing.T) {
	p := mustBuild(t, &inventory.Inventory{SchemaVersion: 1})
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"units":[],"waves":0,"criticalPath":[]}`; got != want {
		t.Errorf("empty plan %s, want %s", got, want)
	}
}

// TestBuildDeterministic builds the same estate from shuffled inputs and
// expects byte-identical JSON, checked against a golden file.
func TestBuildDeterministic(t *testing.T) {
	first, err := json.MarshalIndent(mustBuild(t, sampleInventory()), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		inv := sampleInventory()
		reverse(inv.CloudServices)
		reverse(inv.NetworkSecurityGroups)
		reverse(inv.StorageAccounts)
		reverse(inv.VirtualNetworks)
		got, err := json.MarshalIndent(mustBuild(t, inv), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, first) {
			t.Fatalf("plan differs between builds:\n%s\nvs\n%s", got, first)
		}
	}
	golden(t, "sample-plan.json", first)
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden (run with -update if intended):\n%s", name, got)
	}
}

func TestDownstream(t *testing.T) {
	p := mustBuild(t, sampleInventory())
	got := p.Downstream("VNET/contoso-vnet")
	want := []string{"cloudservice/legacy-svc", "storage/contosovhds"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Downstream %q, want %q", got, want)
	}
}

func TestDecodedPlanLookups(t *testing.T) {
	b, err := json.Marshal(mustBuild(t, sampleInventory()))
	if err != nil {
		t.Fatal(err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if got := p.UnitOf("nsg/WEB-nsg"); got != "vnet/contoso-vnet" {
		t.Errorf("UnitOf on decoded plan = %q", got)
	}
	if u := p.Unit("storage/other store"); u == nil || u.ID != "storage/Other Store" {
		t.Errorf("Unit on decoded plan = %v", u)
	}
	if got := p.Downstream("cloudservice/db-svc"); !reflect.DeepEqual(got, []string{"storage/Other Store"}) {
		t.Errorf("Downstream on decoded plan = %q", got)
	}
}

func TestReindexRestoresRanks(t *testing.T) {
	built := mustBuild(t, sampleInventory())
	b, err := json.Marshal(built)
	if err != nil {
		t.Fatal(err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if err := p.Reindex(); err != nil {
		t.Fatal(err)
	}
	for i, u := range p.Units {
		if u.Rank != built.Units[i].Rank {
			t.Errorf("%s: rank %d after Reindex, %d from Build", u.ID, u.Rank, built.Units[i].Rank)
		}
	}
	d := Durations{Prepare: time.Minute}
	if got, want := Forecast(&p, d, 2), Forecast(built, d, 2); got != want {
		t.Errorf("forecast on decoded plan %+v, want %+v", got, want)
	}
	p.Unit("vnet/contoso-vnet").DependsOn = []string{"storage/contosovhds"}
	if err := p.Reindex(); !errors.Is(err, ErrCycle) {
		t.Errorf("Reindex of a cyclic plan: %v, want ErrCycle", err)
	}
}
