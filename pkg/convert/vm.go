package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"
	"sync"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/staging"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/step"
)

// vmWork is one VM's conversion within a Run. Only its goroutine touches
// rec.
type vmWork struct {
	e    *engine
	idx  int // plan order among the selected VMs
	plan *VMPlan
	rec  *vmRecord
	// ticket is the VM's place at the gate, held until it runs again or
	// the engine is done with it.
	ticket *ticket
	// mu guards rec: the VM's disks move in parallel (unlocked).
	mu sync.Mutex
}

// skipError ends a VM's conversion without changing anything.
type skipError struct{ reason string }

func (s *skipError) Error() string { return s.reason }

func (e *engine) runVM(ctx context.Context, idx int, vp *VMPlan, rec *vmRecord, t *ticket) (VMResult, error) {
	res := VMResult{ID: vp.ID}
	w := &vmWork{e: e, idx: idx, plan: vp, rec: rec, ticket: t}
	w.mu.Lock()
	err := w.run(ctx)
	w.mu.Unlock()
	e.gate.release(w.ticket)
	res.Disks = rec.diskResults()
	var skip *skipError
	switch {
	case err == nil:
		res.Status = StatusDone
	case errors.As(err, &skip):
		res.Status, res.Reason = StatusSkipped, skip.reason
	case errors.Is(err, errDrained):
		res.Status, res.Err, res.Reason = StatusInterrupted, err, err.Error()
	case ctx.Err() != nil && !step.IsStoreError(err):
		res.Status, res.Err, res.Reason = StatusInterrupted, err, "interrupted: run again (migrate resume) to continue"
	default:
		res.Status, res.Err, res.Reason = StatusFailed, err, err.Error()
		if !step.IsStoreError(err) {
			rec.Status, rec.Reason = StatusFailed, err.Error()
			w.note("", "failed: "+err.Error())
			if serr := rec.save(e.o.Journal, e.now()); serr != nil {
				return res, serr
			}
		}
	}
	e.event(Event{Target: vp.ID, Final: true, Outcome: string(res.Status), Err: res.Err, Note: res.Reason})
	if step.IsStoreError(err) {
		return res, err
	}
	return res, nil
}

func (w *vmWork) note(op, text string) {
	w.rec.Log = append(w.rec.Log, logRecord{Kind: "note", Op: op, Error: text, Time: w.e.now().UTC()})
}

func (w *vmWork) save() error { return w.rec.save(w.e.o.Journal, w.e.now()) }

func (w *vmWork) def() *cloud.VM { return w.rec.Definition }

func (w *vmWork) run(ctx context.Context) error {
	rec := w.rec
	if rec.Status == StatusDone {
		return nil
	}
	if rec.Status == StatusFailed {
		// A failed VM is tried again from where it stopped.
		w.note("", "retrying after: "+rec.Reason)
		rec.Status, rec.Reason = "", ""
	}
	if rec.Step == stepNew {
		if err := w.record(ctx); err != nil {
			return err
		}
	}
	if p := rec.Pending; p != nil {
		// An older build kept a disk's open intent in the VM's slot.
		if name, ok := diskOfTarget(p.Target); ok {
			if dr := rec.Disks[keyOf(name)]; dr != nil && dr.Pending == nil {
				dr.Pending, rec.Pending = p, nil
			}
		}
	}
	if rec.Rollback != "" {
		// A run stopped while putting a deleted VM back on its VHDs:
		// finish that first (it ends in the VM's failure, unless the
		// recreate on managed disks had taken effect after all).
		if err := w.takeDown(ctx); err != nil {
			return err
		}
		if err := w.rollback(ctx); err != nil {
			return err
		}
	}
	if rec.Restart != "" {
		// A run stopped while putting the VM back after a failed
		// verification: finish that first, and fail as it would have.
		if err := w.takeDown(ctx); err != nil {
			return err
		}
		return fmt.Errorf("disk %s: %w", rec.Restart, w.restart(ctx))
	}
	if rec.PutBack != "" {
		if err := w.takeDown(ctx); err != nil {
			return err
		}
		return w.runAgain(ctx, errors.New(rec.PutBack))
	}
	switch w.method() {
	case MethodPlatform:
		return w.platform(ctx)
	case MethodPrecopy:
		if stepOrder[rec.Step] < stepOrder[stepPrecopied] {
			if err := w.precopy(ctx); err != nil {
				return err
			}
		}
	}
	return w.recreate(ctx)
}

// method is the VM's method: the one its conversion started with, else the
// plan's; "" (a plan or record of an older build) is MethodCutover.
func (w *vmWork) method() string {
	m := w.rec.Method
	if m == "" && w.rec.Step == stepNew {
		m = w.plan.Method
	}
	if m == "" {
		return MethodCutover
	}
	return m
}

