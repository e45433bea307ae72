package cloudtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// maxAttempts bounds the retries of one call on transient faults: with a
// fault rate of 0.2, fifty faults in a row do not happen.
const maxAttempts = 50

// NewDriver makes a fresh driver over a fresh cloud holding inv. Each
// subtest calls it once.
type NewDriver func(t *testing.T, inv *inventory.Inventory) cloud.Migrator

// Run is the conformance suite every cloud.Migrator must pass. Each subtest
// gets a fresh driver over Inventory(). Transient faults are retried after
// their RetryAfter, as the phases do, so a driver with faults turned on must
// pass too; since the suite retries blindly (Prepare, Commit and Abort are
// idempotent on the platform) a lost response must not change the outcome.
// Run it with -race: one subtest drives different units concurrently.
func Run(t *testing.T, newDriver NewDriver) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, d cloud.Migrator)
	}{
		{"ValidateChangesNothing", testValidate},
		{"PrepareAbortPrepare", testPrepareAbort},
		{"Commit", testCommit},
		{"CommitBeforePrepare", testCommitBeforePrepare},
		{"StorageGoesLast", testStorageLast},
		{"UnknownTarget", testUnknown},
		{"CaseInsensitiveNames", testCaseInsensitive},
		{"ConcurrentTargets", testConcurrent},
		{"CancelledContext", testCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newDriver(t, Inventory()))
		})
	}
}

// retry calls fn until it returns something other than a transient fault,
// waiting RetryAfter (or a short backoff when the fault has none).
func retry(ctx context.Context, fn func() error) error {
	backoff := time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		after, ok := cloud.IsTransient(err)
		if !ok || attempt == maxAttempts {
			return err
		}
		if after <= 0 {
			after = backoff
			backoff = min(backoff*2, 100*time.Millisecond)
		}
		timer := time.NewTimer(after)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// ops wraps a driver with the suite's retries and fatal checks.
type ops struct {
	t *testing.T
	d cloud.Migrator
}

func (o ops) call(op string, unit string, fn func(context.Context, cloud.Target) error) error {
	o.t.Helper()
	ctx := o.t.Context()
	err := retry(ctx, func() error { return fn(ctx, Target(unit)) })
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, unit, err)
	}
	return nil
}

func (o ops) prepare(unit string) error { o.t.Helper(); return o.call("Prepare", unit, o.d.Prepare) }
func (o ops) commit(unit string) error  { o.t.Helper(); return o.call("Commit", unit, o.d.Commit) }
func (o ops) abort(unit string) error   { o.t.Helper(); return o.call("Abort", unit, o.d.Abort) }

func (o ops) must(err error) {
	o.t.Helper()
	if err != nil {
		o.t.Fatal(err)
	}
}

func (o ops) validate(unit string) []cloud.Message {
	o.t.Helper()
	ctx := o.t.Context()
	var msgs []cloud.Message
	o.must(retry(ctx, func() error {
		var err error
		msgs, err = o.d.Validate(ctx, Target(unit))
		return err
	}))
	return msgs
}

func (o ops) state(unit string) cloud.State {
	o.t.Helper()
	ctx := o.t.Context()
	var st cloud.State
	o.must(retry(ctx, func() error {
		var err error
		st, err = o.d.State(ctx, Target(unit))
		return err
	}))
	return st
}

func (o ops) wantState(unit string, want cloud.State) {
	o.t.Helper()
	if got := o.state(unit); got != want {
		o.t.Fatalf("State(%s) = %s, want %s", unit, got, want)
	}
}

// wantCommitted checks a unit Commit was sent to: Committed, or
// cloud.ErrNotFound, since Commit removes the classic resource and a driver
// of a real cloud (the azure driver against Azure or `sim serve`) then no
// longer finds it; callers that sent Commit read that as Committed
// (cloud.Migrator's contract).
func (o ops) wantCommitted(unit string) {
	o.t.Helper()
	ctx := o.t.Context()
	var st cloud.State
	err := retry(ctx, func() error {
		var err error
		st, err = o.d.State(ctx, Target(unit))
		return err
	})
	switch {
	case errors.Is(err, cloud.ErrNotFound):
	case err != nil:
		o.t.Fatal(err)
	case st != cloud.StateCommitted:
		o.t.Fatalf("State(%s) = %s, want Committed (or not found)", unit, st)
	}
}

