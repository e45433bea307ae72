package sim_test

import (
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/plan"
)

// With a timing model, each operation takes the model's likely duration
// for its unit (the plan's unit, so the forecast and the simulator agree),
// on a simulated clock that the real delays between calls do not move: a
// unit's Validate, Prepare and Commit sent one after the other follow each
// other exactly, and operations sent together start together.
func TestOperationsFollowTheTimingModel(t *testing.T) {
	t.Parallel()
	inv := cloudtest.Inventory()
	m := plan.DefaultModel()
	p, err := plan.Build(inv)
	must(t, err)
	// A hand-moved clock: an operation ends only when the test says, so
	// what is sent together starts together however slow the machine is.
	clk := newClock()
	s := open(t, t.TempDir(), inv, sim.Options{Timing: m, TimeScale: 1e-5, Now: clk.Now})
	ctx := t.Context()
	begin := func(op, unit string) int64 {
		t.Helper()
		id, err := s.Begin(ctx, op, cloudtest.Target(unit))
		must(t, err)
		return id
	}
	// finish moves the clock by step and checks that ids have ended.
	finish := func(step time.Duration, ids ...int64) {
		t.Helper()
		clk.Add(step)
		for _, id := range ids {
			if done, err := s.Poll(ctx, id); !done || err != nil {
				t.Fatalf("operation %d after its time: done %v, %v", id, done, err)
			}
		}
	}

	_, err = s.Validate(ctx, cloudtest.Target(cloudtest.UnitLegacy))
	must(t, err)
	finish(time.Hour, begin(sim.OpPrepare, cloudtest.UnitLegacy))
	finish(time.Hour, begin(sim.OpCommit, cloudtest.UnitLegacy))
	// Sent together: they start together; the shorter ends first (the
	// clock moves past the NSG's 2 minutes, scaled, not the VNet's 13).
	vnet, nsg := begin(sim.OpPrepare, cloudtest.UnitVNet), begin(sim.OpPrepare, cloudtest.UnitNSG)
	finish(3*time.Minute/100000, nsg)
	finish(time.Hour, begin(sim.OpAbort, cloudtest.UnitNSG), vnet)

	ops, err := s.History(ctx)
	must(t, err)
	want := func(unit string, op plan.Operation) time.Duration {
		return m.Duration(p.Unit(unit), op).Likely
	}
	v, pr, c := want(cloudtest.UnitLegacy, plan.OpValidate), want(cloudtest.UnitLegacy, plan.OpPrepare), want(cloudtest.UnitLegacy, plan.OpCommit)
	tests := []struct {
		op, unit        string
		start, duration time.Duration
	}{
		{sim.OpValidate, cloudtest.UnitLegacy, 0, v},
		{sim.OpPrepare, cloudtest.UnitLegacy, v, pr},
		{sim.OpCommit, cloudtest.UnitLegacy, v + pr, c},
		{sim.OpPrepare, cloudtest.UnitVNet, v + pr + c, want(cloudtest.UnitVNet, plan.OpPrepare)},
		{sim.OpPrepare, cloudtest.UnitNSG, v + pr + c, want(cloudtest.UnitNSG, plan.OpPrepare)},
		// Abort takes Commit's figure; it starts when the NSG's Prepare
		// (the shorter) ended.
		{sim.OpAbort, cloudtest.UnitNSG, v + pr + c + want(cloudtest.UnitNSG, plan.OpPrepare), want(cloudtest.UnitNSG, plan.OpCommit)},
	}
	started := 0 // history lines of calls that started an operation
	for _, op := range ops {
		if op.SimDuration > 0 {
			started++
		}
	}
	if started != len(tests) {
		t.Fatalf("history = %+v, want %d operations started", ops, len(tests))
	}
	for _, tc := range tests {
		found := false
		for _, op := range ops {
			if op.Op != tc.op || op.Unit != tc.unit || op.SimDuration == 0 {
				continue
			}
			found = true
			if op.SimStart != tc.start || op.SimDuration != tc.duration {
				t.Errorf("%s %s: simulated start %s, duration %s; want %s, %s", tc.op, tc.unit, op.SimStart, op.SimDuration, tc.start, tc.duration)
			}
		}
		if !found {
			t.Errorf("no %s %s in %+v", tc.op, tc.unit, ops)
		}
	}
	if v == 0 || pr == 0 || c == 0 {
		t.Fatalf("the model gives a zero duration: %s %s %s", v, pr, c)
	}
}