// errDrained ends a VM that was to go down when the first stage of an
// interrupt came: it is left as it runs.
var errDrained = errors.New("cut-over not started: interrupted (migrate resume continues)")

// takeDown waits for the VM's turn to be down (the gate: at most Parallel
// VMs, never two of one availability set). A VM not yet down when the
// drain came stays up.
func (w *vmWork) takeDown(ctx context.Context) error {
	if w.ticket == nil {
		w.ticket = w.e.gate.enqueue(w.idx, setKey(w.plan.ResourceGroup, w.plan.AvailabilitySet))
	}
	if err := w.e.gate.wait(ctx, w.ticket); err != nil {
		return err
	}
	if stepOrder[w.rec.Step] < stepOrder[stepDeallocated] && w.rec.Pending == nil && w.rec.Rollback == "" && w.rec.Restart == "" && w.rec.PutBack == "" && w.e.draining() {
		return errDrained
	}
	return nil
}

func (w *vmWork) deallocate(ctx context.Context) error {
	def := w.def()
	return w.ensure(ctx, OpDeallocate, VMID(def.ResourceGroup, def.Name),
		func(ctx context.Context) (bool, error) {
			vm, err := w.e.o.Compute.GetVM(ctx, def.ResourceGroup, def.Name)
			return err == nil && vm.PowerState == cloud.PowerDeallocated, ignoreNotFound(err)
		},
		func(ctx context.Context) error { return w.e.o.Compute.DeallocateVM(ctx, def.ResourceGroup, def.Name) },
		func() { w.rec.Step = stepDeallocated })
}

// recreate is the cut-over of MethodCutover and MethodPrecopy: deallocate,
// make (or finish) and verify every managed disk, delete the VM, create it
// on the managed disks. A failure once the VM is deleted recreates it on
// its VHDs (rollback).
func (w *vmWork) recreate(ctx context.Context) error {
	rec := w.rec
	def := w.def()
	vmT := VMID(def.ResourceGroup, def.Name)
	if err := w.takeDown(ctx); err != nil {
		return err
	}
	if stepOrder[rec.Step] < stepOrder[stepDeallocated] {
		// Azure refuses a managed-disk VM in a Classic set, so the set
		// is Aligned before anything can leave the VM deleted.
		if err := w.align(ctx); err != nil {
			return err
		}
		if err := w.deallocate(ctx); err != nil {
			return err
		}
	}
	if stepOrder[rec.Step] < stepOrder[stepDisks] {
		if err := w.dropMismatches(ctx); err != nil {
			return err
		}
		fn := w.disk
		if w.method() == MethodPrecopy {
			fn = w.cutoverDisk
		}
		err := w.eachDisk(ctx, fn)
		if merr := w.dropMismatches(ctx); merr != nil {
			return merr
		}
		if err != nil {
			if ctx.Err() == nil && !step.IsStoreError(err) && def.PowerState == cloud.PowerRunning &&
				stepOrder[rec.Step] >= stepOrder[stepDeallocated] {
				return w.beginPutBack(ctx, err)
			}
			return err
		}
		rec.Step = stepDisks
		w.note("", "every disk verified")
		if err := w.save(); err != nil {
			return err
		}
	}
	if stepOrder[rec.Step] < stepOrder[stepDeleted] {
		// Read again (nothing is sent when it is Aligned): a set made
		// Classic since, or a record of an older build, must not leave
		// the VM deleted.
		if err := w.align(ctx); err != nil {
			return err
		}
		err := w.ensure(ctx, OpDeleteVM, vmT,
			func(ctx context.Context) (bool, error) {
				_, err := w.e.o.Compute.GetVM(ctx, def.ResourceGroup, def.Name)
				if errors.Is(err, cloud.ErrNotFound) {
					return true, nil
				}
				return false, err
			},
			func(ctx context.Context) error { return w.e.o.Compute.DeleteVM(ctx, def.ResourceGroup, def.Name) },
			func() { rec.Step = stepDeleted })
		if err != nil {
			return err
		}
	}
	if stepOrder[rec.Step] < stepOrder[stepCreated] {
		target := managedVM(def)
		err := w.ensure(ctx, OpCreateVM, vmT,
			func(ctx context.Context) (bool, error) {
				vm, err := w.e.o.Compute.GetVM(ctx, def.ResourceGroup, def.Name)
				return err == nil && vm.Managed(), ignoreNotFound(err)
			},
			func(ctx context.Context) error { return w.e.o.Compute.CreateVM(ctx, target) },
			func() { rec.Step = stepCreated })
		if err != nil && ctx.Err() == nil && !step.IsStoreError(err) {
			return w.beginRollback(ctx, fmt.Errorf("create the VM on its managed disks: %w", err))
		}
		if err != nil {
			return err
		}
	}
	return w.finish(ctx, "converted: running on managed disks")
}

