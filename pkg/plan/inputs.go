package plan

import (
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// MigratedSuffix is the suffix the platform gives every resource group it
// creates for a migrated cloud service or VNet. Nobody can choose another:
// "It is not possible to select the name of a resource group created for
// migrated resources (that is, "-Migrated")" (technical deep dive on
// platform-supported migration, Prepare).
const MigratedSuffix = "-Migrated"

// MigratedResourceGroup is the resource group the platform puts a migrated
// cloud service or VNet named name into.
func MigratedResourceGroup(name string) string { return name + MigratedSuffix }

// InputError reports inventory fields that describe something the platform
// cannot do, so no plan is made. It names every such field at once.
type InputError struct {
	Problems []inventory.Problem
}

// Error renders one line per problem as "inventory: PATH: MESSAGE".
func (e *InputError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "inventory: %s: %s", p.Path, p.Message)
	}
	return b.String()
}

// checkInputs refuses what inventory.Load accepts but the platform cannot
// do:
//
//   - target.resourceGroupSuffix other than "-Migrated": the platform names
//     the groups itself (see MigratedSuffix);
//   - storageAccounts[i].blobsOnly true on an account holding a disk that a
//     VM attaches: such an account cannot migrate on its own, it must wait
//     for the VMs' units ("Only disks that are attached to a VM are
//     currently supported", and the storage account migrates after the VMs
//     using it: overview, "Migration of storage accounts").
func checkInputs(inv *inventory.Inventory) error {
	var ps []inventory.Problem
	if s := inv.Target.ResourceGroupSuffix; s != "" && s != MigratedSuffix {
		ps = append(ps, inventory.Problem{Path: "target.resourceGroupSuffix",
			Message: fmt.Sprintf("the platform always names the resource group of a migrated cloud service or VNet <name>%s and does not let anyone choose; remove the field (got %q)", MigratedSuffix, s)})
	}
	attached := map[string]string{} // disk key -> VM id
	for i := range inv.CloudServices {
		cs := &inv.CloudServices[i]
		for j := range cs.Deployment.Roles {
			r := &cs.Deployment.Roles[j]
			for _, d := range roleDisks(r) {
				if _, ok := attached[inventory.Key(d)]; !ok {
					attached[inventory.Key(d)] = inventory.VMID(cs.Name, r.Name)
				}
			}
		}
	}
	for i := range inv.StorageAccounts {
		sa := &inv.StorageAccounts[i]
		if !sa.BlobsOnly {
			continue
		}
		var used []string
		for _, d := range sa.Disks {
			if vm, ok := attached[inventory.Key(d.Name)]; ok {
				used = append(used, fmt.Sprintf("%s (attached to %s)", d.Name, vm))
			}
		}
		if len(used) > 0 {
			ps = append(ps, inventory.Problem{Path: fmt.Sprintf("storageAccounts[%d].blobsOnly", i),
				Message: fmt.Sprintf("storage account %s holds disks that VMs attach, so it is not blobs-only and migrates after those VMs: %s", sa.Name, strings.Join(used, ", "))})
		}
	}
	if len(ps) > 0 {
		return &InputError{Problems: ps}
	}
	return nil
}
