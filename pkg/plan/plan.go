package plan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/dag"
)

// Plan is the migration plan: units, their dependency graph and waves. It is
// an inert, deterministic artifact: the same inventory gives a byte-identical
// plan.
type Plan struct {
	// Units in plan order: by wave, then by id.
	Units []*Unit `json:"units"`
	// Waves is the number of waves.
	Waves int `json:"waves"`
	// CriticalPath is the longest dependency chain, as unit ids from first to
	// last.
	CriticalPath []string `json:"criticalPath"`

	byID     map[string]*Unit
	resource map[string]string
	graph    *dag.Graph
}

// Graph returns the unit dependency graph: nodes are unit ids, an edge
// runs from a dependency to its dependent. Callers must not modify it. For a
// plan not made by Build (e.g. decoded from JSON) it is built from
// Units[].DependsOn on first use, so that first call must not race with
// another.
func (p *Plan) Graph() *dag.Graph {
	if p.graph == nil {
		g := dag.New()
		for _, u := range p.Units {
			g.AddNode(u.ID)
			for _, d := range u.DependsOn {
				g.AddEdge(d, u.ID)
			}
		}
		p.graph = g
	}
	return p.graph
}

// Downstream returns the ids of every unit that depends, directly or not, on
// any of the given units (ids case-insensitive), sorted: the units to skip
// when those fail.
func (p *Plan) Downstream(ids ...string) []string {
	exact := make([]string, 0, len(ids))
	for _, id := range ids {
		if u := p.Unit(id); u != nil {
			exact = append(exact, u.ID)
		}
	}
	return p.Graph().Descendants(exact...)
}

// Unit returns the unit with the given id (case-insensitive), or nil.
func (p *Plan) Unit(id string) *Unit {
	if p.byID == nil {
		p.byID = make(map[string]*Unit, len(p.Units))
		for _, u := range p.Units {
			p.byID[foldID(u.ID)] = u
		}
	}
	return p.byID[foldID(id)]
}

// UnitOf returns the id of the unit that migrates the resource with the given
// resource id (cli.md naming), or "" if no unit does. A plan made by Build
// knows every resource of the inventory (VMs, availability sets, gateways,
// disks, images too); a plan decoded from JSON knows its units' Resources.
func (p *Plan) UnitOf(resource string) string {
	if p.resource == nil {
		p.resource = map[string]string{}
		for _, u := range p.Units {
			for _, r := range u.Resources {
				p.resource[foldID(r)] = u.ID
			}
		}
	}
	return p.resource[foldID(resource)]
}

// foldID folds an id for case-insensitive look-ups: names are
// case-insensitive in Azure, kinds are lower case already.
func foldID(id string) string { return strings.ToLower(id) }

// Reindex rebuilds what a plan decoded from JSON lacks, from its Units (ids,
// DependsOn, Resources): the look-ups, the graph and every unit's Rank, so
// the executor and Forecast see the same ranks as on the plan Build made. It
// returns a *CycleError if the units depend on each other in a circle.
func (p *Plan) Reindex() error {
	p.byID, p.resource, p.graph = nil, nil, nil
	p.Unit("")
	p.UnitOf("")
	ranks, err := p.Graph().BottomLevels(nil)
	if err != nil {
		var ce *dag.CycleError
		if errors.As(err, &ce) {
			return &CycleError{Cycles: ce.Cycles}
		}
		return fmt.Errorf("plan: rank units: %w", err)
	}
	for _, u := range p.Units {
		u.Rank = int(ranks[u.ID])
	}
	return nil
}