// errMismatch ends a disk's work whose managed disk failed verification
// (its record says Mismatch): dropMismatches handles it once every disk of
// the VM has stopped, since a VM that ran is put back with all its disks.
var errMismatch = fmt.Errorf("%w (the managed disk is dropped)", ErrVerify)

// dropMismatches drops the first disk that failed verification (and with
// it, for a VM that ran, every disk made: dropMismatch), failing the VM.
func (w *vmWork) dropMismatches(ctx context.Context) error {
	for _, d := range allDisks(w.def()) {
		if dr := w.rec.Disks[keyOf(d.Name)]; dr != nil && dr.Mismatch {
			return fmt.Errorf("disk %s: %w", d.Name, w.dropMismatch(ctx, d, dr))
		}
	}
	return nil
}

// maxDisksAtOnce bounds one VM's disks moving at once: each copy holds
// its own chunk buffers (disks.CopyOptions.Workers).
const maxDisksAtOnce = 4

// eachDisk runs fn for every disk of the VM in parallel (at most
// maxDisksAtOnce), each holding the VM's lock except while it waits on the
// cloud or moves data (unlocked), every one to its end; the first error
// in disk order is returned.
func (w *vmWork) eachDisk(ctx context.Context, fn func(context.Context, cloud.VMDisk) error) error {
	ds := allDisks(w.def())
	errs := make([]error, len(ds))
	sem := make(chan struct{}, maxDisksAtOnce)
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			w.mu.Lock()
			defer w.mu.Unlock()
			if err := fn(ctx, d); err != nil {
				errs[i] = fmt.Errorf("disk %s: %w", d.Name, err)
			}
		}()
	}
	w.unlocked(ctx, func(context.Context) { wg.Wait() })
	return firstErr(errs)
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// finish puts a converted VM that was deallocated before back to that
// state (CreateVM and the platform's conversion start it) and records it
// done.
func (w *vmWork) finish(ctx context.Context, note string) error {
	rec := w.rec
	def := w.def()
	if stepOrder[rec.Step] >= stepOrder[stepDone] {
		return nil
	}
	if def.PowerState == cloud.PowerDeallocated {
		err := w.ensure(ctx, OpRestore, VMID(def.ResourceGroup, def.Name),
			func(ctx context.Context) (bool, error) {
				vm, err := w.e.o.Compute.GetVM(ctx, def.ResourceGroup, def.Name)
				return err == nil && vm.PowerState == cloud.PowerDeallocated, ignoreNotFound(err)
			},
			func(ctx context.Context) error { return w.e.o.Compute.DeallocateVM(ctx, def.ResourceGroup, def.Name) },
			func() { rec.Step = stepDone })
		if err != nil {
			return err
		}
	}
	rec.Step, rec.Status = stepDone, StatusDone
	w.note("", note)
	return w.save()
}

func ignoreNotFound(err error) error {
	if errors.Is(err, cloud.ErrNotFound) {
		return nil
	}
	return err
}

func allDisks(vm *cloud.VM) []cloud.VMDisk {
	return append([]cloud.VMDisk{vm.OSDisk}, vm.DataDisks...)
}

// managedVM is the VM to create: the recorded definition on managed disks
// named as the classic disks, at the same LUNs, with everything CreateVM
// can carry over (tags, boot diagnostics, license type, caching, write
// accelerator, extensions with their public settings). osProfile secrets
// are not: a VM made on existing disks takes no osProfile (the plan lists
// them as Dropped).
func managedVM(def *cloud.VM) cloud.VM {
	vm := definedVM(def)
	vm.OSDisk.VHDURI, vm.OSDisk.ManagedDisk = "", def.OSDisk.Name
	for i := range vm.DataDisks {
		vm.DataDisks[i].VHDURI, vm.DataDisks[i].ManagedDisk = "", def.DataDisks[i].Name
	}
	return vm
}

// definedVM is the recorded definition as CreateVM takes it: on the disks
// it names (its VHDs), running, without what the platform reports but
// cannot be created (extensions' provisioning states, osProfile secrets).
func definedVM(def *cloud.VM) cloud.VM {
	vm := cloud.VM{ResourceGroup: def.ResourceGroup, Name: def.Name, Location: def.Location, Size: def.Size,
		AvailabilitySet: def.AvailabilitySet, NICs: append([]string(nil), def.NICs...), OSType: def.OSType,
		PowerState: cloud.PowerRunning, DataDisks: []cloud.VMDisk{}, BootDiagnostics: def.BootDiagnostics,
		LicenseType: def.LicenseType}
	if len(def.Tags) > 0 {
		vm.Tags = maps.Clone(def.Tags)
	}
	for _, x := range def.Extensions {
		x.ProvisioningState = ""
		vm.Extensions = append(vm.Extensions, x)
	}
	vm.OSDisk = def.OSDisk
	vm.DataDisks = append(vm.DataDisks, def.DataDisks...)
	return vm
}

