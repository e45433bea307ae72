package plan

import (
	"errors"
	"fmt"

	"github.com/migrate-tool/migrate/pkg/dag"
)

// Remaining is the plan of what is left once the units in done (ids,
// case-insensitive, mapped to true) have migrated: the other units in plan order, each
// depending only on units left (a dependency done is met), with waves,
// ranks and critical path computed again. p is not changed; the units are
// copies. Cost: that of Build's ordering, O((n+e) log n).
func (p *Plan) Remaining(done map[string]bool) (*Plan, error) {
	folded := make(map[string]bool, len(done))
	for id, ok := range done {
		if ok {
			folded[foldID(id)] = true
		}
	}
	isDone := func(id string) bool { return folded[foldID(id)] }
	g := dag.New()
	var left []*Unit
	for _, u := range p.Units {
		if isDone(u.ID) {
			continue
		}
		c := *u
		c.DependsOn = []string{}
		for _, d := range u.DependsOn {
			if !isDone(d) {
				c.DependsOn = append(c.DependsOn, d)
			}
		}
		left = append(left, &c)
		g.AddNode(c.ID)
	}
	for _, u := range left {
		for _, d := range u.DependsOn {
			g.AddEdge(d, u.ID)
		}
	}
	levels, err := g.Levels()
	if err != nil {
		var ce *dag.CycleError
		if errors.As(err, &ce) {
			return nil, &CycleError{Cycles: ce.Cycles}
		}
		return nil, fmt.Errorf("plan: order the units left: %w", err)
	}
	crit, _, err := g.CriticalPath(nil)
	if err != nil {
		return nil, fmt.Errorf("plan: critical path of the units left: %w", err)
	}
	out := &Plan{Units: []*Unit{}, CriticalPath: crit}
	if out.CriticalPath == nil {
		out.CriticalPath = []string{}
	}
	for _, u := range left {
		u.Wave = levels[u.ID]
		out.Waves = max(out.Waves, u.Wave+1)
	}
	// Plan order: by wave, then as p had them (by id).
	for w := range out.Waves {
		for _, u := range left {
			if u.Wave == w {
				out.Units = append(out.Units, u)
			}
		}
	}
	if err := out.Reindex(); err != nil {
		return nil, err
	}
	return out, nil
}
