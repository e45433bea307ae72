// Package dag is a small, deterministic directed graph of string node ids:
// cycle detection that names every cycle, a topological order with ties
// broken by id, waves (levels), weighted critical paths and bottom levels,
// and the set of nodes downstream of a failure.
//
// It also has the one scheduler every walk of a graph uses (walk.go): a
// Scheduler state machine (ready nodes by priority, a worker limit, and
// everything downstream of a failure skipped), run on a simulated clock by
// Simulate (the plan's forecast) and on the real clock by Walk (goroutines,
// a context), so a forecast and a run follow the same policy.
//
// An edge AddEdge(from, to) means "to depends on from": from must be done
// before to starts. Every answer is a pure function of the nodes and edges
// added, never of map iteration order or insertion order, so the same graph
// always renders byte-identically.
//
// Cost: AddNode and AddEdge are O(1) amortised; Cycles, Levels, BottomLevels,
// CriticalPath and Descendants are O(V+E) after one O(V log V) sort of the
// ids; TopoOrder, Simulate and Walk are O((V+E) log V) because ties are
// broken through a heap.
package dag
