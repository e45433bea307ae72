package plan

import (
	"container/heap"
	"time"
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
// each unit starts and ends, indexed like p.Units. Deterministic; cost
// O(n log n + e).
func simulate(p *Plan, dur func(i int) time.Duration, parallel int) (starts, ends []time.Duration) {
	if parallel < 1 {
		parallel = 1
	}
	n := len(p.Units)
	starts, ends = make([]time.Duration, n), make([]time.Duration, n)
	index := make(map[string]int, n)
	for i, u := range p.Units {
		index[foldID(u.ID)] = i
	}
	waiting := make([]int, n)
	dependents := make([][]int, n)
	for i, u := range p.Units {
		for _, dep := range u.DependsOn {
			j, ok := index[foldID(dep)]
			if !ok {
				continue // a dependency outside the plan never blocks
			}
			waiting[i]++
			dependents[j] = append(dependents[j], i)
		}
	}
	ready := &readyQueue{units: p.Units}
	for i := range p.Units {
		if waiting[i] == 0 {
			ready.items = append(ready.items, i)
		}
	}
	heap.Init(ready)
	running := &finishQueue{}
	var now time.Duration
	free := parallel
	for {
		for free > 0 && ready.Len() > 0 {
			i := heap.Pop(ready).(int)
			starts[i] = now
			ends[i] = now + dur(i)
			heap.Push(running, finish{at: ends[i], unit: i})
			free--
		}
		if running.Len() == 0 {
			break
		}
		now = running.items[0].at
		for running.Len() > 0 && running.items[0].at == now {
			f := heap.Pop(running).(finish)
			free++
			for _, j := range dependents[f.unit] {
				waiting[j]--
				if waiting[j] == 0 {
					heap.Push(ready, j)
				}
			}
		}
	}
	return starts, ends
}

func ceilDiv(d time.Duration, n int) time.Duration {
	return (d + time.Duration(n) - 1) / time.Duration(n)
}

// readyQueue orders ready units by highest Rank, then plan order.
type readyQueue struct {
	items []int
	units []*Unit
}

func (q *readyQueue) Len() int { return len(q.items) }
func (q *readyQueue) Less(a, b int) bool {
	ua, ub := q.units[q.items[a]], q.units[q.items[b]]
	if ua.Rank != ub.Rank {
		return ua.Rank > ub.Rank
	}
	return q.items[a] < q.items[b]
}
func (q *readyQueue) Swap(a, b int) { q.items[a], q.items[b] = q.items[b], q.items[a] }
func (q *readyQueue) Push(x any)    { q.items = append(q.items, x.(int)) }
func (q *readyQueue) Pop() any {
	x := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return x
}

type finish struct {
	at   time.Duration
	unit int
}

// finishQueue orders running units by finish time, then plan order.
type finishQueue struct{ items []finish }

func (q *finishQueue) Len() int { return len(q.items) }
func (q *finishQueue) Less(a, b int) bool {
	if q.items[a].at != q.items[b].at {
		return q.items[a].at < q.items[b].at
	}
	return q.items[a].unit < q.items[b].unit
}
func (q *finishQueue) Swap(a, b int) { q.items[a], q.items[b] = q.items[b], q.items[a] }
func (q *finishQueue) Push(x any)    { q.items = append(q.items, x.(finish)) }
func (q *finishQueue) Pop() any {
	x := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return x
}
