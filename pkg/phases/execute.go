package phases

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/dag"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/step"
)

// Executor carries out one command over the units of a plan. Make one with
// New, call Run once; Drain may be called from another goroutine (a signal
// handler) at any time.
type Executor struct {
	o         Options
	eng       *step.Engine
	drain     chan struct{}
	drainOnce sync.Once

	mu    sync.Mutex
	fatal error
	deps  map[string]Phase // phases of dependencies outside the command
}

// New checks o and fills in its defaults.
func New(o Options) (*Executor, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	e := &Executor{o: o, drain: make(chan struct{}), deps: map[string]Phase{}}
	// The hook reads OnBoundary when called: a test may set it on an
	// executor it already made.
	e.eng = step.New(o.policy(), func(b step.Boundary, unit, op string) {
		if e.o.OnBoundary != nil {
			e.o.OnBoundary(b, unit, Op(op))
		}
	}, o.Events)
	return e, nil
}

// Execute is New followed by Run, for callers that do not drain.
func Execute(ctx context.Context, o Options) (Result, error) {
	e, err := New(o)
	if err != nil {
		return Result{}, err
	}
	return e.Run(ctx)
}

// Drain is the first stage of an interrupt: no new unit starts, units in
// flight finish the operation they are in (a rehearsal also aborts what it
// prepared, to leave the estate as it was) and Run returns with
// Result.Interrupted set if work is left. The second stage is cancelling
// Run's context: calls in flight are abandoned and their intents stay open
// for the next command to reconcile. Drain is idempotent.
func (e *Executor) Drain() { e.drainOnce.Do(func() { close(e.drain) }) }

func (e *Executor) draining() bool {
	select {
	case <-e.drain:
		return true
	default:
		return false
	}
}

func (e *Executor) setFatal(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fatal == nil {
		e.fatal = err
	}
}

func (e *Executor) failed() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fatal
}

// stopping reports whether no new unit may start.
func (e *Executor) stopping(ctx context.Context) bool {
	return ctx.Err() != nil || e.draining() || e.failed() != nil
}

// jerr marks a failed journal write (step.StoreError): without its record
// nothing may be sent, so the whole command stops.
func (e *Executor) jerr(err error) error {
	if err == nil {
		return nil
	}
	e.setFatal(err)
	if step.IsStoreError(err) {
		return err
	}
	return &step.StoreError{Err: err}
}

func (e *Executor) event(ev Event) { e.eng.Emit(ev) }

// final reports how the command left a unit.
func (e *Executor) final(r UnitResult) {
	note := r.Reason
	if note == "" {
		note = string(r.Outcome)
	}
	e.event(Event{Target: r.ID, State: string(r.Phase), Err: r.Err, Note: note, Final: true, Outcome: string(r.Outcome)})
}

// selected returns the units of the command in plan order.
func (e *Executor) selected() ([]*plan.Unit, error) {
	if len(e.o.Units) == 0 {
		return append([]*plan.Unit(nil), e.o.Plan.Units...), nil
	}
	want := map[string]bool{}
	var unknown []string
	for _, id := range e.o.Units {
		u := e.o.Plan.Unit(id)
		if u == nil {
			u = e.unitByID(id)
		}
		if u == nil {
			unknown = append(unknown, id)
			continue
		}
		want[u.ID] = true
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrUnknownUnit, strings.Join(unknown, ", "))
	}
	var out []*plan.Unit
	for _, u := range e.o.Plan.Units {
		if want[u.ID] {
			out = append(out, u)
		}
	}
	return out, nil
}

// unitByID finds a unit by exact id in a plan not made by plan.Build,
// whose look-up index is empty.
func (e *Executor) unitByID(id string) *plan.Unit {
	for _, u := range e.o.Plan.Units {
		if strings.EqualFold(u.ID, id) {
			return u
		}
	}
	return nil
}

func (e *Executor) lookup(id string) *plan.Unit {
	if u := e.o.Plan.Unit(id); u != nil {
		return u
	}
	return e.unitByID(id)
}

