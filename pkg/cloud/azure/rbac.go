package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Azure RBAC assignments on classic resources live in Resource Manager
// (Microsoft.Authorization), at the classic resources' Resource Manager
// ids, and are not migrated with them (learn.microsoft.com
// virtual-machines/migration-classic-resource-manager-overview; the
// rbac-classic rule in docs/spec/rules.md). Discovery reads them with two
// calls of the Microsoft.Authorization REST spec
// (Azure/azure-rest-api-specs specification/authorization/resource-manager/
// Microsoft.Authorization/stable/2022-04-01):
//
//   - RoleAssignments_ListForSubscription, GET /subscriptions/{sub}/
//     providers/Microsoft.Authorization/roleAssignments, pageable by
//     nextLink: without $filter it answers the assignments at the
//     subscription, above it and at every scope under it, each with
//     properties.scope, principalId and roleDefinitionId
//     (authorization-RoleAssignmentsCalls.json);
//   - RoleDefinitions_GetById, GET {roleDefinitionId}, the id as the
//     assignment gives it (x-ms-skip-url-encoding), answering
//     properties.roleName (authorization-RoleDefinitionsCalls.json,
//     examples/GetRoleDefinitionById.json).

// classicScopeTypes are the classic resource types whose assignments the
// inventory records, by the lower-cased "namespace/type" of their Resource
// Manager id (/subscriptions/{sub}/resourceGroups/{rg}/providers/
// Microsoft.ClassicCompute/domainNames/{cloud service}, as Azure Monitor's
// and Policy Insights' examples name a cloud service; Microsoft.ClassicNetwork/
// virtualNetworks and Microsoft.ClassicStorage/storageAccounts, as
// azure-docs virtual-network/create-peering-different-deployment-models-
// subscriptions assigns "Classic Network Contributor" at a classic VNet).
var classicScopeTypes = map[string]classicKind{
	"microsoft.classiccompute/domainnames":     classicCloudService,
	"microsoft.classicnetwork/virtualnetworks": classicVNet,
	"microsoft.classicstorage/storageaccounts": classicStorage,
}

// classicKind is the inventory list a classic resource type is in.
type classicKind int

const (
	classicCloudService classicKind = iota + 1
	classicVNet
	classicStorage
)

// classicScope parses an assignment's scope: the inventory kind and the
// resource name when it is exactly one of classicScopeTypes' resources in
// subscription sub, ok false otherwise. An assignment at the subscription
// or at a resource group is inherited by the classic resource but is not
// its own, and the migration does not change its scope: the subscription
// stays (so such an assignment goes on applying to the migrated
// resources), and the classic resources' group is left where it is while
// Prepare creates a new "<cloud-service-name>-Migrated" group for their
// counterparts (MicrosoftDocs/azure-docs, "Platform-supported migration of
// IaaS resources from classic to Azure Resource Manager", "Prepare": "First
// screen shows a Resource Group that contains the original cloud service.
// Second screen shows the new "-Migrated" resource group"). The rule is
// about the assignments on the classic resource ids, which the migration
// changes (the same article, "Unsupported configurations": "Because the
// URI of the resources is modified after migration"), so only those are
// recorded. A
// scope below the resource (a deployment slot, say) is not recorded
// either: the inventory has no field for it.
func classicScope(scope, sub string) (kind classicKind, name string, ok bool) {
	seg := strings.Split(strings.TrimPrefix(scope, "/"), "/")
	if len(seg) != 8 || !strings.EqualFold(seg[0], "subscriptions") || !strings.EqualFold(seg[1], sub) ||
		!strings.EqualFold(seg[2], "resourceGroups") || !strings.EqualFold(seg[4], "providers") || seg[7] == "" {
		return 0, "", false
	}
	kind, ok = classicScopeTypes[strings.ToLower(seg[5]+"/"+seg[6])]
	if !ok {
		return 0, "", false
	}
	return kind, seg[7], true
}

// roleAssignment is one assignment of RoleAssignments_ListForSubscription.
type roleAssignment struct {
	Properties struct {
		Scope            string `json:"scope"`
		RoleDefinitionID string `json:"roleDefinitionId"`
		PrincipalID      string `json:"principalId"`
	} `json:"properties"`
}

