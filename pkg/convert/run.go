package convert

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/exitcode"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/step"
)

// Status is how a run left a VM.
type Status string

// VM statuses.
const (
	// StatusDone: the VM is on managed disks (or was already), every disk
	// verified, its power state as before.
	StatusDone Status = "done"
	// StatusFailed: the VM is on its VHDs as before, or needs the
	// operator (Reason).
	StatusFailed Status = "failed"
	// StatusSkipped: nothing of the VM changed (Reason says why).
	StatusSkipped Status = "skipped"
	// StatusInterrupted: the run stopped with the VM half done; resume
	// continues it.
	StatusInterrupted Status = "interrupted"
)

// VMResult is one VM's outcome.
type VMResult struct {
	// ID is the VM's id in the plan (VMPlan.ID).
	ID     string `json:"id"`
	Status Status `json:"status"`
	// Reason says why a VM failed or was skipped.
	Reason string       `json:"reason,omitempty"`
	Err    error        `json:"-"`
	Disks  []DiskResult `json:"disks"`
}

// DiskResult is one disk's outcome.
type DiskResult struct {
	Name          string `json:"name"`
	Movement      string `json:"movement"`
	SourceSHA256  string `json:"sourceSha256,omitempty"`
	ManagedSHA256 string `json:"managedSha256,omitempty"`
	Verified      bool   `json:"verified"`
}

// Result is every selected VM's outcome, in plan order.
type Result struct {
	VMs []VMResult `json:"vms"`
}

// Exit codes of cli.md, from the one map in pkg/exitcode.
const (
	ExitOK          = exitcode.OK
	ExitFailed      = exitcode.Failed
	ExitInterrupted = exitcode.Interrupted
)

// ExitCode maps the result to cli.md's codes (exitcode.Worst): 4 if any VM
// was interrupted (resume continues it), else 1 if any failed, else 0.
func (r Result) ExitCode() int {
	codes := make([]int, 0, len(r.VMs))
	for _, v := range r.VMs {
		switch v.Status {
		case StatusInterrupted:
			codes = append(codes, exitcode.Interrupted)
		case StatusFailed:
			codes = append(codes, exitcode.Failed)
		}
	}
	return exitcode.Worst(codes...)
}

// ErrVerify is wrapped by a VM's error when a managed disk's content hash
// differs from its source's.
var ErrVerify = errors.New("managed disk content differs from its source")

