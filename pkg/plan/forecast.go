package plan

import (
	"math"
	"time"

	"github.com/migrate-tool/migrate/pkg/dag"
)

// Durations are how long each platform operation takes on one unit.
type Durations struct {
	Validate time.Duration `json:"validate"`
	Prepare  time.Duration `json:"prepare"`
	Commit   time.Duration `json:"commit"`
}

// PerUnit is the time one unit occupies a worker: Validate, Prepare and
// Commit back to back.
func (d Durations) PerUnit() time.Duration { return d.Validate + d.Prepare + d.Commit }

// Estimate is a forecast of how long a whole run takes.
type Estimate struct {
	// Parallel is the number of workers assumed (at least 1).
	Parallel int `json:"parallel"`
	// Makespan is the simulated wall-clock time of the run under the
	// executor's policy.
	Makespan time.Duration `json:"makespan"`
	// LowerBound is max(CriticalPath, TotalWork/Parallel): no schedule can
	// be faster.
	LowerBound time.Duration `json:"lowerBound"`
	// CriticalPath is the time of the longest dependency chain alone.
	CriticalPath time.Duration `json:"criticalPath"`
	// TotalWork is the sum of every unit's time.
	TotalWork time.Duration `json:"totalWork"`
}

// Forecast simulates a run of p with parallel workers (values below 1 mean
// 1) under the executor's policy: a unit takes d.PerUnit(), starts only once
// every unit it depends on has committed, and among ready units the one with
// the highest Rank starts first, ties in plan order. Units finishing at the
// same instant all free their workers before any new unit starts. The result
// is deterministic. Cost: O(n log n + e) for n units and e dependencies.
func Forecast(p *Plan, d Durations, parallel int) Estimate {
	if parallel < 1 {
		parallel = 1
	}
	per := d.PerUnit()
	n := len(p.Units)
	est := Estimate{
		Parallel:     parallel,
		TotalWork:    per * time.Duration(n),
		CriticalPath: per * time.Duration(len(p.CriticalPath)),
	}
	est.LowerBound = max(est.CriticalPath, ceilDiv(est.TotalWork, parallel))

	_, ends := simulate(p, func(int) time.Duration { return per }, parallel)
	for _, e := range ends {
		est.Makespan = max(est.Makespan, e)
	}
	return est
}

// simulate runs p's units on parallel workers (at least 1) under the
// executor's policy (see Forecast), unit i taking dur(i), and returns when
// each unit starts and ends, indexed like p.Units. It is dag.Simulate with
// the executor's priority (Rank, then plan order), so the forecast and a
// walk of the same graph follow one scheduler. A dependency outside the plan
// (a plan decoded from JSON may name one) never blocks: it goes first and
// takes no time. Deterministic; cost O((n+e) log n).
func simulate(p *Plan, dur func(i int) time.Duration, parallel int) (starts, ends []time.Duration) {
	n := len(p.Units)
	index := make(map[string]int, n)
	for i, u := range p.Units {
		index[u.ID] = i
	}
	o := dag.WalkOptions{
		Workers: parallel,
		Priority: func(id string) int64 {
			if i, ok := index[id]; ok {
				return int64(p.Units[i].Rank)
			}
			return math.MaxInt64
		},
		Order: func(id string) int {
			if i, ok := index[id]; ok {
				return i
			}
			return -1
		},
	}
	slots, _, err := p.Graph().Simulate(o, func(id string) time.Duration {
		if i, ok := index[id]; ok {
			return dur(i)
		}
		return 0
	})
	starts, ends = make([]time.Duration, n), make([]time.Duration, n)
	if err != nil {
		// A cyclic plan cannot be built or reindexed; nothing to time.
		return starts, ends
	}
	for i, u := range p.Units {
		starts[i], ends[i] = slots[u.ID].Start, slots[u.ID].End
	}
	return starts, ends
}

func ceilDiv(d time.Duration, n int) time.Duration {
	return (d + time.Duration(n) - 1) / time.Duration(n)
}
