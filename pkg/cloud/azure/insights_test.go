package azure

import (
	"reflect"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// TestMonitorTargetRoles maps Azure Monitor target ids to the inventory's
// roles: a classic VM by name (its resource group breaking a tie), a
// cloud service role, every role of an availability set, and nothing for
// ids that name no classic role of this subscription.
func TestMonitorTargetRoles(t *testing.T) {
	const sub = "6c1b0b6f-0000-4000-8000-0000000000e1"
	inv := &inventory.Inventory{CloudServices: []inventory.CloudService{
		{Name: "web", Deployment: inventory.Deployment{Roles: []inventory.Role{
			{Name: "web1", AvailabilitySet: "as1"}, {Name: "web2", AvailabilitySet: "AS1"}, {Name: "db"},
		}}},
		{Name: "app", Deployment: inventory.Deployment{Roles: []inventory.Role{{Name: "db"}, {Name: "app1", AvailabilitySet: "as1"}}}},
	}}
	p := "/subscriptions/" + sub + "/resourceGroups/"
	tests := []struct {
		name, id string
		want     []string // cloud service/role
	}{
		{"vm", p + "web/providers/Microsoft.ClassicCompute/virtualMachines/web1", []string{"web/web1"}},
		{"vm in another group, unique name", p + "moved/providers/Microsoft.ClassicCompute/virtualMachines/APP1", []string{"app/app1"}},
		{"vm name in two services, group decides", p + "app/providers/Microsoft.ClassicCompute/virtualMachines/db", []string{"app/db"}},
		{"vm name in two services, no group", p + "other/providers/Microsoft.ClassicCompute/virtualMachines/db", nil},
		{"role", p + "web/providers/microsoft.classiccompute/domainNames/web/slots/Production/roles/db", []string{"web/db"}},
		{"availability set", p + "web/providers/Microsoft.ClassicCompute/domainNames/web/availabilitySets/as1", []string{"web/web1", "web/web2"}},
		{"cloud service", p + "web/providers/Microsoft.ClassicCompute/domainNames/web", nil},
		{"another subscription", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/web/providers/Microsoft.ClassicCompute/virtualMachines/web1", nil},
		{"a Resource Manager VM", p + "web/providers/Microsoft.Compute/virtualMachines/web1", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			if tg, ok := parseMonitorTarget(tt.id, sub); ok {
				for _, r := range tg.roles(inv) {
					for _, cs := range inv.CloudServices {
						for j := range cs.Deployment.Roles {
							if &cs.Deployment.Roles[j] == r {
								got = append(got, cs.Name+"/"+r.Name)
							}
						}
					}
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: %q, want %q", tt.id, got, tt.want)
			}
		})
	}
}

// FuzzParseMonitorTarget: any id parses without panicking, and what it
// names is a role or a set.
func FuzzParseMonitorTarget(f *testing.F) {
	f.Add("/subscriptions/s/resourceGroups/g/providers/Microsoft.ClassicCompute/domainNames/c/slots/Production/roles/r")
	f.Add("/subscriptions/s/resourceGroups/g/providers/Microsoft.ClassicCompute/domainNames/c/availabilitySets/a")
	f.Add("/subscriptions/s/resourceGroups/g/providers/Microsoft.ClassicCompute/virtualMachines/v")
	f.Fuzz(func(t *testing.T, id string) {
		if tg, ok := parseMonitorTarget(id, "s"); ok && tg.role == "" && tg.set == "" {
			t.Errorf("%q: parsed to %+v, which names nothing", id, tg)
		}
	})
}