// Run carries out the command. Unit failures are in the Result; the error
// is for what stops the whole command (the journal cannot be written, a
// unit id is unknown). A cancelled context is not an error: the Result
// says Interrupted.
func (e *Executor) Run(ctx context.Context) (Result, error) {
	units, err := e.selected()
	if err != nil {
		return Result{}, err
	}
	j := e.o.Journal
	changes := e.o.Mode != ModeValidate
	if changes {
		if e.o.resumed {
			err = j.ResumeRun(e.o.resumeID)
		} else {
			err = j.BeginRun(journal.Run{
				Command: string(e.o.Mode), Units: e.o.Units, Rehearse: e.o.Mode == ModeRehearse,
				InventoryPath: e.o.Inventory.Path, InventorySHA256: e.o.Inventory.SHA256,
			})
		}
		if err != nil {
			return Result{}, err
		}
		// Every intent without an outcome is settled from the platform's
		// state before anything is sent.
		if _, err := e.reconcile(ctx); err != nil {
			return Result{}, err
		}
	}

	results := make(map[string]*UnitResult, len(units))
	order := make([]string, len(units))
	for i, u := range units {
		rec, _, err := j.Unit(u.ID)
		if err != nil {
			return Result{}, err
		}
		ph := Phase(rec.Phase)
		if ph == "" {
			ph = Planned
		}
		results[u.ID] = &UnitResult{ID: u.ID, Phase: ph, Outcome: OutcomeNotStarted}
		order[i] = u.ID
	}
	sel := make(map[string]bool, len(units))
	for _, u := range units {
		sel[u.ID] = true
	}

	// Units with blocking findings, and everything downstream of them,
	// are reported and left alone.
	var blocked []string
	for _, u := range units {
		if e.o.Blocked[u.ID] {
			blocked = append(blocked, u.ID)
			r := results[u.ID]
			r.Phase, r.Outcome, r.Reason, r.Err = Blocked, OutcomeBlocked, "blocking findings", ErrValidation
			if err := j.SetPhase(u.ID, string(Blocked), ""); err != nil {
				return Result{}, err
			}
			e.final(*r)
		}
	}
	for _, b := range blocked {
		e.skipDownstream(results, b)
	}

	if e.o.Mode == ModeValidate {
		e.validateAll(ctx, units, results)
	} else {
		e.schedule(ctx, units, sel, results)
	}

	res := Result{}
	for _, id := range order {
		res.Units = append(res.Units, *results[id])
	}
	res.count()
	if changes {
		// A command stopped by a journal failure (a full disk) is kept
		// unfinished like an interrupted one: resume finishes it.
		if err := j.EndRun(res.Interrupted || e.failed() != nil); err != nil && e.failed() == nil {
			e.setFatal(err)
		}
		if !res.Interrupted && e.failed() == nil && len(e.o.Units) == 0 {
			if err := e.finishSubsumed(); err != nil {
				e.setFatal(err)
			}
		}
	}
	return res, e.failed()
}

