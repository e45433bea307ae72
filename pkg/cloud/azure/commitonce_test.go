package azure_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
)

// TestLostResponsesNeverDoubleCommit drives Prepare and Commit through a
// very faulty emulator (half the calls faulted, half of those after the
// operation took effect) the way the phases do: after a transient fault,
// read the state, and send again only if the operation did not happen. The
// emulator's history must show no Commit (or Prepare) that found the unit
// already there: the driver itself must not resend a migration POST (azcore
// would retry a 500 or 503 on its own).
func TestLostResponsesNeverDoubleCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out real Retry-After seconds")
	}
	inv := cloudtest.Inventory()
	e := newEnv(t, inv, setup{emu: emulator.Options{FaultRate: 0.5, Seed: 5}})
	ctx := t.Context()
	for _, id := range []string{cloudtest.UnitVNet, cloudtest.UnitLegacy, cloudtest.UnitReservedIP} {
		tgt := cloudtest.Target(id)
		sendOnce(ctx, t, e.driver, tgt, cloud.StatePrepared, e.driver.Prepare)
		sendOnce(ctx, t, e.driver, tgt, cloud.StateCommitted, e.driver.Commit)
	}
	ops, err := e.sim.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if (o.Op == "Commit" && o.StateBefore == cloud.StateCommitted) || (o.Op == "Prepare" && o.StateBefore == cloud.StatePrepared) {
			t.Errorf("%s sent to %s already %s (seq %d)", o.Op, o.Unit, o.StateBefore, o.Seq)
		}
	}
	t.Logf("%d operations reached the simulator", len(ops))
}

// sendOnce sends op until the unit reaches want, reading the state after
// every transient fault before deciding to send again. Once Commit was
// sent, a unit no longer found is committed: Commit removed the classic
// resource, and the emulator answers 404 as Azure does (the phases' rule).
func sendOnce(ctx context.Context, t *testing.T, d cloud.Migrator, tgt cloud.Target, want cloud.State, op func(context.Context, cloud.Target) error) {
	t.Helper()
	sent := false
	for attempt := 0; attempt < 40; attempt++ {
		st := readState(ctx, t, d, tgt, sent && want == cloud.StateCommitted)
		if st == want {
			return
		}
		if st == cloud.StatePreparing || st == cloud.StateCommitting {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		sent = true
		err := op(ctx, tgt)
		if err == nil {
			return
		}
		ra, ok := cloud.IsTransient(err)
		if !ok {
			t.Fatalf("%s: %v", tgt.Unit, err)
		}
		time.Sleep(ra)
	}
	t.Fatalf("%s never reached %s", tgt.Unit, want)
}

func readState(ctx context.Context, t *testing.T, d cloud.Migrator, tgt cloud.Target, commitSent bool) cloud.State {
	t.Helper()
	for attempt := 0; attempt < 40; attempt++ {
		st, err := d.State(ctx, tgt)
		if err == nil {
			return st
		}
		if commitSent && errors.Is(err, cloud.ErrNotFound) {
			return cloud.StateCommitted
		}
		ra, ok := cloud.IsTransient(err)
		if !ok && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("state of %s: %v", tgt.Unit, err)
		}
		time.Sleep(ra)
	}
	t.Fatalf("state of %s: too many faults", tgt.Unit)
	return ""
}