func (o ops) wantStateError(err error) {
	o.t.Helper()
	var se *cloud.StateError
	if !errors.As(err, &se) {
		o.t.Fatalf("got %v, want *cloud.StateError", err)
	}
}

func testValidate(t *testing.T, d cloud.Migrator) {
	o := ops{t, d}
	msgs := o.validate(UnitVNet)
	found := false
	for _, m := range msgs {
		if m.Category == "Error" {
			t.Errorf("Validate(%s): unexpected Error %q", UnitVNet, m.Message)
		}
		if m.Category == "Warning" && strings.Contains(m.Message, "BGInfo") && strings.EqualFold(m.VirtualMachine, "web1") {
			found = true
		}
	}
	if !found {
		t.Errorf("Validate(%s) = %+v, want a Warning about Extension BGInfo on VM web1", UnitVNet, msgs)
	}
	for _, u := range []string{UnitLegacy, UnitNSG, UnitReservedIP} {
		for _, m := range o.validate(u) {
			if m.Category == "Error" {
				t.Errorf("Validate(%s): unexpected Error %q", u, m.Message)
			}
		}
	}
	for _, u := range Units() {
		o.wantState(u, cloud.StateNone)
	}
}

func testPrepareAbort(t *testing.T, d cloud.Migrator) {
	o := ops{t, d}
	for _, u := range []string{UnitVNet, UnitLegacy, UnitNSG} {
		o.must(o.prepare(u))
		o.wantState(u, cloud.StatePrepared)
		o.must(o.prepare(u)) // idempotent
		o.wantState(u, cloud.StatePrepared)
		o.must(o.abort(u))
		o.wantState(u, cloud.StateNone)
		o.must(o.abort(u)) // idempotent on None
		o.wantState(u, cloud.StateNone)
		o.must(o.prepare(u)) // after Abort
		o.wantState(u, cloud.StatePrepared)
	}
	o.wantState(UnitReservedIP, cloud.StateNone)
}

func testCommit(t *testing.T, d cloud.Migrator) {
	o := ops{t, d}
	for _, u := range []string{UnitVNet, UnitReservedIP} {
		o.must(o.prepare(u))
		o.must(o.commit(u))
		o.wantCommitted(u)
		o.must(o.commit(u)) // a no-op success
		o.wantCommitted(u)
		o.wantStateError(o.abort(u))
		o.wantCommitted(u)
		o.wantStateError(o.prepare(u))
		o.wantCommitted(u)
	}
}

func testCommitBeforePrepare(t *testing.T, d cloud.Migrator) {
	o := ops{t, d}
	o.wantStateError(o.commit(UnitNSG))
	o.wantState(UnitNSG, cloud.StateNone)
	o.must(o.prepare(UnitNSG))
	o.wantState(UnitNSG, cloud.StatePrepared)
}

func testStorageLast(t *testing.T, d cloud.Migrator) {
	o := ops{t, d}
	hasError := func() bool {
		for _, m := range o.validate(UnitStorage) {
			if m.Category == "Error" {
				return true
			}
		}
		return false
	}
	// The platform's Validate of a storage account does not look at the
	// VMs using its disks (migrating them first is the operator's
	// prerequisite: migration-classic-resource-manager-ps.md, "Migrate a
	// storage account"), so only Prepare is required to refuse or fail.
	refused := func() {
		t.Helper()
		err := o.prepare(UnitStorage)
		var se *cloud.StateError
		var oe *cloud.OperationError
		if !errors.As(err, &se) && !errors.As(err, &oe) {
			t.Fatalf("Prepare(%s) before its VMs migrated = %v, want *cloud.StateError or *cloud.OperationError", UnitStorage, err)
		}
		switch st := o.state(UnitStorage); st {
		case cloud.StateNone:
		case cloud.StatePrepareFailed:
			o.must(o.abort(UnitStorage))
		default:
			t.Fatalf("State(%s) after refused Prepare = %s", UnitStorage, st)
		}
	}
	refused()
	o.must(o.prepare(UnitVNet))
	o.must(o.commit(UnitVNet))
	refused() // the legacy VM is still classic
	o.must(o.prepare(UnitLegacy))
	refused() // prepared is not committed
	o.must(o.commit(UnitLegacy))
	if hasError() {
		t.Fatalf("Validate(%s): still an Error after every VM committed", UnitStorage)
	}
	o.must(o.prepare(UnitStorage))
	o.must(o.commit(UnitStorage))
	o.wantCommitted(UnitStorage)
}

