package plan

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

func saved(t testing.TB, inv *inventory.Inventory) []byte {
	t.Helper()
	p, err := Build(inv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewArtifact(inv, "estate.json", "test", p,
		[]SavedFinding{{Rule: "vm-restart", Severity: "info", Resource: "cloudservice/db-svc/db1", Unit: "cloudservice/db-svc"}},
		DefaultModel().Window(p, 4, nil), Options{Driver: "sim", Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := a.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestArtifactRoundTrip(t *testing.T) {
	first := saved(t, sampleInventory())
	if again := saved(t, sampleInventory()); !bytes.Equal(first, again) {
		t.Fatal("the saved plan is not deterministic")
	}
	a, err := ReadArtifact(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := Build(sampleInventory())
	if got, want := a.UnitIDs(), ids(p); !reflect.DeepEqual(got, want) {
		t.Errorf("units %v, want %v", got, want)
	}
	if err := a.Stale(sampleInventory()); err != nil {
		t.Errorf("Stale on the same inventory: %v", err)
	}
	for u := range a.Units {
		if a.Units[u].Rank != p.Units[u].Rank {
			t.Errorf("%s rank %d, want %d", a.Units[u].ID, a.Units[u].Rank, p.Units[u].Rank)
		}
	}
	var b bytes.Buffer
	if err := a.Write(&b); err != nil || !bytes.Equal(b.Bytes(), first) {
		t.Errorf("read then written differs (%v)", err)
	}
}

func ids(p *Plan) []string {
	var out []string
	for _, u := range p.Units {
		out = append(out, u.ID)
	}
	return out
}

func TestArtifactStale(t *testing.T) {
	a, err := ReadArtifact(bytes.NewReader(saved(t, sampleInventory())))
	if err != nil {
		t.Fatal(err)
	}
	inv := sampleInventory()
	inv.CloudServices[3].Deployment.Roles[0].Size = "Standard_D4"                            // db-svc
	inv.NetworkSecurityGroups = inv.NetworkSecurityGroups[:len(inv.NetworkSecurityGroups)-1] // lonely-nsg
	inv.RouteTables = append(inv.RouteTables, inventory.RouteTable{Name: "new-routes"})
	inv.Target.Cloud = inventory.CloudAzureStackHub
	err = a.Stale(inv)
	var se *StaleError
	if !errors.As(err, &se) {
		t.Fatalf("Stale = %v, want a *StaleError", err)
	}
	want := []string{"added routetable/new-routes", "changed cloudservice/db-svc", "removed nsg/lonely-nsg", "target changed"}
	if !reflect.DeepEqual(se.Changes, want) {
		t.Errorf("changes %q, want %q", se.Changes, want)
	}
}

func TestReadArtifactRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"version":       `{"version": 2}`,
		"unknown field": `{"version": 1, "surprise": true}`,
		"not json":      `units: []`,
	} {
		if _, err := ReadArtifact(strings.NewReader(doc)); !errors.Is(err, ErrArtifactFormat) {
			t.Errorf("%s: %v, want ErrArtifactFormat", name, err)
		}
	}
}

// FuzzReadArtifact: any input is read or refused, never a panic, and what
// is read writes back to something that reads again.
func FuzzReadArtifact(f *testing.F) {
	f.Add(saved(f, sampleInventory()))
	f.Add([]byte(`{"version": 1, "units": [{"id": "vnet/a", "dependsOn": ["vnet/a"]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ReadArtifact(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := a.Write(&out); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadArtifact(&out); err != nil {
			t.Fatalf("written saved plan does not read back: %v", err)
		}
	})
}
