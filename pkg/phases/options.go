package phases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/step"
)

// Mode is the command the executor carries out.
type Mode string

// Modes, named as the journal records them.
const (
	// ModeValidate runs the platform's Validate only.
	ModeValidate Mode = "validate"
	// ModePrepare validates and prepares.
	ModePrepare Mode = "prepare"
	// ModeCommit commits prepared units.
	ModeCommit Mode = "commit"
	// ModeAbort aborts prepared units.
	ModeAbort Mode = "abort"
	// ModeRun validates, prepares and commits each unit, in dependency
	// order.
	ModeRun Mode = "run"
	// ModeRehearse validates, prepares and aborts each unit the platform
	// lets prepare now, leaving the estate as it was.
	ModeRehearse Mode = "rehearse"
)

// Boundary is a point of a changing operation around its journal records:
// the engine's (step.Boundary), kept under this name for the callers of
// this package.
type Boundary = step.Boundary

// Event is a progress report, the engine's one event type (step.Event):
// Target is the unit, State its phase, Op the operation sent and Outcome,
// on the Final event, how the command left the unit.
type Event = step.Event

// InventoryRef identifies the inventory a command was planned from.
type InventoryRef struct {
	Path   string
	SHA256 string
}

// Options configure one execution.
type Options struct {
	Mode   Mode
	Plan   *plan.Plan
	Driver cloud.Migrator
	// Journal is the open (writable) journal of the state directory.
	Journal *journal.Journal
	// Targets builds the driver target of a unit; nil means Kind and Name
	// only (see TargetsFor to include deployments and destinations).
	Targets func(u *plan.Unit) cloud.Target
	// Units selects units by id; empty means every unit of the plan.
	Units []string
	// Blocked are units with blocking findings: never prepared, and every
	// unit downstream of them is skipped.
	Blocked map[string]bool
	// Inventory is recorded in the run metadata so resume can refuse a
	// changed inventory.
	Inventory InventoryRef
	// Parallel bounds the units in flight; 0 means 4.
	Parallel int
	// SkipPlatformValidate leaves out the platform's Validate before
	// Prepare (for a caller that just ran it).
	SkipPlatformValidate bool

	// Events receives progress; calls are serialised. May be nil.
	Events func(Event)
	// OnBoundary is a test hook called at each journal boundary of each
	// changing operation, synchronously. May be nil.
	OnBoundary func(b Boundary, unit string, op Op)

	// MaxAttempts bounds the sends of one operation (and State reads) that
	// end in a transient fault; 0 means 30.
	MaxAttempts int
	// PollInterval is the wait between State reads while an operation runs
	// on the platform; 0 means 5s. Scaled by TimeScale.
	PollInterval time.Duration
	// MaxPolls bounds those reads; 0 means 2000 (about 3 hours at 5s).
	MaxPolls int
	// TimeScale multiplies the executor's own waits (backoff from 1s capped
	// at 30s, PollInterval), not the platform's Retry-After; 0 means 1.
	TimeScale float64
	// Jitter draws r in [0,1) to spread each backoff over its upper half
	// (retry.Jittered), so units retrying one throttled service do not
	// come back in step; nil means math/rand. Tests fix it.
	Jitter func() float64
	// Sleep waits d or until ctx is done; nil means a timer. For tests.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now stamps events; nil means time.Now. For tests.
	Now func() time.Time

	resumed bool
	// resumeID is the recorded command being resumed.
	resumeID uint64
}

// ErrUnknownUnit is wrapped by the error for a selected unit id the plan
// does not have.
var ErrUnknownUnit = errors.New("unknown unit")

func (o *Options) defaults() error {
	switch o.Mode {
	case ModeValidate, ModePrepare, ModeCommit, ModeAbort, ModeRun, ModeRehearse:
	default:
		return fmt.Errorf("phases: unknown mode %q", o.Mode)
	}
	if o.Plan == nil || o.Driver == nil || o.Journal == nil {
		return errors.New("phases: Plan, Driver and Journal are required")
	}
	if o.Targets == nil {
		o.Targets = func(u *plan.Unit) cloud.Target {
			return cloud.Target{Unit: u.ID, Kind: string(u.Kind), Name: u.Name}
		}
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.MaxPolls <= 0 {
		o.MaxPolls = 2000
	}
	return nil
}

// policy is the engine's share of the options; step.New fills the
// defaults of the fields left zero.
func (o *Options) policy() step.Policy {
	return step.Policy{MaxAttempts: o.MaxAttempts, TimeScale: o.TimeScale, Jitter: o.Jitter, Sleep: o.Sleep, Now: o.Now}
}

// TargetsFor returns a Targets function building each unit's driver target
// from the inventory: Kind and Name from the unit, and for a cloud service
// its deployment name and, when given, the destination VNet.
func TargetsFor(inv *inventory.Inventory) func(u *plan.Unit) cloud.Target {
	cs := map[string]*inventory.CloudService{}
	for i := range inv.CloudServices {
		cs[inv.CloudServices[i].Name] = &inv.CloudServices[i]
	}
	return func(u *plan.Unit) cloud.Target {
		t := cloud.Target{Unit: u.ID, Kind: string(u.Kind), Name: u.Name}
		if u.Kind == plan.KindCloudService {
			if c, ok := cs[u.Name]; ok {
				t.Deployment = c.Deployment.Name
				if d := c.Deployment.Destination; d != nil {
					t.Destination = &cloud.Destination{ResourceGroup: d.ResourceGroup, VirtualNetwork: d.VirtualNetwork, Subnet: d.Subnet}
				}
			}
		}
		return t
	}
}
