package sim_test

import (
	"context"
	"slices"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

func TestDowntimeOverlaps(t *testing.T) {
	set := func(u string) string {
		switch u {
		case "vm/rg/a", "vm/rg/b":
			return "rg/as"
		}
		return ""
	}
	op := func(seq int64, name, unit, before, result string) sim.Operation {
		return sim.Operation{Seq: seq, Op: name, Unit: unit, StateBefore: cloud.State(before), Result: result}
	}
	ok := sim.ResultSucceeded
	for _, tc := range []struct {
		name string
		ops  []sim.Operation
		want []int64 // Seq of each overlap
	}{
		{"one after the other", []sim.Operation{
			op(1, sim.OpDeallocateVM, "vm/rg/a", "running", ok), op(2, sim.OpConvertToManagedDisks, "vm/rg/a", "deallocated", ok),
			op(3, sim.OpDeallocateVM, "vm/rg/b", "running", ok), op(4, sim.OpDeleteVM, "vm/rg/b", "deallocated", ok),
			op(5, sim.OpCreateVM, "vm/rg/b", "None", ok)}, nil},
		{"both down", []sim.Operation{
			op(1, sim.OpDeallocateVM, "vm/rg/a", "running", ok), op(2, sim.OpDeallocateVM, "vm/rg/b", "running", ok)}, []int64{2}},
		{"a deleted VM is down until created", []sim.Operation{
			op(1, sim.OpDeleteVM, "vm/rg/a", "running", ok), op(2, sim.OpCreateVM, "vm/rg/a", "None", "Failed"),
			op(3, sim.OpDeallocateVM, "vm/rg/b", "running", ok)}, []int64{3}},
		{"a lost response to a start does not count as started", []sim.Operation{
			op(1, sim.OpDeallocateVM, "vm/rg/a", "running", ok), op(2, sim.OpStartVM, "vm/rg/a", "deallocated", cloud.FaultInternalError),
			op(3, sim.OpDeallocateVM, "vm/rg/b", "running", ok)}, []int64{3}},
		{"a refused deallocation takes nothing down", []sim.Operation{
			op(1, sim.OpDeallocateVM, "vm/rg/a", "running", sim.ResultFailed), op(2, sim.OpDeallocateVM, "vm/rg/b", "running", ok)}, nil},
		{"VMs in no set", []sim.Operation{
			op(1, sim.OpDeallocateVM, "vm/rg/c", "running", ok), op(2, sim.OpDeallocateVM, "vm/rg/d", "running", ok)}, nil},
		{"a VM deallocated before the step is left out", []sim.Operation{
			op(1, sim.OpDeallocateVM, "vm/rg/a", "deallocated", ok), op(2, sim.OpConvertToManagedDisks, "vm/rg/a", "deallocated", ok),
			op(3, sim.OpDeallocateVM, "vm/rg/a", "running", ok), op(4, sim.OpDeallocateVM, "vm/rg/b", "running", ok)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int64
			for _, o := range sim.DowntimeOverlaps(tc.ops, set) {
				got = append(got, o.Seq)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("overlaps at %v, want %v", got, tc.want)
			}
		})
	}
}

// The Sim names each VM's set itself, on both profiles.
func TestSimDowntimeOverlaps(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), stepEstate(inventory.CloudAzureStackHub), sim.Options{})
	must(t, s.DeallocateVM(ctx, "cs", "vm1"))
	must(t, s.DeallocateVM(ctx, "solo", "vm3")) // in no set
	must(t, s.StartVM(ctx, "cs", "vm1"))
	must(t, s.DeallocateVM(ctx, "cs", "vm2"))
	got, err := s.DowntimeOverlaps(ctx)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("overlaps %v, want none", got)
	}
	must(t, s.DeallocateVM(ctx, "cs", "vm1"))
	got, err = s.DowntimeOverlaps(ctx)
	must(t, err)
	if len(got) != 1 || got[0].Set != "cs/as" || got[0].VMs != [2]string{"vm/cs/vm2", "vm/cs/vm1"} {
		t.Errorf("overlaps %v", got)
	}
}
