package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

// Resource Manager's write throttle.
//
// "For each Azure subscription and tenant, Resource Manager allows up to
// 12,000 read requests per hour and 1,200 write requests per hour ... When
// you reach the limit, you receive the HTTP status code 429 Too many
// requests" with a Retry-After header (MicrosoftDocs/azure-docs,
// articles/azure-resource-manager/resource-manager-request-limits.md,
// 2019-07-09). The limit is the subscription's, so every unit running at
// once and the disk step draw from one budget, kept with the counters in
// sim.db so every process sharing the cloud draws from it too.
//
// The budget is a token bucket (as Resource Manager's newer limits are
// documented: request-limits-and-throttling.md, "Migrating to regional
// throttling and token bucket algorithm"), full at the start, holding
// Options.ARMWritesPerHour and refilled at that rate per simulated hour
// (an hour times Options.TimeScale of the process's clock).
//
// What counts as a write, decided from the documents:
//   - the disk step's Resource Manager calls, one each: DeallocateVM,
//     StartVM, DeleteVM, CreateVM, CreateDisk, DeleteDisk, GrantAccess,
//     EndUpload, CreateImage, AlignAvailabilitySet, ConvertToManagedDisks
//     (every PUT, PATCH, POST or DELETE of Resource Manager). SnapshotVHD,
//     DeleteVHDSnapshot and DeleteVHD are Blob service calls and do not
//     count;
//   - a Prepare, one write per Resource Manager resource it creates: the
//     migration's backend creates them through Resource Manager templates
//     ("common migration errors": "In the backend of migration service, we
//     use Azure Resource Manager templates to create resources"), so a big
//     unit spends the subscription's budget as the arm-write-throttle rule
//     warns (more than 400 VMs, about three resources each). A unit needing
//     more than the whole budget goes once the bucket is full and leaves it
//     in debt, which later writes wait out. Commit creates nothing new and
//     Abort only deletes (deletes have their own, larger, limit in the
//     newer documents), so neither counts.
//
// A call over the budget is not processed: it is recorded as Throttled and
// answered with a *cloud.TransientError (FaultThrottled) whose RetryAfter is
// when the bucket holds enough again, in the platform's words
// (SubscriptionRequestsThrottled).

// DefaultARMWritesPerHour is Resource Manager's write limit per
// subscription and hour.
const DefaultARMWritesPerHour = 1200

// codeThrottled is Resource Manager's error code for a subscription over
// its request limit, with its 429.
const codeThrottled = "SubscriptionRequestsThrottled"

// armWriteOps are the disk step's calls Resource Manager counts as writes.
var armWriteOps = map[string]bool{
	OpDeallocateVM: true, OpStartVM: true, OpDeleteVM: true, OpCreateVM: true,
	OpCreateDisk: true, OpDeleteDisk: true, OpGrantAccess: true, OpEndUpload: true,
	OpCreateImage: true, OpAlignAvailabilitySet: true, OpConvertToManagedDisks: true,
}

// writeLimit is the budget per simulated hour.
func (s *Sim) writeLimit() float64 {
	if s.o.ARMWritesPerHour > 0 {
		return float64(s.o.ARMWritesPerHour)
	}
	return DefaultARMWritesPerHour
}

// takeWrites spends n writes of the subscription's budget, or returns the
// error answering a call over it (nothing spent).
func (s *Sim) takeWrites(p *persisted, op, unitID string, n int) error {
	if n <= 0 {
		return nil
	}
	limit := s.writeLimit()
	hour := s.scale(time.Hour)
	now := s.o.Now()
	tokens := limit
	if !p.WriteAt.IsZero() && hour > 0 {
		tokens = min(limit, p.WriteTokens+limit*float64(now.Sub(p.WriteAt))/float64(hour))
	}
	need := min(float64(n), limit)
	if tokens < need {
		// Seconds of simulated time until the bucket holds need again, as
		// the platform says them (whole seconds, at least one).
		secs := max(1, math.Ceil((need-tokens)*3600/limit))
		return &cloud.TransientError{Fault: cloud.FaultThrottled, RetryAfter: s.scale(time.Duration(secs) * time.Second),
			Err: &throttleDetail{op: op, unit: unitID, sub: s.topo.estate.SubscriptionID, limit: int(limit), after: int(secs)}}
	}
	p.WriteTokens, p.WriteAt = tokens-float64(n), now
	return nil
}

// throttleDetail is a throttled call's error, Resource Manager's message.
type throttleDetail struct {
	op, unit, sub string
	limit, after  int
}

func (e *throttleDetail) Error() string {
	return fmt.Sprintf("sim: %s %s: %s: Number of 'write' requests for subscription '%s' exceeded the limit of '%d' for time interval '01:00:00'. Please try again after '%d' seconds.",
		e.op, e.unit, codeThrottled, e.sub, e.limit, e.after)
}