// record reads the VM and records its definition before anything changes.
func (w *vmWork) record(ctx context.Context) error {
	var vm cloud.VM
	err := w.retry(ctx, "get VM", func(ctx context.Context) error {
		var err error
		vm, err = w.e.o.Compute.GetVM(ctx, w.plan.ResourceGroup, w.plan.Name)
		return err
	})
	switch {
	case errors.Is(err, cloud.ErrNotFound):
		return &skipError{"no Resource Manager VM " + w.plan.ID + ": migrate its unit first"}
	case err != nil:
		return fmt.Errorf("read the VM's definition: %w", err)
	case vm.Managed():
		return &skipError{"already on managed disks"}
	}
	if err := w.matchPlan(vm); err != nil {
		return err
	}
	m := w.method()
	if m == MethodPlatform || m == MethodPrecopy {
		// Azure refuses the platform's conversion while an extension is
		// not in Provisioning succeeded, and a recreate re-adds them: a
		// failed one would fail the VM after it went down.
		var bad []string
		for _, x := range vm.Extensions {
			if x.ProvisioningState != cloud.ExtensionSucceeded {
				bad = append(bad, fmt.Sprintf("%s (%s)", x.Name, x.ProvisioningState))
			}
		}
		if len(bad) > 0 {
			return &skipError{"extension(s) not in provisioning state Succeeded: " + strings.Join(bad, ", ") + "; fix them, then run again"}
		}
	}
	w.rec.Definition = &vm
	w.rec.Method = m
	for _, d := range allDisks(&vm) {
		dp := w.planDisk(d.Name)
		mv := dp.Movement
		switch m {
		case MethodPlatform:
			mv = movePlatform
		case MethodPrecopy:
			mv = MoveUpload
		}
		w.rec.Disks[inventory.Key(d.Name)] = &diskRecord{Name: d.Name, Movement: mv, VHDURI: d.VHDURI}
	}
	w.rec.Step = stepRecorded
	w.note(OpRecord, fmt.Sprintf("definition recorded: size %s, %d NIC(s), %d disk(s), power %s, method %s", vm.Size, len(vm.NICs), 1+len(vm.DataDisks), vm.PowerState, m))
	return w.save()
}

// matchPlan refuses a VM whose disks are not the plan's (a stale plan).
func (w *vmWork) matchPlan(vm cloud.VM) error {
	var probs []string
	if vm.OSDisk.VHDURI == "" {
		probs = append(probs, "the OS disk is not a VHD")
	}
	if !strings.EqualFold(vm.OSDisk.Name, w.plan.OSDisk.Name) {
		probs = append(probs, fmt.Sprintf("OS disk is %s, the plan says %s", vm.OSDisk.Name, w.plan.OSDisk.Name))
	}
	planned := map[string]DiskPlan{}
	for _, d := range w.plan.Disks() {
		planned[inventory.Key(d.Name)] = d
	}
	if len(vm.DataDisks) != len(w.plan.DataDisks) {
		probs = append(probs, fmt.Sprintf("%d data disks, the plan has %d", len(vm.DataDisks), len(w.plan.DataDisks)))
	}
	for _, d := range allDisks(&vm) {
		dp, ok := planned[inventory.Key(d.Name)]
		switch {
		case !ok:
			probs = append(probs, "disk "+d.Name+" is not in the plan")
		case d.ManagedDisk == "" && d.VHDURI == "":
			probs = append(probs, "disk "+d.Name+" has neither a VHD nor a managed disk")
		case d.SizeBytes != dp.SizeBytes:
			probs = append(probs, fmt.Sprintf("disk %s is %d bytes, the plan says %d", d.Name, d.SizeBytes, dp.SizeBytes))
		case dp.LUN >= 0 && d.LUN != dp.LUN:
			probs = append(probs, fmt.Sprintf("disk %s is at LUN %d, the plan says %d", d.Name, d.LUN, dp.LUN))
		}
	}
	if len(probs) > 0 {
		return fmt.Errorf("the plan is stale, build it again: %s", strings.Join(probs, "; "))
	}
	return nil
}

func (w *vmWork) planDisk(name string) DiskPlan {
	for _, d := range w.plan.Disks() {
		if strings.EqualFold(d.Name, name) {
			return d
		}
	}
	return DiskPlan{Name: name, Movement: MoveImport}
}

func diskTarget(rg, name string) string { return "disk/" + rg + "/" + name }

