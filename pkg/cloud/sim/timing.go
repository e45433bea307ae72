package sim

import (
	"time"

	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/plan"
)

// The simulator's clock and the timing model.
//
// With Options.Timing, each Validate, Prepare, Commit and Abort takes what
// the timing model (pkg/plan/timing.go, the one the forecast uses) says it
// takes on the unit, likely figure: the unit's size is the plan's (VMs,
// cloud services, disks, gateways), the plan being built from the estate.
// Abort has no figure of its own in the model; it deletes what Prepare made
// and takes Commit's (an estimate). Without Timing, each takes
// Options.Latency (Validate none), as before. Either way the wait is
// compressed by Options.TimeScale.
//
// Simulated time is kept apart from the real clock, so a run's simulated
// duration does not depend on how busy the machine is: the cloud holds a
// simulated clock (counters' SimNow, an offset from the cloud's creation)
// that an operation starts at and that moves only when an operation
// finishes, to that operation's simulated end. A caller that sends its next
// operation right after the last one finished therefore starts it at that
// end, whatever the real delay between the two; parallel operations end in
// the order of their simulated ends, since their real waits are those ends
// scaled. The history records each operation's simulated start and
// duration (Operation.SimStart, .SimDuration): what `plan --calibrate-from`
// and a run's simulated makespan read.
//
// The one way real time leaks in: an operation starts at the latest end
// the cloud has seen, so if, between the end a caller waited for and its
// next call, another operation ends later in simulated time, the next call
// starts at that later end. That takes a real delay longer than the scaled
// gap between the two ends (at a time scale of 0.001, tens of milliseconds
// for ends a simulated minute apart): a busy machine makes a run a few
// percent longer, never shorter. Each operation's own duration is exact.

// operation names of the model, by the simulator's.
var modelOps = map[string]plan.Operation{
	OpValidate: plan.OpValidate,
	OpPrepare:  plan.OpPrepare,
	OpCommit:   plan.OpCommit,
	// Abort: Commit's figure (see above).
	OpAbort: plan.OpCommit,
}

// planUnits are the plan's units of the estate by folded id, for their
// sizes; nil when the estate does not plan (the simulator still runs: such
// units take the model's figure for their kind alone).
func planUnits(inv *inventory.Inventory) map[string]*plan.Unit {
	p, err := plan.Build(inv)
	if err != nil {
		return nil
	}
	out := make(map[string]*plan.Unit, len(p.Units))
	for _, u := range p.Units {
		out[inventory.Key(u.ID)] = u
	}
	return out
}

// duration is how long op takes on u in simulated time.
func (s *Sim) duration(u *unit, op string) time.Duration {
	if s.o.Timing == nil || s.o.Latency > 0 {
		if op == OpValidate {
			return 0
		}
		return s.o.Latency
	}
	mop, ok := modelOps[op]
	if !ok {
		return 0
	}
	pu := s.planned[inventory.Key(u.id)]
	if pu == nil {
		pu = &plan.Unit{ID: u.id, Scope: scopeOf(u)}
	}
	return s.o.Timing.Duration(pu, mop).Likely
}

// scopeOf is u's plan scope, for a unit the plan does not have.
func scopeOf(u *unit) plan.Scope {
	switch u.kind {
	case kindVNet:
		return plan.ScopeVMInVNet
	case kindCloudService:
		return plan.ScopeVMNoVNet
	case kindStorage:
		return plan.ScopeStorage
	}
	return plan.ScopeUnattached
}
