package phases

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/plan"
)

// fakeCloud is a test double of cloud.Migrator: an in-memory platform that
// applies the platform's state rules (drivers.md), records every changing
// call with the state it found, and injects scripted faults.
type fakeCloud struct {
	mu      sync.Mutex
	states  map[string]cloud.State
	history []fakeOp
	// gone makes State answer ErrNotFound for committed units, as the real
	// platform does once Commit removed the classic resource.
	gone bool
	// validateErr makes Validate report an Error message for the unit.
	validateErr map[string]bool
	// fail makes the op on the unit fail on the platform (op+" "+unit).
	fail map[string]bool
	// fault scripts transient faults: called with op, unit and the count
	// of that op on that unit so far (from 1); a non-nil error is
	// returned, after the operation took effect if after is set.
	fault func(op, unit string, n int) (err error, after bool)
	// settle: a state read of a unit in a transitional state moves it to
	// the end state after this many reads (simulating a platform operation
	// finishing on its own); 0 means the next read.
	settle  int
	reads   map[string]int
	counts  map[string]int
	pending map[string]cloud.State // end state of a transitional state

	inFlight, maxInFlight int
	hold                  time.Duration
}

type fakeOp struct {
	Op, Unit string
	Before   cloud.State
	Result   string
}

func newFake() *fakeCloud {
	return &fakeCloud{
		states: map[string]cloud.State{}, validateErr: map[string]bool{}, fail: map[string]bool{},
		reads: map[string]int{}, counts: map[string]int{}, pending: map[string]cloud.State{},
	}
}

func (f *fakeCloud) state(u string) cloud.State {
	if s, ok := f.states[u]; ok {
		return s
	}
	return cloud.StateNone
}

func (f *fakeCloud) Validate(ctx context.Context, t cloud.Target) ([]cloud.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.validateErr[t.Unit] {
		return []cloud.Message{{Category: "Error", Message: "unsupported", ResourceName: t.Name}}, nil
	}
	return []cloud.Message{{Category: "Information", Message: "ok"}}, nil
}

func (f *fakeCloud) State(ctx context.Context, t cloud.Target) (cloud.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.state(t.Unit)
	if transitional(s) {
		f.reads[t.Unit]++
		if f.reads[t.Unit] > f.settle {
			f.reads[t.Unit] = 0
			end, ok := f.pending[t.Unit]
			if !ok {
				end = map[cloud.State]cloud.State{cloud.StatePreparing: cloud.StatePrepared, cloud.StateCommitting: cloud.StateCommitted, cloud.StateAborting: cloud.StateNone}[s]
			}
			f.states[t.Unit] = end
			delete(f.pending, t.Unit)
		}
	}
	if f.gone && s == cloud.StateCommitted {
		return "", fmt.Errorf("%s: %w", t.Unit, cloud.ErrNotFound)
	}
	return s, nil
}

func (f *fakeCloud) Prepare(ctx context.Context, t cloud.Target) error {
	return f.mutate(ctx, "Prepare", t, []cloud.State{cloud.StateNone, cloud.StatePrepareFailed}, cloud.StatePrepared, cloud.StatePrepared, cloud.StatePrepareFailed)
}

func (f *fakeCloud) Commit(ctx context.Context, t cloud.Target) error {
	return f.mutate(ctx, "Commit", t, []cloud.State{cloud.StatePrepared, cloud.StateCommitFailed}, cloud.StateCommitted, cloud.StateCommitted, cloud.StateCommitFailed)
}

func (f *fakeCloud) Abort(ctx context.Context, t cloud.Target) error {
	return f.mutate(ctx, "Abort", t, []cloud.State{cloud.StatePrepared, cloud.StatePrepareFailed, cloud.StateAbortFailed}, cloud.StateNone, cloud.StateNone, cloud.StateAbortFailed)
}

func (f *fakeCloud) mutate(ctx context.Context, op string, t cloud.Target, from []cloud.State, idem, ok, failed cloud.State) error {
	f.mu.Lock()
	f.inFlight++
	if f.inFlight > f.maxInFlight {
		f.maxInFlight = f.inFlight
	}
	hold := f.hold
	f.mu.Unlock()
	if hold > 0 {
		time.Sleep(hold) // widens the overlap window so the bound is exercised
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	defer func() { f.inFlight-- }()
	f.counts[op+" "+t.Unit]++
	n := f.counts[op+" "+t.Unit]
	var fault error
	after := false
	if f.fault != nil {
		fault, after = f.fault(op, t.Unit, n)
	}
	before := f.state(t.Unit)
	if fault != nil && !after {
		f.history = append(f.history, fakeOp{op, t.Unit, before, "Transient"})
		return fault
	}
	result := "Succeeded"
	var err error
	switch {
	case before == idem:
	case contains(from, before):
		if f.fail[op+" "+t.Unit] {
			f.states[t.Unit] = failed
			result = "Failed"
			err = &cloud.OperationError{Op: op, Unit: t.Unit, Code: "Boom", Message: "scripted failure"}
		} else {
			f.states[t.Unit] = ok
		}
	default:
		result = "Refused"
		err = &cloud.StateError{Op: op, Unit: t.Unit, State: before}
	}
	f.history = append(f.history, fakeOp{op, t.Unit, before, result})
	if fault != nil {
		return fault
	}
	return err
}

func contains(ss []cloud.State, s cloud.State) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (f *fakeCloud) ops(op, unit string) []fakeOp {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeOp
	for _, h := range f.history {
		if (op == "" || h.Op == op) && (unit == "" || h.Unit == unit) {
			out = append(out, h)
		}
	}
	return out
}

// testPlan builds a plan by hand: spec is "id<-dep,dep" entries; ranks are
// computed as bottom levels.
func testPlan(spec ...string) *plan.Plan {
	p := &plan.Plan{}
	for _, s := range spec {
		id, deps := s, ""
		for i := 0; i+1 < len(s); i++ {
			if s[i:i+2] == "<-" {
				id, deps = s[:i], s[i+2:]
				break
			}
		}
		u := &plan.Unit{ID: id}
		for i := 0; i < len(id); i++ {
			if id[i] == '/' {
				u.Kind, u.Name = plan.Kind(id[:i]), id[i+1:]
			}
		}
		if deps != "" {
			start := 0
			for i := 0; i <= len(deps); i++ {
				if i == len(deps) || deps[i] == ',' {
					u.DependsOn = append(u.DependsOn, deps[start:i])
					start = i + 1
				}
			}
		}
		p.Units = append(p.Units, u)
	}
	// Rank: longest chain to a unit nothing depends on, itself included.
	var rank func(id string) int
	memo := map[string]int{}
	rank = func(id string) int {
		if r, ok := memo[id]; ok {
			return r
		}
		r := 1
		for _, u := range p.Units {
			for _, d := range u.DependsOn {
				if d == id {
					if x := rank(u.ID) + 1; x > r {
						r = x
					}
				}
			}
		}
		memo[id] = r
		return r
	}
	for _, u := range p.Units {
		u.Rank = rank(u.ID)
	}
	return p
}

// fakeSleep records waits and returns at once (honouring ctx).
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *fakeSleep) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func transientErr(ra time.Duration) error {
	return &cloud.TransientError{Fault: cloud.FaultThrottled, RetryAfter: ra, Err: fmt.Errorf("429")}
}
