package phases

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Reconciled is one intent settled from the platform's state.
type Reconciled struct {
	Unit string
	// Op is the operation whose intent had no outcome.
	Op string
	// Phase is the phase the platform's state maps to.
	Phase Phase
	// Err is set when the state could not be read; the intent stays open.
	Err error
}

// Reconcile settles every intent the journal holds without an outcome (a
// crash or a cancelled call between intent and outcome) by reading the
// unit's platform state, waiting while an operation still runs, and
// recording the phase. Nothing is sent. Run does this itself before it
// sends anything; callers need Reconcile only to reconcile without running
// a command. Only o.Plan, o.Driver, o.Journal, o.Targets and the timing
// options are used. The error is a journal failure; a state that cannot be
// read is reported in the unit's Reconciled.Err.
func Reconcile(ctx context.Context, o Options) ([]Reconciled, error) {
	if o.Mode == "" {
		o.Mode = ModeRun
	}
	e, err := New(o)
	if err != nil {
		return nil, err
	}
	return e.reconcile(ctx)
}

func (e *Executor) reconcile(ctx context.Context) ([]Reconciled, error) {
	pending, err := e.o.Journal.Pending()
	if err != nil {
		return nil, err
	}
	out := make([]Reconciled, 0, len(pending))
	var mu sync.Mutex
	g := errgroup.Group{}
	g.SetLimit(e.o.Parallel)
	for _, p := range pending {
		u := e.lookup(p.Unit)
		if u == nil {
			// Not in this plan: left open until a plan has it again.
			continue
		}
		g.Go(func() error {
			ph, err := e.observe(ctx, u, e.o.Targets(u))
			if isJournal(err) {
				return err
			}
			mu.Lock()
			out = append(out, Reconciled{Unit: u.ID, Op: p.Op, Phase: ph, Err: err})
			mu.Unlock()
			e.event(Event{Target: u.ID, State: string(ph), Err: err, Note: "reconciled " + p.Op + " from the platform's state"})
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return out, err
	}
	return out, nil
}