// disk makes one managed disk and verifies it.
func (w *vmWork) disk(ctx context.Context, d cloud.VMDisk) error {
	def := w.def()
	rg := def.ResourceGroup
	dr := w.rec.Disks[inventory.Key(d.Name)]
	dp := w.planDisk(d.Name)
	target := diskTarget(rg, d.Name)
	if dr.Verified {
		return nil
	}
	if dr.Mismatch {
		return errMismatch
	}
	if !dr.Created {
		opt := cloud.CreateImport
		if dp.Movement == MoveUpload {
			opt = cloud.CreateUpload
		}
		if err := w.createDisk(ctx, d, dr, opt); err != nil {
			return err
		}
	}
	if dp.Movement == MoveUpload && !dr.Uploaded {
		if dp.Staged && !dr.Staged {
			if err := w.stage(ctx, d, dr, dp); err != nil {
				return err
			}
		}
		if !dr.Copied {
			if err := w.upload(ctx, d, dr, dp); err != nil {
				return err
			}
		}
		err := w.ensure(ctx, OpEndUpload, target,
			func(ctx context.Context) (bool, error) {
				md, err := w.e.o.Compute.GetDisk(ctx, rg, d.Name)
				return err == nil && uploadEnded(md.State), err
			},
			func(ctx context.Context) error { return w.e.o.Data.EndUpload(ctx, rg, d.Name) },
			func() { dr.Uploaded = true })
		if err != nil {
			return err
		}
	}
	return w.verify(ctx, d, dr)
}

// createDisk makes d's managed disk: Import from its VHD server side, or
// Upload (empty, waiting for its data); in the VM's location with the
// disk's size and, for the OS disk, the VM's OS type.
func (w *vmWork) createDisk(ctx context.Context, d cloud.VMDisk, dr *diskRecord, opt string) error {
	def := w.def()
	rg := def.ResourceGroup
	dp := w.planDisk(d.Name)
	spec := cloud.ManagedDisk{ResourceGroup: rg, Name: d.Name, Location: def.Location, AccountType: dp.AccountType,
		SizeBytes: d.SizeBytes, CreateOption: opt}
	if opt == cloud.CreateImport {
		spec.SourceURI = d.VHDURI
	}
	if strings.EqualFold(d.Name, def.OSDisk.Name) {
		spec.OSType = def.OSType
	}
	w.e.event(Event{Target: w.plan.ID, Part: d.Name, Op: OpCreateDisk, Note: spec.CreateOption})
	return w.ensure(ctx, OpCreateDisk, diskTarget(rg, d.Name),
		func(ctx context.Context) (bool, error) {
			_, err := w.e.o.Compute.GetDisk(ctx, rg, d.Name)
			return err == nil, ignoreNotFound(err)
		},
		func(ctx context.Context) error { return w.e.o.Compute.CreateDisk(ctx, spec) },
		func() { dr.Created = true })
}

// deleteDisk deletes a managed disk made for the VM and forgets its
// progress (checkpoints and leaves too); its snapshots stay on record.
func (w *vmWork) deleteDisk(ctx context.Context, name string, dr *diskRecord) error {
	rg := w.def().ResourceGroup
	err := w.ensure(ctx, OpDeleteDisk, diskTarget(rg, name),
		func(ctx context.Context) (bool, error) {
			_, err := w.e.o.Compute.GetDisk(ctx, rg, name)
			if errors.Is(err, cloud.ErrNotFound) {
				return true, nil
			}
			return false, err
		},
		func(ctx context.Context) error { return w.e.o.Compute.DeleteDisk(ctx, rg, name) },
		func() { dr.reset() })
	if err != nil {
		return err
	}
	for _, leg := range []string{"stage", "upload", "precopy"} {
		if cp, err := w.e.checkpoint(rg, name, leg); err == nil {
			_ = os.Remove(cp)
		}
	}
	if p, err := w.e.leavesPath(rg, name); err == nil {
		_ = os.Remove(p)
	}
	return nil
}

func keyOf(name string) string { return inventory.Key(name) }

func uploadEnded(state string) bool {
	return state == cloud.DiskUnattached || state == cloud.DiskAttached
}

