package phases

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/retry"
)

// UnitStatus is one unit's line of status. Its JSON is the cli.md shape;
// the other fields are for the table.
type UnitStatus struct {
	ID    string `json:"id"`
	Phase Phase  `json:"phase"`
	// Updated is when the phase was last recorded, RFC 3339 UTC to the
	// second; when the platform disagrees with the journal (or the journal
	// has no record) it is the time of this read.
	Updated time.Time `json:"updated"`
	// Journal is the phase the journal records ("" when none).
	Journal Phase `json:"-"`
	// Differs is set when the platform and the journal disagree: Phase is
	// the platform's.
	Differs bool `json:"-"`
	// Pending is the operation of an intent without outcome (the process
	// doing it died or is still at it).
	Pending string `json:"-"`
	// Err is set when the platform's state could not be read; Phase is
	// then the journal's.
	Err error `json:"-"`
	// Error is Err's text in the JSON document: a reader of `status -o
	// json` must see that the phase is the journal's alone.
	Error string `json:"error,omitempty"`
}

// StatusDocument is the `status -o json` document.
type StatusDocument struct {
	Units []UnitStatus `json:"units"`
}

// Status reports every unit of p in plan order: the journal's phase
// reconciled with the platform's state, the platform winning. It changes
// nothing, so j may be opened read-only. targets nil means Kind and Name
// only. States are read with up to 8 reads in flight; a transient fault is
// retried after its Retry-After (a few times), then reported in Err.
func Status(ctx context.Context, j *journal.Journal, driver cloud.Migrator, p *plan.Plan, targets func(*plan.Unit) cloud.Target) ([]UnitStatus, error) {
	recs := map[string]journal.UnitState{}
	if j != nil {
		var err error
		if recs, err = j.Units(); err != nil {
			return nil, err
		}
	}
	if targets == nil {
		targets = func(u *plan.Unit) cloud.Target {
			return cloud.Target{Unit: u.ID, Kind: string(u.Kind), Name: u.Name}
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	out := make([]UnitStatus, len(p.Units))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, u := range p.Units {
		g.Go(func() error {
			rec, ok := recs[u.ID]
			st := UnitStatus{ID: u.ID, Journal: Phase(rec.Phase), Updated: rec.Updated.UTC().Truncate(time.Second)}
			if rec.Pending != nil {
				st.Pending = rec.Pending.Op
			}
			s, err := readState(gctx, driver, targets(u))
			if errors.Is(err, cloud.ErrNotFound) && commitRecorded(rec) {
				// The platform removes a committed unit's classic resource.
				s, err = cloud.StateCommitted, nil
			}
			switch {
			case err != nil:
				st.Err = err
				st.Error = "platform state unreadable: " + err.Error()
				st.Phase = st.Journal
				if st.Phase == "" {
					st.Phase = Planned
				}
			default:
				st.Phase = PhaseOf(s, rec)
				// Blocked is the journal's knowledge; the platform says
				// only None for such a unit.
				if st.Journal == Blocked && s == cloud.StateNone {
					st.Phase = Blocked
				}
				st.Differs = ok && st.Phase != st.Journal
			}
			if !ok || st.Differs {
				st.Updated = now
			}
			mu.Lock()
			out[i] = st
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// commitRecorded reports whether rec shows a Commit sent to the unit.
func commitRecorded(rec journal.UnitState) bool {
	return rec.LastOp == string(OpCommit) || Phase(rec.Phase) == Committing || Phase(rec.Phase) == Committed
}

// readState reads a state for status, retrying a few transient faults
// with the one retry policy (a Retry-After honoured, else jittered
// backoff).
func readState(ctx context.Context, d cloud.Migrator, t cloud.Target) (cloud.State, error) {
	var s cloud.State
	err := retry.Do(ctx, retry.Policy{MaxAttempts: 4, Transient: cloud.IsTransient}, func(ctx context.Context) error {
		var err error
		s, err = d.State(ctx, t)
		return err
	})
	return s, err
}

// Rebuild fills j, a new journal, with every unit's phase as the platform
// reports it: what `migrate status --rebuild` does after a damaged journal
// was moved aside. A unit whose classic resource is gone is taken as
// committed (the platform removes it on Commit). A unit whose state cannot
// be read is recorded nothing and reported in Err. Nothing is sent to the
// platform but reads.
func Rebuild(ctx context.Context, j *journal.Journal, driver cloud.Migrator, p *plan.Plan, targets func(*plan.Unit) cloud.Target) ([]UnitStatus, error) {
	if targets == nil {
		targets = func(u *plan.Unit) cloud.Target {
			return cloud.Target{Unit: u.ID, Kind: string(u.Kind), Name: u.Name}
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	out := make([]UnitStatus, len(p.Units))
	for i, u := range p.Units {
		st := UnitStatus{ID: u.ID, Updated: now}
		s, err := readState(ctx, driver, targets(u))
		if errors.Is(err, cloud.ErrNotFound) {
			s, err = cloud.StateCommitted, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			st.Err, st.Error, st.Phase = err, "platform state unreadable: "+err.Error(), Planned
			out[i] = st
			continue
		}
		st.Phase = PhaseOf(s, journal.UnitState{})
		if err := j.SetPhase(u.ID, string(st.Phase), "rebuilt from the platform's state"); err != nil {
			return nil, err
		}
		out[i] = st
	}
	return out, nil
}
