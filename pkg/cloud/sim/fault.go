package sim

import (
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

// Streams keep the decisions for operations and for State reads apart, so
// the two counters never draw the same numbers.
const (
	streamOps   = 0x6f70 // "op"
	streamReads = 0x7264 // "rd"
)

// decision is the fault, if any, that answers one call.
type decision struct {
	fault string // "" means no fault
	// after: the operation takes effect and only the response is lost.
	after bool
}

// splitmix64 is a stateless, well-mixed hash: each decision is a pure
// function of (seed, stream, counter), not of a process-local RNG, so every
// process that opens the state continues the one reproducible sequence.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// decide draws the fault for call n of stream. mayBeAfter is true for calls
// that change something (Prepare, Commit, Abort): half of their faults are
// lost responses.
func decide(seed int64, stream uint64, n int64, rate float64, mayBeAfter bool) decision {
	if rate <= 0 {
		return decision{}
	}
	h := splitmix64(uint64(seed) ^ splitmix64(stream<<48^uint64(n)))
	u := float64(h>>11) / float64(1<<53)
	if u >= rate {
		return decision{}
	}
	h2 := splitmix64(h)
	d := decision{fault: [...]string{cloud.FaultThrottled, cloud.FaultServiceUnavailable, cloud.FaultInternalError}[h2%3]}
	d.after = mayBeAfter && (h2>>8)&1 == 1
	return d
}

// transient builds the error a fault answers with. Only throttling carries
// a Retry-After (1s on the platform, scaled); the others leave the backoff
// to the caller, as a 503 or 500 without the header does.
func (s *Sim) transient(d decision, op, unitID string) error {
	var after time.Duration
	if d.fault == cloud.FaultThrottled {
		after = s.scale(time.Second)
	}
	return &cloud.TransientError{Fault: d.fault, RetryAfter: after,
		Err: &faultDetail{op: op, unit: unitID, lost: d.after}}
}

// faultDetail says which call a transient fault answered.
type faultDetail struct {
	op, unit string
	lost     bool
}

func (e *faultDetail) Error() string {
	if e.lost {
		return "sim: " + e.op + " " + e.unit + ": response lost"
	}
	return "sim: " + e.op + " " + e.unit + ": request not processed"
}