func (w *vmWork) caps(dp DiskPlan) (int64, int) {
	bw, iops := dp.MaxBandwidth, dp.MaxIOPS
	if w.e.o.MaxBandwidth > 0 {
		bw = w.e.o.MaxBandwidth
	}
	if w.e.o.MaxIOPS > 0 {
		iops = w.e.o.MaxIOPS
	}
	return bw, iops
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// pendingOn reports whether the open intent is op on target.
func (w *vmWork) pendingOn(op, target string) bool {
	p := *w.slot(target)
	return p != nil && p.Op == op && p.Target == target
}

// stage is leg 1: the source VHD to an encrypted staging image, resumable
// from its checkpoint. An open Stage intent without a checkpoint means the
// leg never wrote anything or finished (Copy removes its checkpoint last):
// a staging image that opens (its manifest is written at the very end) is
// a finished leg.
func (w *vmWork) stage(ctx context.Context, d cloud.VMDisk, dr *diskRecord, dp DiskPlan) error {
	rg := w.def().ResourceGroup
	target := diskTarget(rg, d.Name)
	cp, err := w.e.checkpoint(rg, d.Name, "stage")
	if err != nil {
		return err
	}
	st, err := w.e.stagingStore(d.Name)
	if err != nil {
		return err
	}
	if w.pendingOn(OpStage, target) && !exists(cp) {
		if src, err := staging.OpenStore(ctx, st, w.e.o.KEK); err == nil {
			sum := ""
			if m := src.Manifest(); m.ContentAlg == disks.HashTree {
				// Another kind (a v1 image of an earlier release) is
				// not comparable with the managed disk's: leg 2 gives
				// the tree of the same bytes.
				sum = m.ContentSHA256
			}
			_ = src.Close() // read-only: its close loses nothing
			return w.closeReconciled(OpStage, target, func() { dr.Staged, dr.SourceSHA256 = true, sum })
		}
	}
	bw, iops := w.caps(dp)
	return w.copyLeg(ctx, OpStage, target, func(ctx context.Context) (_ string, err error) {
		src, err := w.openVHD(ctx, d.VHDURI)
		if err != nil {
			return "", err
		}
		defer func() { _ = src.Close() }() // read-only
		sink, err := staging.NewSink(ctx, st, w.e.o.KEK, w.e.o.Cipher, src.Size())
		if err != nil {
			return "", err
		}
		defer closeWith(sink, &err, "close staging image")
		prog := &disks.Progress{}
		w.e.event(Event{Target: w.plan.ID, Part: d.Name, Op: OpStage, Progress: prog})
		sum, err := disks.Copy(ctx, src, sink, disks.CopyOptions{MaxBandwidth: bw, MaxIOPS: iops, Workers: w.e.o.Workers,
			Checkpoint: cp, Resume: exists(cp), Progress: prog})
		if err != nil {
			return "", err
		}
		return treeSum(sum)
	}, func(sum string) { dr.Staged, dr.SourceSHA256 = true, sum })
}

// openVHD opens a source VHD for reading, retrying transient faults (a
// 503 from listKeys, a throttled read) like every other read: one fault
// must not fail a whole VM (issue 13 item 4).
func (w *vmWork) openVHD(ctx context.Context, uri string) (disks.Source, error) {
	var src disks.Source
	err := w.retry(ctx, "open VHD", func(ctx context.Context) error {
		var err error
		src, err = w.e.o.Data.OpenVHD(ctx, uri)
		return err
	})
	return src, err
}

// upload is the streamed copy into a disk made with CreateUpload: from the
// source VHD, or (leg 2) from the staging image, verified before a byte is
// sent. Reconciling an open Upload intent: an upload that has ended is
// done; without a checkpoint the copy either never wrote or finished, which
// the content hashes tell apart, so nothing is sent twice.
func (w *vmWork) upload(ctx context.Context, d cloud.VMDisk, dr *diskRecord, dp DiskPlan) error {
	rg := w.def().ResourceGroup
	target := diskTarget(rg, d.Name)
	cp, err := w.e.checkpoint(rg, d.Name, "upload")
	if err != nil {
		return err
	}
	if w.pendingOn(OpUpload, target) {
		var md cloud.ManagedDisk
		err := w.retry(ctx, "get disk", func(ctx context.Context) error {
			var err error
			md, err = w.e.o.Compute.GetDisk(ctx, rg, d.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("reconcile the upload: %w", err)
		}
		if uploadEnded(md.State) {
			return w.closeReconciled(OpUpload, target, func() { dr.Copied = true })
		}
		if !exists(cp) {
			src, err := w.sourceHash(ctx, d, dr)
			if err != nil {
				return err
			}
			got, err := w.managedHash(ctx, d)
			if err != nil {
				return err
			}
			if src == got {
				return w.closeReconciled(OpUpload, target, func() { dr.Copied, dr.SourceSHA256 = true, src })
			}
		}
	}
	bw, iops := w.caps(dp)
	return w.copyLeg(ctx, OpUpload, target, func(ctx context.Context) (_ string, err error) {
		var (
			src      disks.Source
			manifest *staging.Manifest
		)
		if dp.Staged {
			st, err := w.e.stagingStore(d.Name)
			if err != nil {
				return "", err
			}
			s, err := staging.OpenStore(ctx, st, w.e.o.KEK)
			if err != nil {
				return "", fmt.Errorf("open staging image: %w", err)
			}
			defer func() { _ = s.Close() }() // read-only
			// Every MAC is checked before a byte goes to the disk.
			if err := s.Verify(ctx); err != nil {
				return "", fmt.Errorf("verify staging image: %w", err)
			}
			src, manifest = s, s.Manifest()
		} else {
			s, err := w.openVHD(ctx, d.VHDURI)
			if err != nil {
				return "", err
			}
			defer func() { _ = s.Close() }() // read-only
			src = s
		}
		sum, err := w.uploadFrom(ctx, OpUpload, d, src, cp, bw, iops)
		if err != nil {
			return "", err
		}
		if manifest != nil {
			if err := staging.VerifyContent(manifest, sum); err != nil {
				return "", err
			}
		}
		return treeSum(sum)
	}, func(sum string) { dr.Copied, dr.SourceSHA256 = true, sum })
}

// verify compares the managed disk's content hash with the source's.
func (w *vmWork) verify(ctx context.Context, d cloud.VMDisk, dr *diskRecord) error {
	src, err := w.sourceHash(ctx, d, dr)
	if err != nil {
		return err
	}
	got, err := w.managedHash(ctx, d)
	if err != nil {
		return err
	}
	dr.SourceSHA256, dr.ManagedSHA256 = src, got
	if got == src {
		dr.Verified = true
		w.note("Verify", "disk "+d.Name+" verified: sha256 "+got)
		w.e.event(Event{Target: w.plan.ID, Part: d.Name, Op: "Verify", Note: "sha256 " + got})
		return w.save()
	}
	dr.Mismatch = true
	w.note("Verify", fmt.Sprintf("disk %s MISMATCH: source sha256 %s, managed disk %s", d.Name, src, got))
	if err := w.save(); err != nil {
		return err
	}
	return errMismatch
}

// dropMismatch deletes a managed disk that failed verification, so no disk
// with wrong content stays in the cloud, and fails the VM. A VM that was
// running before the conversion is put back on its VHDs, which nothing
// has changed, and started again (restart); any other is left deallocated
// on them. A later run makes the disk again.
func (w *vmWork) dropMismatch(ctx context.Context, d cloud.VMDisk, dr *diskRecord) error {
	rg := w.def().ResourceGroup
	err := w.ensure(ctx, OpDeleteDisk, diskTarget(rg, d.Name),
		func(ctx context.Context) (bool, error) {
			_, err := w.e.o.Compute.GetDisk(ctx, rg, d.Name)
			if errors.Is(err, cloud.ErrNotFound) {
				return true, nil
			}
			return false, err
		},
		func(ctx context.Context) error { return w.e.o.Compute.DeleteDisk(ctx, rg, d.Name) },
		func() {
			dr.Mismatch, dr.Created, dr.Copied, dr.Uploaded = false, false, false, false
			dr.Snapshot, dr.Precopied, dr.Final, dr.Delta = "", false, "", false
			dr.Passes, dr.CaughtUp = 0, false
		})
	if err != nil {
		return err
	}
	for _, leg := range []string{"upload", "precopy"} {
		if cp, err := w.e.checkpoint(rg, d.Name, leg); err == nil {
			_ = os.Remove(cp)
		}
	}
	if w.def().PowerState != cloud.PowerRunning {
		return fmt.Errorf("%w: %s; the VM was left deallocated on its VHDs", ErrVerify, mismatchDetail(dr))
	}
	// The restart is journaled before anything is sent for it, so a run
	// stopped anywhere in it finishes it first (run).
	w.rec.Restart, w.rec.Step = d.Name, stepRecorded
	w.note(OpStartVM, "disk "+d.Name+" failed verification: the VM ran before the conversion, so it goes back to running on its VHDs")
	if err := w.save(); err != nil {
		return err
	}
	return w.restart(ctx)
}

func mismatchDetail(dr *diskRecord) string {
	return fmt.Sprintf("source sha256 %s, managed disk %s; the managed disk was deleted", dr.SourceSHA256, dr.ManagedSHA256)
}

// restart puts back a VM that failed verification and was running before
// the conversion: every managed disk made for it is deleted and its
// staging images forgotten (they copy VHDs that change once it runs, so a
// later run makes them all again), then it is started on its VHDs. It returns the verification failure
// (ErrVerify), saying whether the VM runs again.
func (w *vmWork) restart(ctx context.Context) error {
	bad := w.rec.Disks[inventory.Key(w.rec.Restart)]
	if bad == nil {
		bad = &diskRecord{Name: w.rec.Restart}
	}
	return w.runAgain(ctx, fmt.Errorf("%w: %s", ErrVerify, mismatchDetail(bad)))
}

// beginPutBack journals that a VM which ran before the conversion and
// failed while deallocated, before its DeleteVM, goes back to running on
// its VHDs, then does it (runAgain): one failed disk must not leave it
// down.
func (w *vmWork) beginPutBack(ctx context.Context, cause error) error {
	w.rec.PutBack, w.rec.Step = cause.Error(), stepRecorded
	w.note(OpStartVM, "the conversion failed while the VM was deallocated ("+cause.Error()+"): it ran before, so it goes back to running on its VHDs")
	if err := w.save(); err != nil {
		return err
	}
	return w.runAgain(ctx, cause)
}

// runAgain deletes every managed disk made for the VM (they copy VHDs that
// change once it runs: a later run makes them anew) and starts it on its
// VHDs, which nothing has changed; it returns verr, saying whether the VM
// runs again.
func (w *vmWork) runAgain(ctx context.Context, verr error) error {
	def := w.def()
	rg := def.ResourceGroup
	for _, d := range allDisks(def) {
		dr := w.rec.Disks[inventory.Key(d.Name)]
		if dr == nil {
			continue
		}
		if !dr.Created && !dr.Verified {
			// A staging image copies the VHD too: made again as well.
			dr.Staged = false
			continue
		}
		if err := w.deleteDisk(ctx, d.Name, dr); err != nil {
			return fmt.Errorf("%w; deleting managed disk %s before starting the VM again failed: %w", verr, d.Name, err)
		}
	}
	err := w.ensure(ctx, OpStartVM, VMID(rg, def.Name),
		func(ctx context.Context) (bool, error) {
			vm, err := w.e.o.Compute.GetVM(ctx, rg, def.Name)
			return err == nil && vm.PowerState == cloud.PowerRunning, ignoreNotFound(err)
		},
		func(ctx context.Context) error { return w.e.o.Compute.StartVM(ctx, rg, def.Name) },
		func() {
			w.rec.Restart, w.rec.PutBack = "", ""
			w.note(OpStartVM, "the VM runs again on its VHDs")
		})
	if err != nil {
		return fmt.Errorf("%w; starting the VM again on its VHDs failed: %w", verr, err)
	}
	return fmt.Errorf("%w; the VM was started again on its VHDs, as it ran before the conversion", verr)
}

// sourceHash is the source VHD's content hash: recorded by the copy that
// read it, else computed by reading the VHD.
func (w *vmWork) sourceHash(ctx context.Context, d cloud.VMDisk, dr *diskRecord) (string, error) {
	if dr.SourceSHA256 != "" {
		return dr.SourceSHA256, nil
	}
	var sum string
	err := w.retry(ctx, "hash the source VHD", func(ctx context.Context) error {
		src, err := w.e.o.Data.OpenVHD(ctx, d.VHDURI)
		if err != nil {
			return err
		}
		defer func() { _ = src.Close() }() // read-only
		sum, err = w.hash(ctx, d.Name, src)
		return err
	})
	return sum, err
}

// managedHash reads the managed disk back and hashes it.
func (w *vmWork) managedHash(ctx context.Context, d cloud.VMDisk) (string, error) {
	var sum string
	err := w.retry(ctx, "hash the managed disk", func(ctx context.Context) error {
		src, err := w.e.o.Data.OpenManaged(ctx, w.def().ResourceGroup, d.Name)
		if err != nil {
			return err
		}
		defer func() { _ = src.Close() }() // read-only
		sum, err = w.hash(ctx, d.Name, src)
		return err
	})
	return sum, err
}

func (w *vmWork) hash(ctx context.Context, disk string, src disks.Source) (string, error) {
	prog := &disks.Progress{}
	w.e.event(Event{Target: w.plan.ID, Part: disk, Op: "Verify", Progress: prog})
	sum, err := disks.Copy(ctx, src, discard{}, disks.CopyOptions{Workers: w.e.o.Workers, Progress: prog})
	if err != nil {
		return "", err
	}
	return treeSum(sum)
}

// treeSum is a copy's HashTree root, the kind every hash of the disk
// step is: a copy out of a v1 staging image hashes HashRuns for its
// manifest and the tree beside it.
func treeSum(sum disks.Summary) (string, error) {
	if sum.TreeAlg != disks.HashTree {
		return "", fmt.Errorf("the copy gave no %s content hash (it hashed %q): it cannot be compared with the managed disk's", disks.HashTree, sum.TreeAlg)
	}
	return hexSum(sum.Tree), nil
}

// discard is a sink that keeps nothing: Copy through it computes the
// content hash.
type discard struct{}

func (discard) WriteChunk(context.Context, *disks.Chunk) error { return nil }
func (discard) Finish(context.Context, disks.Summary) error    { return nil }
func (discard) Close() error                                   { return nil }

// stagingStore is the staging image of disk name in Options.Staging: a
// local folder (created 0700) or a blob container URL with a SAS.
func (e *engine) stagingStore(name string) (staging.Store, error) {
	st, err := staging.NewStore(e.o.Staging, name)
	if err != nil {
		return nil, fmt.Errorf("staging location: %w", err)
	}
	if ds, ok := st.(staging.DirStore); ok {
		if err := os.MkdirAll(ds.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("create staging folder: %w", err)
		}
	}
	return st, nil
}

// closeWith closes c and, when the function had no error, makes c's error
// its own: a sink's Close can be the write that fails.
func closeWith(c io.Closer, err *error, what string) {
	if cerr := c.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("%s: %w", what, cerr)
	}
}
