package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
)

// Resource Manager allows a subscription 1,200 writes an hour and answers
// more with 429 and Retry-After (resource-manager-request-limits.md). The
// budget is one for every unit and the disk step, and Prepare spends one
// write per resource it creates (throttle.go). A limit of 10 an hour makes
// the limit reachable: one write per 6 simulated minutes.
func TestARMWriteThrottle(t *testing.T) {
	t.Parallel()
	clk := newClock()
	const scale = 0.5 // a simulated hour is half an hour of this clock
	s := open(t, t.TempDir(), cloudtest.Inventory(), sim.Options{Now: clk.Now, TimeScale: scale, ARMWritesPerHour: 10})
	ctx := t.Context()
	// suite-legacy's Prepare creates 7 resources (resource group, VNet,
	// subnet, VM, NIC, public IP, load balancer); Commit creates none.
	must(t, s.Prepare(ctx, cloudtest.Target(cloudtest.UnitLegacy)))
	must(t, s.Commit(ctx, cloudtest.Target(cloudtest.UnitLegacy)))
	rg := cloudtest.ServiceLegacy + "-Migrated"
	for range 3 {
		must(t, s.DeallocateVM(ctx, rg, "legacy1"))
	}
	wantThrottled := func(err error, after time.Duration) {
		t.Helper()
		var te *cloud.TransientError
		if !errors.As(err, &te) || te.Fault != cloud.FaultThrottled || te.RetryAfter != after {
			t.Fatalf("call over the budget = %v, want Throttled with Retry-After %s", err, after)
		}
		if !strings.Contains(err.Error(), "SubscriptionRequestsThrottled") || !strings.Contains(err.Error(), "limit of '10'") {
			t.Errorf("throttled call's error %q does not say the platform's code and limit", err)
		}
	}
	// The budget is spent: one write comes back in 360 simulated seconds,
	// 180 of this clock.
	wantThrottled(s.StartVM(ctx, rg, "legacy1"), 180*time.Second)
	// A Prepare waits for as many writes as it creates resources: the
	// VNet unit's are more than the whole budget, so it waits for a full
	// bucket (an hour, half an hour of this clock).
	wantThrottled(s.Prepare(ctx, cloudtest.Target(cloudtest.UnitVNet)), 30*time.Minute)
	if st := mustState(t, s, cloudtest.UnitVNet); st != cloud.StateNone {
		t.Fatalf("VNet after a throttled Prepare: %s, want None (not processed)", st)
	}
	// Blob service calls are not Resource Manager writes.
	vm, err := s.GetVM(ctx, rg, "legacy1")
	must(t, err)
	snap, err := s.SnapshotVHD(ctx, vm.OSDisk.VHDURI)
	must(t, err)
	must(t, s.DeleteVHDSnapshot(ctx, vm.OSDisk.VHDURI, snap))

	clk.Add(180 * time.Second)
	must(t, s.StartVM(ctx, rg, "legacy1"))
	clk.Add(30 * time.Minute)
	must(t, s.Prepare(ctx, cloudtest.Target(cloudtest.UnitVNet)))

	ops, err := s.History(ctx)
	must(t, err)
	throttled := 0
	for _, op := range ops {
		if op.Result == cloud.FaultThrottled {
			throttled++
		}
	}
	if throttled != 2 {
		t.Errorf("history holds %d throttled calls, want 2: %+v", throttled, ops)
	}
}
