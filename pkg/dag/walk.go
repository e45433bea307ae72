package dag

import (
	"container/heap"
	"context"
	"sort"
	"sync"
	"time"
)

// WalkOptions is the scheduling policy shared by every way of walking a
// graph: at most Workers nodes run at once; among the nodes ready to start
// (everything they depend on done), the highest Priority starts first, ties
// by Order (lower first), then by id.
type WalkOptions struct {
	// Workers is how many nodes run at once; below 1 means 1.
	Workers int
	// Priority ranks ready nodes, higher first; nil ranks all alike. The
	// migration executor uses the bottom level (BottomLevels): starting the
	// longest remaining chain first shortens the whole walk.
	Priority func(id string) int64
	// Order breaks priority ties, lower first; nil means id order.
	Order func(id string) int
}

// Scheduler is the walk's state machine, without a clock and without
// goroutines: Next says which node may start now, Done records how it
// ended. A node whose dependency failed (or was skipped) is never started:
// it is skipped, and everything downstream of it too. Walk runs a Scheduler
// on the real clock, Simulate on a simulated one, so a forecast and a run
// follow the same policy.
//
// A Scheduler is not safe for concurrent use; Walk serialises its calls.
type Scheduler struct {
	g        *Graph
	workers  int
	running  int
	waiting  []int // per node: dependencies not yet done
	state    []nodeState
	ready    *readyHeap
	priority []int64
	order    []int
	skipped  []string
	left     int // nodes neither finished nor skipped
}

type nodeState uint8

const (
	statePending nodeState = iota
	stateReady
	stateRunning
	stateDone
	stateFailed
	stateSkipped
)

// NewScheduler starts a walk of g under o. It returns a *CycleError if g
// has a cycle: no walk can finish it. g must not change during the walk.
func (g *Graph) NewScheduler(o WalkOptions) (*Scheduler, error) {
	if _, err := g.topo(); err != nil {
		return nil, err
	}
	g.prepare()
	n := len(g.ids)
	s := &Scheduler{
		g: g, workers: max(o.Workers, 1),
		waiting: make([]int, n), state: make([]nodeState, n),
		priority: make([]int64, n), order: make([]int, n), left: n,
	}
	for i, id := range g.ids {
		s.waiting[i] = len(g.deps[i])
		if o.Priority != nil {
			s.priority[i] = o.Priority(id)
		}
		if o.Order != nil {
			s.order[i] = o.Order(id)
		}
	}
	s.ready = &readyHeap{s: s}
	for _, i := range g.order {
		if s.waiting[i] == 0 {
			s.state[i] = stateReady
			s.ready.items = append(s.ready.items, i)
		}
	}
	heap.Init(s.ready)
	return s, nil
}

// Next returns a node to start now and marks it running, or false when no
// worker is free or no node is ready.
func (s *Scheduler) Next() (string, bool) {
	if s.running >= s.workers || s.ready.Len() == 0 {
		return "", false
	}
	i := heap.Pop(s.ready).(int)
	s.state[i] = stateRunning
	s.running++
	return s.g.ids[i], true
}

// Done records that a running node ended: err nil means it succeeded and
// its dependents may become ready; otherwise every node downstream of it is
// skipped, and returned (in id order). Done of a node that is not running
// does nothing.
func (s *Scheduler) Done(id string, err error) []string {
	i, ok := s.g.index[id]
	if !ok || s.state[i] != stateRunning {
		return nil
	}
	s.running--
	s.left--
	if err != nil {
		s.state[i] = stateFailed
		return s.skipFrom(i)
	}
	s.state[i] = stateDone
	for _, w := range s.g.dependents[i] {
		s.waiting[w]--
		if s.waiting[w] == 0 && s.state[w] == statePending {
			s.state[w] = stateReady
			heap.Push(s.ready, w)
		}
	}
	return nil
}

// Stop skips every node not yet started (a drained or cancelled walk) and
// returns them in id order; running nodes still report with Done.
func (s *Scheduler) Stop() []string {
	var out []string
	for _, i := range s.g.order {
		if st := s.state[i]; st == statePending || st == stateReady {
			s.state[i] = stateSkipped
			s.left--
			out = append(out, s.g.ids[i])
		}
	}
	s.ready.items = s.ready.items[:0]
	s.skipped = append(s.skipped, out...)
	return out
}

func (s *Scheduler) skipFrom(i int) []string {
	var idx []int
	queue := []int{i}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range s.g.dependents[v] {
			// A ready node cannot be downstream of a node that just ended
			// (it was waiting on it), so only pending nodes are skipped.
			if s.state[w] == statePending {
				s.state[w] = stateSkipped
				s.left--
				idx = append(idx, w)
				queue = append(queue, w)
			}
		}
	}
	out := s.g.sortedNames(idx)
	s.skipped = append(s.skipped, out...)
	return out
}

// sortedNames returns the ids of idx in id order.
func (g *Graph) sortedNames(idx []int) []string {
	sort.Slice(idx, func(a, b int) bool { return g.rank[idx[a]] < g.rank[idx[b]] })
	return g.names(idx)
}

