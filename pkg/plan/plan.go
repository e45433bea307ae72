package plan

import "strings"

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
}

// Unit returns the unit with the given id (case-insensitive), or nil.
func (p *Plan) Unit(id string) *Unit { return p.byID[foldID(id)] }

// UnitOf returns the id of the unit that migrates the resource with the given
// resource id (cli.md naming), or "" if no unit does.
func (p *Plan) UnitOf(resource string) string { return p.resource[foldID(resource)] }

// foldID folds an id for case-insensitive look-ups: names are
// case-insensitive in Azure, kinds are lower case already.
func foldID(id string) string { return strings.ToLower(id) }