func testUnknown(t *testing.T, d cloud.Migrator) {
	ctx := t.Context()
	for _, unit := range []string{"vnet/no-such-vnet", "cloudservice/no-such-service", "storage/nosuchaccount", "nsg/no-such-nsg", "routetable/no-such-table", "reservedip/no-such-ip"} {
		tg := Target(unit)
		calls := map[string]func() error{
			"Validate": func() error { _, err := d.Validate(ctx, tg); return err },
			"Prepare":  func() error { return d.Prepare(ctx, tg) },
			"Commit":   func() error { return d.Commit(ctx, tg) },
			"Abort":    func() error { return d.Abort(ctx, tg) },
			"State":    func() error { _, err := d.State(ctx, tg); return err },
		}
		for name, fn := range calls {
			if err := retry(ctx, fn); !errors.Is(err, cloud.ErrNotFound) {
				t.Errorf("%s(%s) = %v, want cloud.ErrNotFound", name, unit, err)
			}
		}
	}
}

func testCaseInsensitive(t *testing.T, d cloud.Migrator) {
	o := ops{t, d}
	ctx := t.Context()
	upper := Target(UnitVNet)
	upper.Name = strings.ToUpper(upper.Name)
	upper.Unit = "vnet/" + upper.Name
	o.must(retry(ctx, func() error { return d.Prepare(ctx, upper) }))
	o.wantState(UnitVNet, cloud.StatePrepared)
	var st cloud.State
	o.must(retry(ctx, func() error {
		var err error
		st, err = d.State(ctx, upper)
		return err
	}))
	if st != cloud.StatePrepared {
		t.Fatalf("State(%s) = %s, want Prepared", upper.Unit, st)
	}
	o.must(o.commit(UnitVNet))
	o.wantCommitted("vnet/Suite-VNet")
}

func testConcurrent(t *testing.T, d cloud.Migrator) {
	o := ops{t, d}
	units := []string{UnitVNet, UnitLegacy, UnitNSG, UnitReservedIP}
	var wg sync.WaitGroup
	errs := make([]error, len(units))
	for i, u := range units {
		wg.Go(func() {
			if err := o.prepare(u); err != nil {
				errs[i] = err
				return
			}
			errs[i] = o.commit(u)
		})
	}
	wg.Wait()
	for _, err := range errs {
		o.must(err)
	}
	for _, u := range units {
		o.wantCommitted(u)
	}
}

func testCancelled(t *testing.T, d cloud.Migrator) {
	o := ops{t, d}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tg := Target(UnitNSG)
	calls := map[string]func() error{
		"Validate": func() error { _, err := d.Validate(ctx, tg); return err },
		"Prepare":  func() error { return d.Prepare(ctx, tg) },
		"Commit":   func() error { return d.Commit(ctx, tg) },
		"Abort":    func() error { return d.Abort(ctx, tg) },
		"State":    func() error { _, err := d.State(ctx, tg); return err },
	}
	for name, fn := range calls {
		if err := fn(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want context.Canceled", name, err)
		}
	}
	// A call refused for its context may or may not have reached the cloud;
	// either way the unit is in a state it can go on from.
	switch st := o.state(UnitNSG); st {
	case cloud.StateNone, cloud.StatePrepared:
	default:
		t.Errorf("State(%s) after cancelled calls = %s", UnitNSG, st)
	}

	// Cancelled while in flight: the call returns (this test hangs if a
	// driver ignores ctx while it polls), with the context's error unless the
	// operation beat the cancellation; the operation goes on in the cloud.
	unit := UnitReservedIP
	ctx, cancel = context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Prepare(ctx, Target(unit)) }()
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		if _, transient := cloud.IsTransient(err); !transient {
			t.Fatalf("Prepare(%s) cancelled in flight = %v, want nil or context.Canceled", unit, err)
		}
	}
	st := o.state(unit)
	for st == cloud.StatePreparing {
		time.Sleep(time.Millisecond) // the operation finishes in the cloud
		st = o.state(unit)
	}
	if st != cloud.StateNone && st != cloud.StatePrepared {
		t.Fatalf("State(%s) after a cancelled Prepare = %s, want None or Prepared", unit, st)
	}
	o.must(o.prepare(unit))
	o.wantState(unit, cloud.StatePrepared)
}
