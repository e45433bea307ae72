package convert

import (
	"context"
	"fmt"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/step"
)

// movePlatform is a disk's movement when the platform converts it (the
// plan's MovePlatform): nothing moves through this machine.
const movePlatform = "Platform"

// setAligner reads and aligns availability sets: the part of
// cloud.PlatformConversion every method needs, since a managed-disk VM may
// only join an Aligned set. Options.Platform provides it; where the
// platform has no conversion (Platform nil) a Compute that implements
// these two methods does.
type setAligner interface {
	GetAvailabilitySet(ctx context.Context, resourceGroup, name string) (cloud.AvailabilitySet, error)
	AlignAvailabilitySet(ctx context.Context, resourceGroup, name string, faultDomains int) error
}

func (e *engine) aligner() setAligner {
	if e.o.Platform != nil {
		return e.o.Platform
	}
	if a, ok := e.o.Compute.(setAligner); ok {
		return a
	}
	return nil
}

// align makes the VM's availability set Aligned, with its fault domains
// lowered to what the region has for managed disks, before the VM goes
// down. Once per set in effect: the set is read first and nothing is sent
// when it is Aligned already (a VM of the set converted earlier); the gate
// keeps two VMs of one set from aligning it at once. Journaled in the VM's
// record like every changing call, reconciled by reading the SKU.
func (w *vmWork) align(ctx context.Context) error {
	def := w.def()
	if def.AvailabilitySet == "" {
		return nil
	}
	al := w.e.aligner()
	if al == nil {
		// Nothing here can read a set's SKU; CreateVM refuses a Classic
		// one, which the rollback then answers.
		return nil
	}
	rg, name := def.ResourceGroup, def.AvailabilitySet
	target := "availabilityset/" + rg + "/" + name
	var set cloud.AvailabilitySet
	err := w.retry(ctx, "get availability set", func(ctx context.Context) error {
		var err error
		set, err = al.GetAvailabilitySet(ctx, rg, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("read availability set %s: %w", target, err)
	}
	if set.SKU == cloud.AvailabilitySetAligned && !w.pendingOn(OpAlign, target) {
		return nil
	}
	fd := set.FaultDomains
	if set.MaxAlignedFaultDomains > 0 && fd > set.MaxAlignedFaultDomains {
		fd = set.MaxAlignedFaultDomains
	}
	return w.ensure(ctx, OpAlign, target,
		func(ctx context.Context) (bool, error) {
			s, err := al.GetAvailabilitySet(ctx, rg, name)
			return err == nil && s.SKU == cloud.AvailabilitySetAligned, err
		},
		func(ctx context.Context) error { return al.AlignAvailabilitySet(ctx, rg, name, fd) },
		func() {
			w.note(OpAlign, fmt.Sprintf("availability set %s is Aligned with %d fault domain(s) (was %s with %d)", name, fd, set.SKU, set.FaultDomains))
		})
}

// platform converts the VM with the platform's Convert To Managed Disks:
// its set Aligned, the VM deallocated (the REST API: "Virtual machine must
// be stop-deallocated before invoking this operation"), one call converts
// every disk and starts it keeping everything else; a VM deallocated
// before goes back to that state. An open intent is reconciled by reading
// the VM: on managed disks means converted.
func (w *vmWork) platform(ctx context.Context) error {
	rec := w.rec
	def := w.def()
	if stepOrder[rec.Step] < stepOrder[stepCreated] {
		if w.e.o.Platform == nil {
			return fmt.Errorf("the platform has no Convert To Managed Disks (its record says %s)", MethodPlatform)
		}
		if err := w.takeDown(ctx); err != nil {
			return err
		}
		if stepOrder[rec.Step] < stepOrder[stepDeallocated] {
			if err := w.align(ctx); err != nil {
				return err
			}
			if err := w.deallocate(ctx); err != nil {
				return err
			}
		}
		err := w.ensure(ctx, OpConvert, VMID(def.ResourceGroup, def.Name),
			func(ctx context.Context) (bool, error) {
				vm, err := w.e.o.Compute.GetVM(ctx, def.ResourceGroup, def.Name)
				return err == nil && vm.Managed(), err
			},
			func(ctx context.Context) error {
				return w.e.o.Platform.ConvertToManagedDisks(ctx, def.ResourceGroup, def.Name)
			},
			func() {
				rec.Step = stepCreated
				for _, dr := range rec.Disks {
					dr.Created, dr.Uploaded = true, true
				}
			})
		if err != nil && ctx.Err() == nil && !step.IsStoreError(err) && def.PowerState == cloud.PowerRunning {
			return w.startAgain(ctx, fmt.Errorf("convert to managed disks: %w", err))
		}
		if err != nil {
			return err
		}
	}
	return w.finish(ctx, "converted by the platform: running on managed disks")
}

// startAgain answers a refused platform conversion of a VM that ran
// before: it runs again on its VHDs (the platform converted nothing: a
// converted VM is finished instead) and the VM fails with cause.
func (w *vmWork) startAgain(ctx context.Context, cause error) error {
	def := w.def()
	var vm cloud.VM
	err := w.retry(ctx, "get VM", func(ctx context.Context) error {
		var err error
		vm, err = w.e.o.Compute.GetVM(ctx, def.ResourceGroup, def.Name)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w; reading the VM after it failed: %w", cause, err)
	}
	if vm.Managed() {
		w.rec.Step = stepCreated
		w.note(OpConvert, "the platform converted the VM despite the error: "+cause.Error())
		if err := w.save(); err != nil {
			return err
		}
		return w.finish(ctx, "converted by the platform: running on managed disks")
	}
	err = w.ensure(ctx, OpStartVM, VMID(def.ResourceGroup, def.Name),
		func(ctx context.Context) (bool, error) {
			vm, err := w.e.o.Compute.GetVM(ctx, def.ResourceGroup, def.Name)
			return err == nil && vm.PowerState == cloud.PowerRunning, ignoreNotFound(err)
		},
		func(ctx context.Context) error { return w.e.o.Compute.StartVM(ctx, def.ResourceGroup, def.Name) },
		func() { w.rec.Step = stepRecorded })
	if err != nil {
		return fmt.Errorf("%w; starting the VM again on its VHDs failed: %w", cause, err)
	}
	return fmt.Errorf("%w; the VM was started again on its VHDs, as it ran before", cause)
}
