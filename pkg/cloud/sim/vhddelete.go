package sim

import (
	"context"
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// OpDeleteVHD is the history's name of a VHD page blob's deletion.
const OpDeleteVHD = "DeleteVHD"

// DeleteVHD deletes a VHD page blob and its snapshots (Delete Blob with
// x-ms-delete-snapshots: include), what `migrate disks cleanup` does once a
// VM runs on verified managed disks; a VHD already gone succeeds. A VHD
// a VM is still attached to is refused as the Blob service refuses it: the
// platform holds an infinite lease on an attached disk's blob ("There is
// currently a lease on the blob and no lease ID was specified in the
// request", LeaseIdMissing, 412; azure-docs, "Troubleshoot storage
// resource deletion errors": a VHD attached to a VM cannot be deleted).
func (s *Sim) DeleteVHD(ctx context.Context, vhdURI string) error {
	v, err := s.lookupVHD("delete VHD", vhdURI)
	if err != nil {
		return err
	}
	k := inventory.Key(vhdURI)
	return s.change(ctx, OpDeleteVHD, vhdUnit(v),
		func(p *persisted) string {
			if st := p.VHDs[k]; st != nil && st.Deleted {
				return stateNone
			}
			return fmt.Sprintf("Gen%d", p.gen(vhdURI))
		},
		func(p *persisted) error {
			st := p.vhd(vhdURI)
			if st.Deleted {
				return nil
			}
			if vm := s.attachedTo(p, vhdURI, v); vm != "" {
				return &cloud.OperationError{Code: "LeaseIdMissing",
					Message: fmt.Sprintf("There is currently a lease on the blob and no lease ID was specified in the request (the VHD is attached to VM %s).", vm)}
			}
			st.Deleted, st.Snapshots, st.Ran = true, nil, false
			p.touchVHD(k)
			return nil
		})
}

// attachedTo names the VM whose disk the VHD is, "" when none: a Resource
// Manager VM on it, or the classic role that owns it while its unit is not
// Committed.
func (s *Sim) attachedTo(p *persisted, uri string, v vhdInfo) string {
	for _, vm := range p.ARMVMs {
		for _, d := range vmDisks(*vm) {
			if d.ManagedDisk == "" && strings.EqualFold(d.VHDURI, uri) {
				return vm.Name
			}
		}
	}
	if s.hub() || v.image {
		return ""
	}
	owner, ok := s.topo.ix.DiskOwner[inventory.Key(v.name)]
	if !ok {
		return ""
	}
	vmID := inventory.Key(inventory.VMID(owner.CloudService.Name, owner.Role.Name))
	if st := p.Units[s.topo.vmUnit[vmID]]; st != nil && st.State == cloud.StateCommitted {
		return ""
	}
	return owner.Role.Name
}

// vhdGone is the error for a deleted VHD.
func vhdGone(op, uri string) error {
	return fmt.Errorf("%s %s: deleted: %w", op, disks.RedactURL(uri), cloud.ErrNotFound)
}
