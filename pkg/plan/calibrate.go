package plan

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Measurement is one operation measured on one unit: how long a rehearsal
// or a run took to validate, prepare or commit it.
type Measurement struct {
	Unit     string
	Op       Operation
	Duration time.Duration
}

// calibration is what Calibrate learnt: each measured unit's own durations,
// and per operation the ratio of measured to modelled time over the
// measured units, which scales the units not measured.
type calibration struct {
	source string
	units  map[string]map[Operation]time.Duration // folded unit id
	ratio  map[Operation]float64
	count  int
}

// Calibrate makes m answer what was measured: a unit measured for an
// operation takes its measured time (the last measurement, likely and
// pessimistic scaled alike); a unit not measured for it takes the model's
// durations times the ratio of measured to modelled time over the units
// that were. Operations never measured (a rehearsal aborts instead of
// committing; restarts are not measured) keep the model's figures.
// Measurements of units p does not have are ignored. source names where
// they come from, for the assumptions. Calling it again replaces what an
// earlier call learnt.
func (m *Model) Calibrate(p *Plan, source string, ms []Measurement) {
	c := &calibration{source: source, units: map[string]map[Operation]time.Duration{}, ratio: map[Operation]float64{}}
	for _, x := range ms {
		if p.Unit(x.Unit) == nil || x.Duration <= 0 {
			continue
		}
		k := foldID(x.Unit)
		if c.units[k] == nil {
			c.units[k] = map[Operation]time.Duration{}
		}
		c.units[k][x.Op] = x.Duration
		c.count++
	}
	measured, modelled := map[Operation]time.Duration{}, map[Operation]time.Duration{}
	for _, u := range p.Units {
		for op, d := range c.units[foldID(u.ID)] {
			measured[op] += d
			modelled[op] += m.modelled(u, op).Likely
		}
	}
	for op, d := range measured {
		if modelled[op] > 0 {
			c.ratio[op] = float64(d) / float64(modelled[op])
		}
	}
	m.cal = c
}

// modelled is op on u before calibration.
func (m *Model) modelled(u *Unit, op Operation) Range {
	if op == OpRestart && u.Downtime != DowntimeRestart {
		return Range{}
	}
	c := m.costs[classOf(u)][op]
	return Range{Likely: c.Likely.For(u), Pessimistic: c.Pessimistic.For(u)}
}

// calibrated is op on u after calibration.
func (m *Model) calibrated(u *Unit, op Operation) Range {
	r := m.modelled(u, op)
	c := m.cal
	if c == nil {
		return r
	}
	if d, ok := c.units[foldID(u.ID)][op]; ok {
		if r.Likely <= 0 {
			return Range{Likely: d, Pessimistic: d}
		}
		f := float64(d) / float64(r.Likely)
		return Range{Likely: d, Pessimistic: max(d, time.Duration(float64(r.Pessimistic)*f))}
	}
	if f, ok := c.ratio[op]; ok {
		return Range{Likely: time.Duration(float64(r.Likely) * f), Pessimistic: time.Duration(float64(r.Pessimistic) * f)}
	}
	return r
}

// calibrationAssumption says in a sentence what Calibrate did, "" if not
// called.
func (m *Model) calibrationAssumption() string {
	c := m.cal
	if c == nil {
		return ""
	}
	ops := make([]string, 0, len(c.ratio))
	for op, f := range c.ratio {
		ops = append(ops, fmt.Sprintf("%s ×%.2f", op, f))
	}
	sort.Strings(ops)
	if len(ops) == 0 {
		return fmt.Sprintf("Calibration from %s found no measured operation of this plan's units: the model's figures stand.", c.source)
	}
	return fmt.Sprintf("Calibrated from %d measured operations in %s: measured units take their measured times, the others the model's times by the ratio measured/modelled (%s).",
		c.count, c.source, strings.Join(ops, ", "))
}
