package emulator

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// The Microsoft.Authorization reads discovery makes, in the shapes of the
// REST spec (Azure/azure-rest-api-specs specification/authorization/
// resource-manager/Microsoft.Authorization/stable/2022-04-01:
// RoleAssignments_ListForSubscription in authorization-RoleAssignmentsCalls.json,
// RoleDefinitions_GetById in authorization-RoleDefinitionsCalls.json),
// served from the discoverer's classic estate: one assignment per
// inventory roleAssignments entry, at its classic resource's Resource
// Manager id. Every emulator serves them, with or without compute.

// authorizationRoutes adds the role assignment list and the role
// definition read to mux.
func (s *Server) authorizationRoutes(mux *http.ServeMux) {
	const authz = "/subscriptions/{sub}/providers/Microsoft.Authorization"
	mux.Handle("GET "+authz+"/roleAssignments", s.arm(s.listRoleAssignments))
	mux.Handle("GET "+authz+"/roleDefinitions/{id}", s.arm(s.getRoleDefinition))
}

// builtInRoles are the built-in role definitions the emulator knows, by
// roleName: their ids are the same in every tenant (learn.microsoft.com
// azure/role-based-access-control/built-in-roles, MicrosoftDocs/azure-docs
// articles/role-based-access-control/built-in-roles.md: "General" for
// Owner, Contributor, Reader and User Access Administrator; "Compute",
// "Networking" and "Storage" for the classic ones).
var builtInRoles = map[string]string{
	"Owner":                               "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
	"Contributor":                         "b24988ac-6180-42a0-ab88-20f7382dd24c",
	"Reader":                              "acdd72a7-3385-48ef-bd42-f606fba81ae7",
	"User Access Administrator":           "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
	"Classic Virtual Machine Contributor": "d73bb868-a0df-4d4d-bd69-98a00b01fccb",
	"Classic Network Contributor":         "b34d265f-36f7-4a0d-a4d4-e158ca92e90f",
	"Classic Storage Account Contributor": "86e8f5dc-a6e9-4c67-9d15-de283e8eac25",
	"Classic Storage Account Key Operator Service Role": "985d6b00-f706-48f5-a6fe-d0ca12fb668d",
}

// authzNamespace is the name-based UUID namespace of the emulator's
// derived GUIDs (role assignment names, custom role definitions): fixed,
// so the same estate always gets the same ids.
var authzNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:migrate:emulator:authorization"))

// roleDefinitionGUID is a role's definition name: the built-in one's
// GUID, or for any other role name (a custom role) one derived from the
// name.
func roleDefinitionGUID(role string) string {
	if id, ok := builtInRoles[role]; ok {
		return id
	}
	return uuid.NewSHA1(authzNamespace, []byte("role\x00"+role)).String()
}

// classicAssignment is one role assignment on a classic resource.
type classicAssignment struct {
	scope string
	ra    inventory.RoleAssignment
}

// classicAssignments lists inv's role assignments at their classic
// resources' Resource Manager ids, in the inventory's order. The resource
// group is the one the Azure portal shows a classic resource in: a cloud
// service's own name (azure-docs azure-monitor activity log examples:
// .../resourceGroups/myResourceGroup/providers/Microsoft.ClassicCompute/
// domainNames/myResourceGroup), Default-Networking for a VNet (azure-docs
// virtual-network/create-peering-different-deployment-models-subscriptions:
// "Azure created the virtual network in the Default-Networking resource
// group"), and Default-Storage-{Location without spaces} for a storage
// account (Azure PowerShell's Remove-AzureRmResourceLock example:
// .../resourceGroups/Default-Storage-SouthCentralUS/providers/
// Microsoft.ClassicStorage/storageAccounts/mystorageaccount).
func classicAssignments(sub string, inv *inventory.Inventory) []classicAssignment {
	id := func(rg, typ, name string) string {
		return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/" + typ + "/" + name
	}
	var out []classicAssignment
	add := func(scope string, ras []inventory.RoleAssignment) {
		for _, ra := range ras {
			out = append(out, classicAssignment{scope: scope, ra: ra})
		}
	}
	for _, cs := range inv.CloudServices {
		add(id(armapi.ClassicResourceGroup(cs.Name), "Microsoft.ClassicCompute/domainNames", cs.Name), cs.RoleAssignments)
	}
	for _, vn := range inv.VirtualNetworks {
		add(id(armapi.ClassicNetworkingResourceGroup, armapi.TypeClassicVirtualNetworks, vn.Name), vn.RoleAssignments)
	}
	for _, sa := range inv.StorageAccounts {
		loc := sa.Location
		if loc == "" {
			loc = inv.DefaultLocation
		}
		add(id(armapi.ClassicStorageResourceGroup(loc), "Microsoft.ClassicStorage/storageAccounts", sa.Name), sa.RoleAssignments)
	}
	return out
}

