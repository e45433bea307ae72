// Package dag is a small, deterministic directed graph of string node ids:
// cycle detection that names every cycle, a topological order with ties
// broken by id, waves (levels), weighted critical paths and bottom levels,
// and the set of nodes downstream of a failure.
//
// An edge AddEdge(from, to) means "to depends on from": from must be done
// before to starts. Every answer is a pure function of the nodes and edges
// added, never of map iteration order or insertion order, so the same graph
// always renders byte-identically.
//
// Cost: AddNode and AddEdge are O(1) amortised; Cycles, Levels, BottomLevels,
// CriticalPath and Descendants are O(V+E) after one O(V log V) sort of the
// ids; TopoOrder is O((V+E) log V) because ties are broken by id.
package dag
