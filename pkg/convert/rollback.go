package convert

import (
	"context"
	"errors"
	"fmt"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

// beginRollback journals that the deleted VM goes back on its VHDs because
// of cause, before anything is sent for it, then does it.
func (w *vmWork) beginRollback(ctx context.Context, cause error) error {
	w.rec.Rollback = cause.Error()
	w.note(OpRollback, "the VM is deleted and cannot be created on its managed disks: recreating it on its VHDs ("+cause.Error()+")")
	if err := w.save(); err != nil {
		return err
	}
	return w.rollback(ctx)
}

// rollback recreates a VM deleted by a recreate on its original VHDs from
// its recorded definition, as it was (size, NICs, set, LUNs, caching,
// tags, extensions...), so no failure leaves it deleted. The VHDs are the
// originals: nothing wrote to them since the VM was deallocated. Then the
// managed disks made for it are deleted (they copy VHDs the running VM
// changes again; a later run makes them anew), a VM deallocated before is
// deallocated again, and the VM fails with the recorded cause. Reconciled
// by reading: a VM that exists on managed disks was created after all and
// its conversion goes on (nil); one on its VHDs is the rollback done.
func (w *vmWork) rollback(ctx context.Context) error {
	rec := w.rec
	def := w.def()
	rg := def.ResourceGroup
	vmT := VMID(rg, def.Name)
	cause := errors.New(rec.Rollback)
	if stepOrder[rec.Step] >= stepOrder[stepDeleted] {
		var (
			vm     cloud.VM
			exists bool
		)
		err := w.retry(ctx, "get VM", func(ctx context.Context) error {
			var err error
			vm, err = w.e.o.Compute.GetVM(ctx, rg, def.Name)
			exists = err == nil
			return ignoreNotFound(err)
		})
		if err != nil {
			return fmt.Errorf("%w; reading the VM before recreating it on its VHDs: %w", cause, err)
		}
		if exists && vm.Managed() && !w.pendingOn(OpRollback, vmT) {
			rec.Rollback, rec.Step = "", stepCreated
			w.note(OpRollback, "the VM runs on its managed disks after all: no rollback")
			return w.save()
		}
		original := definedVM(def)
		err = w.ensure(ctx, OpRollback, vmT,
			func(ctx context.Context) (bool, error) {
				_, err := w.e.o.Compute.GetVM(ctx, rg, def.Name)
				return err == nil, ignoreNotFound(err)
			},
			func(ctx context.Context) error {
				err := w.e.o.Compute.CreateVM(ctx, original)
				var oe *cloud.OperationError
				if errors.As(err, &oe) && original.AvailabilitySet != "" {
					// Azure refuses a VM on VHDs in an Aligned set ("...
					// addition of a VM with blob based disks to managed
					// Availability Set is not supported"), and the set was
					// aligned before the delete. A VM running outside its
					// set beats a VM deleted: it is made there, and the
					// failure says so.
					noSet := original
					noSet.AvailabilitySet = ""
					w.e.event(Event{Target: w.plan.ID, Op: OpRollback, Err: err, Note: "recreating outside availability set " + original.AvailabilitySet})
					return w.e.o.Compute.CreateVM(ctx, noSet)
				}
				return err
			},
			func() {
				rec.Step = stepDeallocated
				w.note(OpRollback, "the VM runs again on its original VHDs")
			})
		if err != nil {
			return fmt.Errorf("%w; recreating the VM on its VHDs failed (run again to retry): %w", cause, err)
		}
	}
	// The VM runs on its VHDs: the managed disks made from them are stale.
	for _, d := range allDisks(def) {
		dr := w.rec.Disks[keyOf(d.Name)]
		if dr == nil || !dr.Created {
			continue
		}
		if err := w.deleteDisk(ctx, d.Name, dr); err != nil {
			return fmt.Errorf("%w; deleting managed disk %s after the rollback failed: %w", cause, d.Name, err)
		}
	}
	if def.PowerState == cloud.PowerDeallocated {
		err := w.ensure(ctx, OpRestore, vmT,
			func(ctx context.Context) (bool, error) {
				vm, err := w.e.o.Compute.GetVM(ctx, rg, def.Name)
				return err == nil && vm.PowerState == cloud.PowerDeallocated, ignoreNotFound(err)
			},
			func(ctx context.Context) error { return w.e.o.Compute.DeallocateVM(ctx, rg, def.Name) },
			func() {})
		if err != nil {
			return fmt.Errorf("%w; the VM runs on its VHDs, deallocating it again failed: %w", cause, err)
		}
	}
	outcome := "the VM was recreated on its original VHDs as it was"
	if def.AvailabilitySet != "" {
		var vm cloud.VM
		err := w.retry(ctx, "get VM", func(ctx context.Context) error {
			var err error
			vm, err = w.e.o.Compute.GetVM(ctx, rg, def.Name)
			return err
		})
		if err == nil && vm.AvailabilitySet == "" {
			outcome = "the VM was recreated on its original VHDs as it was, but OUTSIDE availability set " + def.AvailabilitySet +
				" (the platform refuses a VM on VHDs in an Aligned set): move it back by converting it"
		}
	}
	rec.Rollback, rec.Step = "", stepRecorded
	w.note(OpRollback, "rolled back: "+outcome)
	if err := w.save(); err != nil {
		return err
	}
	return fmt.Errorf("%w; %s", cause, outcome)
}