// roleAssignmentsPage is how many assignments one page of the list holds:
// small, so the test estates span pages and every client's nextLink
// handling runs (Azure's own page size is not documented; the spec only
// says the list is pageable by nextLink).
const roleAssignmentsPage = 2

// listRoleAssignments answers RoleAssignments_ListForSubscription: the
// classic estate's assignments, a page at a time from $skipToken (the
// spec's PaginationSkipToken), each page but the last with a nextLink.
func (s *Server) listRoleAssignments(w http.ResponseWriter, r *http.Request) {
	inv, err := s.d.Discover(r.Context())
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	sub := r.PathValue("sub")
	all := classicAssignments(sub, inv)
	from := 0
	if t := r.URL.Query().Get("$skipToken"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > len(all) {
			armError(w, http.StatusBadRequest, "InvalidSkipToken", "The skip token '"+t+"' is not valid.")
			return
		}
		from = n
	}
	to := min(from+roleAssignmentsPage, len(all))
	page := make([]map[string]any, 0, to-from)
	for _, a := range all[from:to] {
		role := roleDefinitionGUID(a.ra.Role)
		name := uuid.NewSHA1(authzNamespace, []byte("assignment\x00"+strings.ToLower(a.scope)+"\x00"+a.ra.Principal+"\x00"+role)).String()
		page = append(page, map[string]any{
			"id":   a.scope + "/providers/Microsoft.Authorization/roleAssignments/" + name,
			"name": name,
			"type": "Microsoft.Authorization/roleAssignments",
			"properties": map[string]any{
				"roleDefinitionId": "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + role,
				"principalId":      a.ra.Principal,
				"principalType":    "User",
				"scope":            a.scope,
			},
		})
	}
	out := map[string]any{"value": page}
	if to < len(all) {
		q := url.Values{}
		q.Set("api-version", r.URL.Query().Get("api-version"))
		q.Set("$skipToken", strconv.Itoa(to))
		out["nextLink"] = strings.TrimSuffix(s.url, "/") + r.URL.Path + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, out)
}

// getRoleDefinition answers RoleDefinitions_GetById for the built-in
// roles and for the custom roles the estate's assignments name (so a
// custom role is defined while an assignment uses it), 404
// RoleDefinitionDoesNotExist otherwise. Permissions and description are
// left out (both optional in the spec): the emulator does not know them,
// and an empty list would claim a role grants nothing.
func (s *Server) getRoleDefinition(w http.ResponseWriter, r *http.Request) {
	inv, err := s.d.Discover(r.Context())
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	sub, id := r.PathValue("sub"), strings.ToLower(r.PathValue("id"))
	names := map[string]string{} // GUID -> roleName
	for role, guid := range builtInRoles {
		names[guid] = role
	}
	var custom []string
	for _, a := range classicAssignments(sub, inv) {
		if _, ok := builtInRoles[a.ra.Role]; !ok {
			custom = append(custom, a.ra.Role)
		}
	}
	sort.Strings(custom) // the first name wins should two ever hash alike
	for _, role := range custom {
		if g := roleDefinitionGUID(role); names[g] == "" {
			names[g] = role
		}
	}
	role, ok := names[id]
	if !ok {
		armError(w, http.StatusNotFound, "RoleDefinitionDoesNotExist", "The specified role definition with ID '"+r.PathValue("id")+"' does not exist.")
		return
	}
	typ, scopes := "BuiltInRole", []string{"/"}
	if _, builtIn := builtInRoles[role]; !builtIn {
		typ, scopes = "CustomRole", []string{"/subscriptions/" + sub}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":   "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + id,
		"name": id,
		"type": "Microsoft.Authorization/roleDefinitions",
		"properties": map[string]any{
			"roleName":         role,
			"type":             typ,
			"assignableScopes": scopes,
		},
	})
}