// Run converts the selected VMs of o.Plan, each journaled write-ahead in
// its own record so a run killed at any instant is continued by running
// again with the same journal. Before anything changes, a VM in o.Blocked
// is skipped with its reason, and (platform, precopy) a VM with an
// extension not in provisioning state Succeeded is skipped naming it.
// Then, by the VM's method:
//
//  1. the VM's definition (GetVM) is recorded before anything changes;
//  2. (precopy, while the VM runs) per disk, in parallel: CreateDisk
//     (Upload), SnapshotVHD, the snapshot copied and read back leaf by
//     leaf;
//  3. the VM waits for its turn to be down (at most o.Parallel VMs,
//     never two of one availability set), its set is made Aligned, and it
//     is deallocated;
//  4. platform: ConvertToManagedDisks converts and starts it; go to 8;
//  5. per disk, in parallel: cutover: CreateDisk (Import), or CreateDisk
//     (Upload), the copy (through a staging image with o.Staging) and
//     EndUpload, then the managed disk is read back and its content hash
//     compared with the source's; precopy: SnapshotVHD again, the pages
//     changed since copied (zeros included), their chunks read back on
//     both sides, EndUpload. Every disk is verified before the VM is
//     deleted: on a mismatch the bad managed disk is deleted and the VM
//     fails, still on its VHDs; if it was running before, the managed
//     disks made for it are deleted too and StartVM runs it again on its
//     VHDs, as after any other failure while it is down;
//  6. DeleteVM (disks, VHDs, snapshots and NIC stay);
//  7. CreateVM on the managed disks with the recorded definition (size,
//     set, NICs, LUNs, tags, caching, extensions...); it starts running.
//     Any failure from DeleteVM on recreates the VM on its original VHDs
//     (rollback) and fails it;
//  8. a VM that was deallocated before is deallocated again.
//
// An open intent is reconciled by reading the VM or disk before anything
// is sent again; a completed upload is never sent again and an interrupted
// one resumes from its checkpoint. Transient faults are retried after
// their Retry-After (or a backoff), up to MaxAttempts. A VM already on
// managed disks, or without a Resource Manager VM (not migrated), is
// skipped. The error is about the options (ErrOptions, ErrUnknownVM, a
// *PlanError: nothing changed) or a journal failure; everything else is in
// the VMs' results.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.defaults(); err != nil {
		return Result{}, err
	}
	sel, err := selectVMs(o.Plan, o.VMs)
	if err != nil {
		return Result{}, err
	}
	var perr PlanError
	for _, v := range sel {
		for _, p := range v.Problems {
			perr.Problems = append(perr.Problems, Problem{VM: v.ID, Message: p})
		}
	}
	if len(perr.Problems) > 0 {
		return Result{}, &perr
	}
	if err := checkMethods(&o, sel); err != nil {
		return Result{}, err
	}
	e := &engine{o: o, gate: newGate(o.Parallel), copying: make(chan struct{}, o.Parallel)}
	e.eng = step.New(o.policy(), func(b step.Boundary, vm, op string) {
		if o.OnBoundary != nil {
			o.OnBoundary(b, vm, op)
		}
	}, o.Events)
	res := Result{VMs: make([]VMResult, len(sel))}
	recs := make([]*vmRecord, len(sel))
	for i, v := range sel {
		rec, err := loadRecord(o.Journal, v.ID)
		if err != nil {
			return Result{}, &step.StoreError{Err: err}
		}
		recs[i] = rec
	}
	// The gate's queue is filled before any VM starts, so who goes down
	// first does not depend on goroutine scheduling: the VMs a stopped run
	// left down first, then the others in plan order. A VM that pre-copies
	// joins the queue once its copy is done.
	tickets := make([]*ticket, len(sel))
	for i, v := range sel {
		if recs[i].down() {
			tickets[i] = e.gate.admit(i, setKey(v.ResourceGroup, v.AvailabilitySet))
		}
	}
	skipped := make([]string, len(sel))
	for i, v := range sel {
		rec := recs[i]
		if reason, ok := o.blocked(v.ID); ok && rec.untouched() {
			skipped[i] = reason
			continue
		}
		if tickets[i] != nil || rec.Status == StatusDone {
			continue
		}
		if m := rec.Method; (m == "" && rec.Step == stepNew && v.Method == MethodPrecopy) || (m == MethodPrecopy && stepOrder[rec.Step] < stepOrder[stepPrecopied]) {
			continue
		}
		tickets[i] = e.gate.enqueue(i, setKey(v.ResourceGroup, v.AvailabilitySet))
	}
	g, gctx := errgroup.WithContext(ctx)
	for i, v := range sel {
		if skipped[i] != "" {
			res.VMs[i] = VMResult{ID: v.ID, Status: StatusSkipped, Reason: skipped[i], Disks: []DiskResult{}}
			e.event(Event{Target: v.ID, Final: true, Outcome: string(StatusSkipped), Note: skipped[i]})
			continue
		}
		g.Go(func() error {
			if e.draining() {
				e.gate.release(tickets[i])
				res.VMs[i] = VMResult{ID: v.ID, Status: StatusInterrupted, Reason: "not started: interrupted (migrate resume continues)"}
				return nil
			}
			r, err := e.runVM(gctx, i, v, recs[i], tickets[i])
			res.VMs[i] = r
			if step.IsStoreError(err) {
				return err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	return res, nil
}

// checkMethods refuses, before anything changes, a plan whose methods the
// options cannot carry out.
func checkMethods(o *Options, sel []*VMPlan) error {
	for _, v := range sel {
		switch v.Method {
		case "", MethodCutover:
		case MethodPlatform:
			if o.Platform == nil {
				return fmt.Errorf("%w: %s: the plan converts it with the platform's Convert To Managed Disks, which this platform does not have", ErrOptions, v.ID)
			}
		case MethodPrecopy:
			if o.Snapshots == nil {
				return fmt.Errorf("%w: %s: the plan pre-copies it, which needs the VHDs' blob snapshots", ErrOptions, v.ID)
			}
		default:
			return fmt.Errorf("%w: %s: unknown method %q", ErrOptions, v.ID, v.Method)
		}
	}
	return nil
}

// blocked is why the VM must wait (Options.Blocked), if it must.
func (o *Options) blocked(id string) (string, bool) {
	if r, ok := o.Blocked[id]; ok {
		return r, true
	}
	for k, r := range o.Blocked {
		if inventory.Key(k) == inventory.Key(id) {
			return r, true
		}
	}
	return "", false
}

func selectVMs(p *Plan, ids []string) ([]*VMPlan, error) {
	if len(ids) == 0 {
		out := make([]*VMPlan, len(p.VMs))
		for i := range p.VMs {
			out[i] = &p.VMs[i]
		}
		return out, nil
	}
	want := map[*VMPlan]bool{}
	var unknown []string
	for _, id := range ids {
		v := p.Lookup(id)
		if v == nil {
			unknown = append(unknown, id)
			continue
		}
		want[v] = true
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%w: %s (want vm/<resource group>/<name> or cloudservice/<cs>/<vm>)", ErrUnknownVM, strings.Join(unknown, ", "))
	}
	var out []*VMPlan
	for i := range p.VMs {
		if want[&p.VMs[i]] {
			out = append(out, &p.VMs[i])
		}
	}
	return out, nil
}

// engine is one Run.
type engine struct {
	o   Options
	eng *step.Engine
	// gate admits VMs to their downtime; copying bounds the VMs
	// pre-copying at once (Parallel), apart from the gate since a VM
	// copying while it runs is not down.
	gate    *gate
	copying chan struct{}
}

// draining reports whether the first stage of an interrupt has come.
func (e *engine) draining() bool {
	if e.o.Drain == nil {
		return false
	}
	select {
	case <-e.o.Drain:
		return true
	default:
		return false
	}
}

func (e *engine) event(ev Event) { e.eng.Emit(ev) }

// now is the policy's clock.
func (e *engine) now() time.Time { return e.eng.Policy().Now() }

// checkpoint is where a disk's copy leg keeps its checkpoint.
func (e *engine) checkpoint(rg, disk, leg string) (string, error) {
	dir := filepath.Join(e.o.StateDir, "convert")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create checkpoint folder: %w", err)
	}
	return filepath.Join(dir, safeName(rg)+"__"+safeName(disk)+"."+leg+".checkpoint"), nil
}

// safeName keeps a resource name usable as a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', ':', 0:
			return '_'
		}
		return r
	}, inventory.Key(s))
}

func (r *vmRecord) diskResults() []DiskResult {
	var out []DiskResult
	var names []string
	if r.Definition != nil {
		for _, d := range append([]cloud.VMDisk{r.Definition.OSDisk}, r.Definition.DataDisks...) {
			names = append(names, inventory.Key(d.Name))
		}
	}
	for _, n := range names {
		d, ok := r.Disks[n]
		if !ok {
			continue
		}
		out = append(out, DiskResult{Name: d.Name, Movement: d.Movement, SourceSHA256: d.SourceSHA256, ManagedSHA256: d.ManagedSHA256, Verified: d.Verified})
	}
	return out
}

func hexSum(b [32]byte) string { return hex.EncodeToString(b[:]) }