// Running is how many nodes are running.
func (s *Scheduler) Running() int { return s.running }

// Finished reports whether every node has ended or been skipped.
func (s *Scheduler) Finished() bool { return s.left == 0 }

// Skipped returns every node skipped so far, in the order they were.
func (s *Scheduler) Skipped() []string { return append([]string(nil), s.skipped...) }

type readyHeap struct {
	s     *Scheduler
	items []int
}

func (h *readyHeap) Len() int { return len(h.items) }
func (h *readyHeap) Less(a, b int) bool {
	x, y := h.items[a], h.items[b]
	s := h.s
	if s.priority[x] != s.priority[y] {
		return s.priority[x] > s.priority[y]
	}
	if s.order[x] != s.order[y] {
		return s.order[x] < s.order[y]
	}
	return s.g.rank[x] < s.g.rank[y]
}
func (h *readyHeap) Swap(a, b int) { h.items[a], h.items[b] = h.items[b], h.items[a] }
func (h *readyHeap) Push(x any)    { h.items = append(h.items, x.(int)) }
func (h *readyHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// Slot is when a node ran on the simulated clock.
type Slot struct {
	Start, End time.Duration
}

// Simulate walks g on a simulated clock from 0: each node takes dur(id),
// starts as soon as the policy lets it, and nodes ending at the same instant
// all free their workers before any other node starts. No node fails. It
// returns each node's slot and the time the last one ends. Deterministic;
// cost O((V+E) log V).
func (g *Graph) Simulate(o WalkOptions, dur func(id string) time.Duration) (map[string]Slot, time.Duration, error) {
	s, err := g.NewScheduler(o)
	if err != nil {
		return nil, 0, err
	}
	slots := make(map[string]Slot, len(g.ids))
	ends := &endHeap{g: g}
	var now time.Duration
	for {
		for {
			id, ok := s.Next()
			if !ok {
				break
			}
			sl := Slot{Start: now, End: now + dur(id)}
			slots[id] = sl
			heap.Push(ends, ending{at: sl.End, node: g.index[id]})
		}
		if ends.Len() == 0 {
			return slots, now, nil
		}
		now = ends.items[0].at
		for ends.Len() > 0 && ends.items[0].at == now {
			e := heap.Pop(ends).(ending)
			s.Done(g.ids[e.node], nil)
		}
	}
}

type ending struct {
	at   time.Duration
	node int
}

// endHeap orders running nodes by end time, then id.
type endHeap struct {
	g     *Graph
	items []ending
}

func (h *endHeap) Len() int { return len(h.items) }
func (h *endHeap) Less(a, b int) bool {
	if h.items[a].at != h.items[b].at {
		return h.items[a].at < h.items[b].at
	}
	return h.g.rank[h.items[a].node] < h.g.rank[h.items[b].node]
}
func (h *endHeap) Swap(a, b int) { h.items[a], h.items[b] = h.items[b], h.items[a] }
func (h *endHeap) Push(x any)    { h.items = append(h.items, x.(ending)) }
func (h *endHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// WalkResult is how a Walk ended: the nodes that succeeded, failed (with
// their errors) and were skipped, each in id order.
type WalkResult struct {
	Done    []string
	Failed  map[string]error
	Skipped []string
}

// Walk runs fn for every node of g on the real clock under o: each node in
// its own goroutine once everything it depends on has succeeded, at most
// o.Workers at once. A node whose fn returns an error fails, and everything
// downstream of it is skipped; independent nodes go on. When ctx is
// cancelled no node starts any more (the rest are skipped) and Walk waits
// for the running ones, which get ctx. fn must be safe for concurrent use.
// It returns a *CycleError, before running anything, if g has a cycle.
func (g *Graph) Walk(ctx context.Context, o WalkOptions, fn func(ctx context.Context, id string) error) (*WalkResult, error) {
	s, err := g.NewScheduler(o)
	if err != nil {
		return nil, err
	}
	type result struct {
		id  string
		err error
	}
	results := make(chan result)
	res := &WalkResult{Failed: map[string]error{}}
	var wg sync.WaitGroup
	stopped := false
	for !s.Finished() {
		if !stopped && ctx.Err() != nil {
			s.Stop()
			stopped = true
		}
		for !stopped {
			id, ok := s.Next()
			if !ok {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				results <- result{id, fn(ctx, id)}
			}()
		}
		if s.Running() == 0 {
			break // everything left was skipped
		}
		var r result
		select {
		case r = <-results:
		case <-ctx.Done():
			if !stopped {
				s.Stop()
				stopped = true
			}
			r = <-results
		}
		s.Done(r.id, r.err)
		if r.err != nil {
			res.Failed[r.id] = r.err
		} else {
			res.Done = append(res.Done, r.id)
		}
	}
	wg.Wait()
	res.Skipped = s.Skipped()
	sortByID(g, res.Done)
	sortByID(g, res.Skipped)
	return res, nil
}

func sortByID(g *Graph, ids []string) {
	idx := make([]int, 0, len(ids))
	for _, id := range ids {
		idx = append(idx, g.index[id])
	}
	copy(ids, g.sortedNames(idx))
}