// finishSubsumed marks finished the earlier unfinished commands whose work
// this whole-plan command, just ended, has done: a whole rehearsal aborted
// what every earlier rehearsal left prepared; a whole run took every unit
// as far as an earlier run, prepare or commit would have.
func (e *Executor) finishSubsumed() error {
	runs, err := e.o.Journal.Unfinished()
	if err != nil {
		return err
	}
	for _, r := range runs {
		subsumed := false
		switch e.o.Mode {
		case ModeRehearse:
			subsumed = r.Command == string(ModeRehearse)
		case ModeRun:
			subsumed = r.Command == string(ModeRun) || r.Command == string(ModePrepare) || r.Command == string(ModeCommit)
		}
		if subsumed {
			if err := e.o.Journal.FinishRun(r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// skipDownstream marks every unit downstream of id that has not started as
// skipped.
func (e *Executor) skipDownstream(results map[string]*UnitResult, id string) {
	why := "failed"
	if r := results[id]; r != nil {
		switch r.Outcome {
		case OutcomeBlocked:
			why = "is blocked"
		case OutcomeSkipped:
			why = "was skipped"
		case OutcomeInterrupted, OutcomeNotStarted:
			why = "was interrupted"
		}
	}
	for _, d := range e.o.Plan.Downstream(id) {
		r := results[d]
		if r == nil || r.Outcome != OutcomeNotStarted {
			continue
		}
		r.Outcome = OutcomeSkipped
		r.Reason = "depends on " + id + ", which " + why
		r.Err = fmt.Errorf("%s: %w: %s %s", d, ErrUpstream, id, why)
		e.final(*r)
	}
}

// goesToCommit reports whether the mode commits units, so a unit waits for
// dependencies in the same command instead of requiring them committed.
func (e *Executor) goesToCommit() bool {
	return e.o.Mode == ModeRun || e.o.Mode == ModeCommit
}

type done struct {
	r UnitResult
}

// errNotCommitted is what the scheduler is told of a unit that did not end
// Committed: its dependents in this command must not start.
var errNotCommitted = errors.New("not committed")

// schedule walks the plan graph with a bounded pool, through the one
// scheduler the forecast simulates too (dag.Scheduler): a unit starts when
// the dependencies it waits for in this command are committed, ready units
// by highest Rank then plan order; a unit that does not end Committed makes
// its dependents skipped, except an interrupted one, whose dependents are
// left not started for resume.
func (e *Executor) schedule(ctx context.Context, units []*plan.Unit, sel map[string]bool, results map[string]*UnitResult) {
	pos := make(map[string]int, len(e.o.Plan.Units))
	for i, u := range e.o.Plan.Units {
		pos[u.ID] = i
	}
	rank := make(map[string]int64, len(units))
	g := dag.New()
	external := map[string][]string{}
	for _, u := range units {
		g.AddNode(u.ID)
		rank[u.ID] = int64(u.Rank)
		for _, d := range u.DependsOn {
			if du := e.lookup(d); du != nil {
				d = du.ID
			}
			if e.goesToCommit() && sel[d] {
				g.AddEdge(d, u.ID)
			} else {
				external[u.ID] = append(external[u.ID], d)
			}
		}
	}
	s, err := g.NewScheduler(dag.WalkOptions{
		Workers:  e.o.Parallel,
		Priority: func(id string) int64 { return rank[id] },
		Order:    func(id string) int { return pos[id] },
	})
	if err != nil {
		// plan.Build refuses cycles; a plan that has one is a bug here.
		e.setFatal(fmt.Errorf("schedule: %w", err))
		return
	}
	ch := make(chan done)
	stopped := false
	for !s.Finished() {
		if !stopped && e.stopping(ctx) {
			s.Stop()
			stopped = true
		}
		for !stopped {
			id, ok := s.Next()
			if !ok {
				break
			}
			if results[id].Outcome != OutcomeNotStarted {
				// Blocked before the walk: already reported, and its
				// dependents skipped with the reason.
				s.Done(id, errNotCommitted)
				continue
			}
			results[id].Outcome = OutcomeInterrupted // in flight
			go func(u *plan.Unit, ext []string) {
				ch <- done{e.unit(ctx, u, ext)}
			}(e.lookup(id), external[id])
		}
		if s.Running() == 0 {
			// Nothing runs and nothing may start: everything left was
			// skipped (stopped, or downstream of a unit that did not
			// commit).
			return
		}
		r := (<-ch).r
		*results[r.ID] = r
		e.final(r)
		if r.Phase == Committed && r.Outcome == OutcomeDone {
			s.Done(r.ID, nil)
			continue
		}
		s.Done(r.ID, errNotCommitted)
		// An interrupted unit's dependents are left not started (resume
		// runs them); any other end but Committed makes them skipped.
		if e.goesToCommit() && r.Outcome != OutcomeInterrupted {
			e.skipDownstream(results, r.ID)
		}
	}
}

// dependencies are u's dependencies as the plan spells their ids.
func (e *Executor) dependencies(u *plan.Unit) []string {
	deps := make([]string, 0, len(u.DependsOn))
	for _, d := range u.DependsOn {
		if du := e.lookup(d); du != nil {
			d = du.ID
		}
		deps = append(deps, d)
	}
	return deps
}

// validateAll runs the platform's Validate on every unit, bounded.
func (e *Executor) validateAll(ctx context.Context, units []*plan.Unit, results map[string]*UnitResult) {
	g := errgroup.Group{}
	g.SetLimit(e.o.Parallel)
	var mu sync.Mutex
	for _, u := range units {
		if e.stopping(ctx) {
			break
		}
		mu.Lock()
		wasBlocked := results[u.ID].Outcome == OutcomeBlocked
		mu.Unlock()
		g.Go(func() error {
			r := UnitResult{ID: u.ID, Phase: Planned}
			t := e.o.Targets(u)
			// The platform refuses to validate a unit whose dependencies
			// have not migrated (storage accounts go last); that refusal
			// is an ordering fact the plan already knows, not a finding.
			if d, dph, err := e.uncommitted(ctx, e.dependencies(u)); err == nil && d != "" && !wasBlocked {
				r.Outcome = OutcomeSkipped
				r.Reason = "the platform validates it once " + d + " is committed (now " + string(dph) + ")"
				mu.Lock()
				*results[u.ID] = r
				mu.Unlock()
				e.final(r)
				return nil
			}
			msgs, err := e.validate(ctx, u, t)
			r.Messages = msgs
			switch {
			case err != nil && ctx.Err() != nil:
				r.Outcome, r.Err = OutcomeInterrupted, ErrInterrupted
			case err != nil:
				r.Outcome, r.Err, r.Reason = OutcomeFailed, err, "validate failed"
			case hasErrors(msgs) || wasBlocked:
				r.Phase, r.Outcome, r.Err = Blocked, OutcomeBlocked, ErrValidation
				r.Reason = "blocking findings"
				if err := e.jerr(e.block(u.ID, msgs)); err != nil {
					r.Outcome, r.Err = OutcomeFailed, err
				}
			default:
				r.Outcome = OutcomeDone
				r.Phase = Validated
				rec, _, err := e.o.Journal.Unit(u.ID)
				if err == nil {
					switch Phase(rec.Phase) {
					case "", Planned, Blocked, Aborted, Validated:
						err = e.o.Journal.SetPhase(u.ID, string(Validated), "")
					default:
						r.Phase = Phase(rec.Phase)
					}
				}
				if err := e.jerr(err); err != nil {
					r.Outcome, r.Err = OutcomeFailed, err
				}
			}
			mu.Lock()
			*results[u.ID] = r
			mu.Unlock()
			e.final(r)
			return nil
		})
	}
	_ = g.Wait()
}

func hasErrors(msgs []cloud.Message) bool {
	for _, m := range msgs {
		if strings.EqualFold(m.Category, "Error") {
			return true
		}
	}
	return false
}

// block records a unit blocked by the platform's validation.
func (e *Executor) block(id string, msgs []cloud.Message) error {
	f := journal.Findings{Unit: id, Blocked: true}
	seen := map[string]bool{}
	for _, m := range msgs {
		switch {
		case strings.EqualFold(m.Category, "Error"):
			f.Errors++
		case strings.EqualFold(m.Category, "Warning"):
			f.Warnings++
		}
		if !seen[m.Message] && strings.EqualFold(m.Category, "Error") {
			seen[m.Message] = true
			f.Rules = append(f.Rules, "platform: "+m.Message)
		}
	}
	sort.Strings(f.Rules)
	if err := e.o.Journal.PutFindings(f); err != nil {
		return err
	}
	e.event(Event{Target: id, State: string(Blocked), Op: string(OpValidate), Note: "platform validation errors"})
	return e.o.Journal.SetPhase(id, string(Blocked), "platform validation errors")
}

// validate runs the platform's Validate, retrying transient faults.
func (e *Executor) validate(ctx context.Context, u *plan.Unit, t cloud.Target) ([]cloud.Message, error) {
	var msgs []cloud.Message
	err := e.eng.Policy().Read(ctx, func(ctx context.Context) error {
		var err error
		msgs, err = e.o.Driver.Validate(ctx, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", u.ID, step.Classify(ctx, err))
	}
	return msgs, nil
}

// isJournal reports whether err is a journal failure that stops everything.
func isJournal(err error) bool { return step.IsStoreError(err) }
