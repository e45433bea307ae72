package convert

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/step"
)

// Boundary is a point of a changing call around its journal records: the
// engine's (step.Boundary), kept under this name for the callers of this
// package.
type Boundary = step.Boundary

// Operations the engine journals. The cloud calls carry the driver's names;
// Stage and Upload are the copier's legs (source to staging image, source
// or staging image to the managed disk); Verify records a hash comparison.
const (
	OpRecord     = "Record"
	OpDeallocate = "DeallocateVM"
	OpCreateDisk = "CreateDisk"
	OpStage      = "Stage"
	OpUpload     = "Upload"
	OpEndUpload  = "EndUpload"
	OpDeleteDisk = "DeleteDisk"
	OpDeleteVM   = "DeleteVM"
	OpCreateVM   = "CreateVM"
	OpRestore    = "RestorePowerState"
	OpStartVM    = "StartVM"
	// OpAlign makes the VM's availability set Aligned before the VM goes
	// down (platform) or is deleted (recreate methods).
	OpAlign = "AlignAvailabilitySet"
	// OpConvert is the platform's Convert To Managed Disks.
	OpConvert = "ConvertToManagedDisks"
	// OpSnapshot snapshots a VHD's page blob (precopy); OpPrecopy copies
	// the first snapshot while the VM runs, OpDelta what changed by the
	// cut-over's snapshot.
	OpSnapshot = "SnapshotVHD"
	OpPrecopy  = "Precopy"
	OpDelta    = "Delta"
	// OpRollback recreates a deleted VM on its original VHDs after a
	// failure between DeleteVM and a running VM on managed disks.
	OpRollback = "Rollback"
)

// Event reports progress, the engine's one event type (step.Event):
// Target is the VM, Part the disk when the event is about one, Op the call
// or copy, Progress the copy or hash in flight and Outcome, on the Final
// event, the VM's Status.
type Event = step.Event

// Options configure Run.
type Options struct {
	Plan *Plan
	// VMs selects VMs by id (vm/<rg>/<name> or cloudservice/<cs>/<vm));
	// empty means every VM of the plan.
	VMs     []string
	Compute cloud.Compute
	Data    cloud.DiskData
	// Platform is the platform's own conversion, nil where the platform
	// has none (Azure Stack Hub): a plan with MethodPlatform then refuses
	// to run (ErrOptions).
	Platform cloud.PlatformConversion
	// Snapshots are the VHDs' blob snapshots MethodPrecopy copies from;
	// nil refuses a plan with MethodPrecopy (ErrOptions).
	Snapshots cloud.VHDSnapshots
	// Pages is the target's server-side page copy (Put Page From URL),
	// nil to stream every page through this machine. Where it is set and
	// PageCopySupported, the pre-copy has the storage service copy the
	// snapshot's data and the cut-over's delta into the managed disk; the
	// snapshot is still read here once, for its hash, and the disk read
	// back, so what is verified does not depend on who moved the bytes.
	Pages cloud.PageCopier
	// Blocked maps a VM id (VMPlan.ID) to why it must wait (a unit of
	// VMPlan.Units not Committed): such a VM is skipped with that reason
	// and nothing of it changes. A VM whose conversion already changed
	// something is finished regardless: stopping it half way is worse.
	Blocked map[string]string
	// Journal is the open, writable journal of the state directory.
	Journal *journal.Journal
	// Parallel bounds the VMs down at once (and the VMs pre-copying at
	// once); 0 means 4. Whatever it is, two VMs of one availability set
	// are never down together.
	Parallel int
	// Drain, when closed, is the first stage of an interrupt: no VM
	// starts any more (a VM not yet begun is reported interrupted); the
	// VMs in flight go on, so none is left deallocated longer than its own
	// conversion. Cancelling Run's context is the second stage. May be nil.
	Drain <-chan struct{}
	// Staging is where the encrypted staging images of a plan built with
	// PlanOptions.Staging go, one per disk named after it: a local folder
	// or a blob container URL with a SAS (staging.NewStore); KEK (32
	// bytes) seals their keys and
	// Cipher names the cipher ("" is xts-aes-128).
	Staging string
	KEK     []byte
	Cipher  string
	// MaxBandwidth (bytes/s) and MaxIOPS, when set, replace the plan's caps
	// of every streamed copy. They do not turn an Import into an Upload:
	// the plan decides the movement.
	MaxBandwidth int64
	MaxIOPS      int
	// Workers is the copier's chunks in flight per disk; 0: its default.
	Workers int
	// StateDir holds the copies' checkpoints (<StateDir>/convert/).
	StateDir string
	// Events receives progress; may be nil.
	Events func(Event)
	// OnBoundary is a test hook called at every journal boundary of every
	// changing call, synchronously. May be nil.
	OnBoundary func(b Boundary, vm, op string)
	// MaxAttempts bounds the sends of one call (and reads) answered with a
	// transient fault; 0 means 30.
	MaxAttempts int
	// TimeScale multiplies the engine's own backoff (1s doubling to 30s)
	// when the cloud gave no Retry-After; 0 means 1.
	TimeScale float64
	// Sleep waits d or until ctx is done; nil means a timer. For tests.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now stamps records and events; nil means time.Now.
	Now func() time.Time
}

// ErrUnknownVM is wrapped by the error for a selected VM the plan lacks.
var ErrUnknownVM = errors.New("unknown VM")

// ErrOptions is wrapped by every error about Options themselves (nothing
// was changed: the CLI exits 2).
var ErrOptions = errors.New("bad conversion options")

func (o *Options) defaults() error {
	switch {
	case o.Plan == nil || o.Compute == nil || o.Data == nil || o.Journal == nil:
		return fmt.Errorf("%w: Plan, Compute, Data and Journal are required", ErrOptions)
	case o.StateDir == "":
		return fmt.Errorf("%w: StateDir is required (the copies' checkpoints live there)", ErrOptions)
	case o.Plan.Staged && o.Staging == "":
		return fmt.Errorf("%w: the plan stages disks but no staging folder was given", ErrOptions)
	case o.Staging != "" && len(o.KEK) != 32:
		return fmt.Errorf("%w: a staging folder needs a 32-byte key-encryption key", ErrOptions)
	case o.MaxBandwidth < 0 || o.MaxIOPS < 0:
		return fmt.Errorf("%w: negative rate cap", ErrOptions)
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	return nil
}

// policy is the engine's share of the options; step.New fills the
// defaults of the fields left zero.
func (o *Options) policy() step.Policy {
	return step.Policy{MaxAttempts: o.MaxAttempts, TimeScale: o.TimeScale, Sleep: o.Sleep, Now: o.Now}
}
