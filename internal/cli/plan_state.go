package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/validate"
)

// moved is what the state directory's journal says of the plan's units:
// those committed (nothing left to do) and those prepared (their Commit
// left), by plan id, in plan order.
type moved struct {
	committed, prepared []string
}

// movedUnits reads the journal of the state directory read-only (it takes
// no lock and answers while a run holds the directory): a state directory
// without a journal is one where nothing moved. Units the plan does not
// have (a journal of another estate) are ignored.
func (a *app) movedUnits(ctx context.Context, p *plan.Plan) (moved, error) {
	j, err := journal.OpenReadOnly(ctx, a.cfg.StateDir)
	if errors.Is(err, journal.ErrNoJournal) {
		return moved{}, nil
	}
	if err != nil {
		return moved{}, fmt.Errorf("read what moved in %s: %w", a.cfg.StateDir, err)
	}
	defer func() { _ = j.Close() }() // read-only: nothing to lose
	units, err := j.Units()
	if err != nil {
		return moved{}, fmt.Errorf("read what moved in %s: %w", a.cfg.StateDir, err)
	}
	phase := map[string]phases.Phase{}
	for id, st := range units {
		if u := p.Unit(id); u != nil {
			phase[u.ID] = phases.Phase(st.Phase)
		}
	}
	var m moved
	for _, u := range p.Units {
		switch phase[u.ID] {
		case phases.Committed:
			m.committed = append(m.committed, u.ID)
		case phases.Prepared, phases.Committing, phases.CommitFailed:
			m.prepared = append(m.prepared, u.ID)
		}
	}
	return m, nil
}

// leftToDo narrows the plan, its findings and the timing model to what is
// left once the units in m have moved: committed units leave the plan (a
// dependency on one is met), a prepared unit keeps only its Commit in the
// forecast. It says on stderr what moved; the plan it returns is empty when
// nothing is left.
func (a *app) leftToDo(p *plan.Plan, findings []validate.Finding, model *plan.Model, m moved) (*plan.Plan, []validate.Finding, error) {
	if len(m.committed) == 0 && len(m.prepared) == 0 {
		return p, findings, nil
	}
	done := make(map[string]bool, len(m.committed))
	for _, id := range m.committed {
		done[id] = true
	}
	left, err := p.Remaining(done)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range m.prepared {
		model.Skip(id, plan.OpValidate, plan.OpPrepare, plan.OpRestart)
	}
	kept := findings[:0:0]
	for _, f := range findings {
		if !done[f.Unit] {
			kept = append(kept, f)
		}
	}
	if len(m.committed) > 0 {
		fmt.Fprintf(a.io.ErrOut, "state directory %s: %d of %d units already committed (done): %s\n",
			a.cfg.StateDir, len(m.committed), len(p.Units), strings.Join(m.committed, ", "))
	}
	if len(m.prepared) > 0 {
		fmt.Fprintf(a.io.ErrOut, "state directory %s: %d units prepared, their Commit left: %s\n",
			a.cfg.StateDir, len(m.prepared), strings.Join(m.prepared, ", "))
	}
	if len(left.Units) > 0 {
		fmt.Fprintf(a.io.ErrOut, "the plan and its forecast cover the %d units left\n", len(left.Units))
	}
	return left, kept, nil
}