// discoverRoleAssignments fills the role assignments of inv's cloud
// services, VNets and storage accounts from the subscription's
// assignments, each role definition read once, in a deterministic order
// (role, then principal).
func (d *Driver) discoverRoleAssignments(ctx context.Context, inv *inventory.Inventory) error {
	all, err := d.listRoleAssignments(ctx)
	if err != nil {
		return fmt.Errorf("list role assignments for classic resources: %w", err)
	}
	type key struct {
		kind classicKind
		name string
	}
	// Only the discovered resources' assignments: one left on a resource
	// that is gone (committed, deleted) costs no definition read.
	found := map[key][]inventory.RoleAssignment{}
	for _, cs := range inv.CloudServices {
		found[key{classicCloudService, inventory.Key(cs.Name)}] = nil
	}
	for _, vn := range inv.VirtualNetworks {
		found[key{classicVNet, inventory.Key(vn.Name)}] = nil
	}
	for _, sa := range inv.StorageAccounts {
		found[key{classicStorage, inventory.Key(sa.Name)}] = nil
	}
	roles := map[string]string{} // roleDefinitionId, lower-cased -> roleName, for this Discover
	for _, a := range all {
		kind, name, ok := classicScope(a.Properties.Scope, d.cfg.SubscriptionID)
		if _, discovered := found[key{kind, inventory.Key(name)}]; !ok || !discovered {
			continue
		}
		role, err := d.roleName(ctx, roles, a.Properties.RoleDefinitionID)
		if err != nil {
			return fmt.Errorf("list role assignments for classic resources: %w", err)
		}
		k := key{kind, inventory.Key(name)}
		found[k] = append(found[k], inventory.RoleAssignment{Principal: a.Properties.PrincipalID, Role: role})
	}
	get := func(kind classicKind, name string) []inventory.RoleAssignment {
		ras := found[key{kind, inventory.Key(name)}]
		sort.Slice(ras, func(i, j int) bool {
			if ras[i].Role != ras[j].Role {
				return ras[i].Role < ras[j].Role
			}
			return ras[i].Principal < ras[j].Principal
		})
		if ras == nil {
			ras = []inventory.RoleAssignment{}
		}
		return ras
	}
	for i := range inv.CloudServices {
		inv.CloudServices[i].RoleAssignments = get(classicCloudService, inv.CloudServices[i].Name)
	}
	for i := range inv.VirtualNetworks {
		inv.VirtualNetworks[i].RoleAssignments = get(classicVNet, inv.VirtualNetworks[i].Name)
	}
	for i := range inv.StorageAccounts {
		inv.StorageAccounts[i].RoleAssignments = get(classicStorage, inv.StorageAccounts[i].Name)
	}
	return nil
}

// listRoleAssignments reads every page of RoleAssignments_ListForSubscription.
func (d *Driver) listRoleAssignments(ctx context.Context) ([]roleAssignment, error) {
	u := strings.TrimSuffix(d.ep.arm, "/") + "/subscriptions/" + url.PathEscape(d.cfg.SubscriptionID) +
		"/providers/Microsoft.Authorization/roleAssignments?api-version=" + url.QueryEscape(d.ep.api.Authorization)
	out, err := listARM[roleAssignment](ctx, d, u)
	if err != nil {
		return nil, fmt.Errorf("role assignment list: %w", err)
	}
	return out, nil
}

// roleName resolves a role definition id to its roleName through cache.
// A definition that no longer exists (a deleted custom role leaves its
// assignments behind, which the portal lists as "Unknown") is named by
// its id's last segment, its GUID: the assignment is still on the
// resource, and the operator can still look it up.
func (d *Driver) roleName(ctx context.Context, cache map[string]string, id string) (string, error) {
	k := strings.ToLower(id)
	if n, ok := cache[k]; ok {
		return n, nil
	}
	if !strings.HasPrefix(id, "/") || strings.ContainsAny(id, "?#") {
		return "", fmt.Errorf("role definition id %q: not a Resource Manager id", id)
	}
	u := strings.TrimSuffix(d.ep.arm, "/") + id + "?api-version=" + url.QueryEscape(d.ep.api.Authorization)
	_, b, err := d.call(ctx, d.arm, http.MethodGet, u, nil)
	var name string
	switch {
	case errors.Is(err, cloud.ErrNotFound):
		name = id[strings.LastIndexByte(id, '/')+1:]
	case err != nil:
		return "", fmt.Errorf("read role definition %s: %w", id, err)
	default:
		var v struct {
			Properties struct {
				RoleName string `json:"roleName"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(b, &v); err != nil || v.Properties.RoleName == "" {
			return "", fmt.Errorf("read role definition %s: malformed answer", id)
		}
		name = v.Properties.RoleName
	}
	cache[k] = name
	return name, nil
}
