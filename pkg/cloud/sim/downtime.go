package sim

import (
	"context"
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Overlap is a moment when two VMs of one availability set were down
// together, found in the history by DowntimeOverlaps.
type Overlap struct {
	// Set is the availability set, "<resource group>/<name>".
	Set string
	// VMs are the VM units (vm/<rg>/<name>): the one already down, then
	// the one that went down at Seq.
	VMs [2]string
	// Seq is the history sequence number of the call that took the
	// second VM down.
	Seq int64
}

func (o Overlap) String() string {
	return fmt.Sprintf("%s and %s of availability set %s down together from operation %d", o.VMs[0], o.VMs[1], o.Set, o.Seq)
}

// DowntimeOverlaps reads a history (in order) for two VMs of one
// availability set down at the same time; setOf names a VM unit's set
// ("" when in none). A VM is down from a DeallocateVM or DeleteVM until its
// next StartVM, CreateVM or ConvertToManagedDisks (each of which leaves it
// running). A call answered with a transient fault counts as having taken
// the VM down (a lost response did) but not as having brought it up, so
// the check errs towards reporting. A VM whose first recorded power call
// found it already deallocated or stopped was down before any of this and
// is left out: the disk step leaves such a VM as it found it.
func DowntimeOverlaps(ops []Operation, setOf func(vmUnit string) string) []Overlap {
	type vmState struct {
		seen, idle, down bool
	}
	vms := map[string]*vmState{}
	downIn := map[string]map[string]bool{} // set -> VM units down
	var out []Overlap
	for _, op := range ops {
		if !strings.HasPrefix(op.Unit, "vm/") {
			continue
		}
		var goesDown, comesUp bool
		switch op.Op {
		case OpDeallocateVM, OpDeleteVM:
			goesDown = op.Result != ResultFailed
		case OpStartVM, OpCreateVM, OpConvertToManagedDisks:
			comesUp = op.Result == ResultSucceeded
		default:
			continue
		}
		k := inventory.Key(op.Unit)
		st := vms[k]
		if st == nil {
			st = &vmState{}
			vms[k] = st
		}
		if !st.seen {
			st.seen = true
			switch string(op.StateBefore) {
			case cloud.PowerDeallocated, cloud.PowerStopped:
				st.idle = op.Op == OpDeallocateVM
			}
		}
		if st.idle {
			continue
		}
		set := setOf(op.Unit)
		switch {
		case goesDown && !st.down:
			st.down = true
			if set == "" {
				continue
			}
			key := inventory.Key(set)
			if downIn[key] == nil {
				downIn[key] = map[string]bool{}
			}
			for other := range downIn[key] {
				out = append(out, Overlap{Set: set, VMs: [2]string{other, op.Unit}, Seq: op.Seq})
			}
			downIn[key][op.Unit] = true
		case comesUp && st.down:
			st.down = false
			if set != "" {
				delete(downIn[inventory.Key(set)], op.Unit)
			}
		}
	}
	return out
}

// DowntimeOverlaps checks the cloud's own history with DowntimeOverlaps,
// naming each VM's availability set from the estate (as the migration or
// Azure Stack Hub placed it) and from the VMs that exist now.
func (s *Sim) DowntimeOverlaps(ctx context.Context) ([]Overlap, error) {
	ops, err := s.History(ctx)
	if err != nil {
		return nil, err
	}
	sets := map[string]string{}
	for _, cs := range s.topo.estate.CloudServices {
		rg := cs.Name + s.topo.suffix
		if s.hub() {
			rg = cs.Name
		}
		for _, r := range cs.Deployment.Roles {
			if r.AvailabilitySet != "" {
				sets[inventory.Key(vmUnit(rg, r.Name))] = rg + "/" + r.AvailabilitySet
			}
		}
	}
	err = s.update(func(p *persisted) (bool, error) {
		for _, v := range p.ARMVMs {
			if v.AvailabilitySet != "" {
				sets[inventory.Key(vmUnit(v.ResourceGroup, v.Name))] = v.ResourceGroup + "/" + v.AvailabilitySet
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read sim VMs: %w", err)
	}
	return DowntimeOverlaps(ops, func(u string) string { return sets[inventory.Key(u)] }), nil
}
