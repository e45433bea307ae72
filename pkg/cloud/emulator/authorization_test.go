package emulator_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// TestRoleAssignments lists the estate's role assignments from an
// emulator without compute, page by page through nextLink, and reads each
// role definition: built-in roles by their real GUIDs, a custom role by a
// derived one, an unknown id 404 RoleDefinitionDoesNotExist.
func TestRoleAssignments(t *testing.T) {
	inv := cloudtest.Inventory()
	inv.CloudServices[0].RoleAssignments = []inventory.RoleAssignment{{Principal: "app-team", Role: "Classic Virtual Machine Contributor"}}
	inv.VirtualNetworks[0].RoleAssignments = []inventory.RoleAssignment{{Principal: "net-team", Role: "Legacy Network Operator"}}
	inv.StorageAccounts[0].RoleAssignments = []inventory.RoleAssignment{{Principal: "ops", Role: "Owner"}, {Principal: "audit", Role: "Reader"}}
	c := startClient(t, inv, func(*emulator.Options, *sim.Sim) {})
	get := c.getJSON
	sub := "/subscriptions/" + inv.SubscriptionID
	type assignment struct {
		ID, Name, Type string
		Properties     struct{ Scope, RoleDefinitionID, PrincipalID, PrincipalType string }
	}
	var all []assignment
	pages := 0
	for u := c.root + strings.TrimPrefix(sub, "/") + "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"; u != ""; pages++ {
		var page struct {
			Value    []assignment
			NextLink string
		}
		if status := get(u, &page); status != http.StatusOK {
			t.Fatalf("list role assignments: %d", status)
		}
		all = append(all, page.Value...)
		u = page.NextLink
	}
	if pages < 2 {
		t.Errorf("%d page(s): the list should span pages", pages)
	}
	got := map[string]string{} // "scope principal" -> role name
	for _, a := range all {
		p := a.Properties
		if a.Type != "Microsoft.Authorization/roleAssignments" || a.ID != p.Scope+"/providers/Microsoft.Authorization/roleAssignments/"+a.Name ||
			p.PrincipalType != "User" || !strings.HasPrefix(p.RoleDefinitionID, sub+"/providers/Microsoft.Authorization/roleDefinitions/") {
			t.Errorf("assignment shape: %+v", a)
		}
		var def struct {
			ID, Name, Type string
			Properties     struct{ RoleName, Type string }
		}
		if status := get(c.root+strings.TrimPrefix(p.RoleDefinitionID, "/")+"?api-version=2022-04-01", &def); status != http.StatusOK ||
			def.ID != p.RoleDefinitionID || def.Type != "Microsoft.Authorization/roleDefinitions" {
			t.Errorf("role definition %s: %d %+v", p.RoleDefinitionID, status, def)
		}
		got[p.Scope+" "+p.PrincipalID] = def.Name + " " + def.Properties.Type + " " + def.Properties.RoleName
	}
	rg := sub + "/resourceGroups/"
	want := map[string]string{
		rg + cloudtest.ServiceWeb + "/providers/Microsoft.ClassicCompute/domainNames/" + cloudtest.ServiceWeb + " app-team": "d73bb868-a0df-4d4d-bd69-98a00b01fccb BuiltInRole Classic Virtual Machine Contributor",
		rg + "Default-Storage-WestUS/providers/Microsoft.ClassicStorage/storageAccounts/" + cloudtest.Storage + " ops":      "8e3af657-a8ff-443c-a75c-2fe8c4bcb635 BuiltInRole Owner",
		rg + "Default-Storage-WestUS/providers/Microsoft.ClassicStorage/storageAccounts/" + cloudtest.Storage + " audit":    "acdd72a7-3385-48ef-bd42-f606fba81ae7 BuiltInRole Reader",
	}
	for k, v := range got {
		if strings.Contains(k, "/Microsoft.ClassicNetwork/virtualNetworks/") && strings.HasSuffix(v, " CustomRole Legacy Network Operator") {
			want[k] = v // its GUID is derived: checked for shape only
		}
	}
	if len(want) != 4 || !reflect.DeepEqual(got, want) {
		t.Errorf("assignments\n got %v\nwant %v", got, want)
	}
	var e struct{ Error struct{ Code string } }
	if status := get(c.root+strings.TrimPrefix(sub, "/")+"/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-0000-0000-000000000000?api-version=2022-04-01", &e); status != http.StatusNotFound || e.Error.Code != "RoleDefinitionDoesNotExist" {
		t.Errorf("unknown role definition: %d %s, want 404 RoleDefinitionDoesNotExist", status, e.Error.Code)
	}
}
