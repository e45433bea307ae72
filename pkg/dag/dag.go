package dag

import (
	"container/heap"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Graph is a directed graph of string node ids. The zero value is not
// usable; call New. A Graph is not safe for concurrent mutation; concurrent
// reads after the last mutation are safe.
type Graph struct {
	ids   []string
	index map[string]int
	// deps[v] are the nodes v depends on; dependents[u] the nodes that
	// depend on u. Both hold node indices, possibly unsorted.
	deps       [][]int
	dependents [][]int
	edges      map[[2]int]struct{}

	// order is the node indices sorted by id, computed lazily and reset by
	// every mutation: it is what makes every traversal deterministic.
	order []int
	// rank[i] is the position of node i in order.
	rank []int
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{index: map[string]int{}, edges: map[[2]int]struct{}{}}
}

// AddNode adds a node; adding an existing node does nothing.
func (g *Graph) AddNode(id string) { g.node(id) }

func (g *Graph) node(id string) int {
	if i, ok := g.index[id]; ok {
		return i
	}
	i := len(g.ids)
	g.ids = append(g.ids, id)
	g.index[id] = i
	g.deps = append(g.deps, nil)
	g.dependents = append(g.dependents, nil)
	g.order = nil
	return i
}

// AddEdge records that to depends on from: from must be done before to
// starts. Missing nodes are added; a repeated edge is recorded once. A
// self-edge (from == to) is a cycle of one node.
func (g *Graph) AddEdge(from, to string) {
	f, t := g.node(from), g.node(to)
	k := [2]int{f, t}
	if _, ok := g.edges[k]; ok {
		return
	}
	g.edges[k] = struct{}{}
	g.deps[t] = append(g.deps[t], f)
	g.dependents[f] = append(g.dependents[f], t)
	g.order = nil
}

// Has reports whether the node exists.
func (g *Graph) Has(id string) bool {
	_, ok := g.index[id]
	return ok
}

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.ids) }

// Nodes returns every node id, sorted.
func (g *Graph) Nodes() []string {
	g.prepare()
	return g.names(g.order)
}

// DependsOn returns the ids id depends on, sorted; nil for an unknown node.
func (g *Graph) DependsOn(id string) []string {
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	g.prepare()
	return g.names(g.deps[i])
}

// Dependents returns the ids that depend on id, sorted; nil for an unknown
// node.
func (g *Graph) Dependents(id string) []string {
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	g.prepare()
	return g.names(g.dependents[i])
}

// prepare sorts the ids once and every adjacency list by id rank, so every
// traversal visits neighbours in id order.
func (g *Graph) prepare() {
	if g.order != nil || len(g.ids) == 0 {
		return
	}
	n := len(g.ids)
	g.order = make([]int, n)
	for i := range g.order {
		g.order[i] = i
	}
	sort.Slice(g.order, func(a, b int) bool { return g.ids[g.order[a]] < g.ids[g.order[b]] })
	g.rank = make([]int, n)
	for r, i := range g.order {
		g.rank[i] = r
	}
	// Counting sort of the edges by rank keeps this O(V+E).
	bucketSort := func(lists [][]int) {
		byRank := make([][]int, n)
		for v, l := range lists {
			for _, u := range l {
				byRank[g.rank[u]] = append(byRank[g.rank[u]], v)
			}
			lists[v] = lists[v][:0]
		}
		for r, vs := range byRank {
			for _, v := range vs {
				lists[v] = append(lists[v], g.order[r])
			}
		}
	}
	bucketSort(g.deps)
	bucketSort(g.dependents)
}

func (g *Graph) names(idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = g.ids[i]
	}
	return out
}

// ErrCycle is matched (errors.Is) by every *CycleError.
var ErrCycle = errors.New("dependency cycle")

// CycleError reports every cycle of a graph; an ordering cannot be computed
// while any exists.
type CycleError struct {
	// Cycles are node-id chains; each chain's last node depends back on its
	// first. Sorted by first id.
	Cycles [][]string
}

// Error names every cycle, e.g. "dependency cycles: a -> b -> a".
func (e *CycleError) Error() string {
	parts := make([]string, len(e.Cycles))
	for i, c := range e.Cycles {
		parts[i] = strings.Join(append(append([]string(nil), c...), c[0]), " -> ")
	}
	word := "cycle"
	if len(e.Cycles) > 1 {
		word = "cycles"
	}
	return fmt.Sprintf("dependency %s: %s", word, strings.Join(parts, "; "))
}

// Is makes errors.Is(err, ErrCycle) true.
func (e *CycleError) Is(target error) bool { return target == ErrCycle }

// Cycles returns one cycle per strongly connected component that contains a
// cycle (and every self-edge), each as a node-id chain in dependency order
// starting at the component's smallest id, the last node depending back on
// the first. Components are found with Tarjan's algorithm (iterative, so deep
// graphs do not grow the stack); each chain is a shortest cycle through the
// smallest id, found by breadth-first search inside the component. Nil when
// the graph is acyclic.
func (g *Graph) Cycles() [][]string {
	g.prepare()
	n := len(g.ids)
	comp := g.sccs()
	var out [][]string
	seen := make([]bool, n)
	for _, start := range g.order {
		c := comp[start]
		if seen[c] {
			continue
		}
		seen[c] = true
		if cyc := g.cycleThrough(start, comp); cyc != nil {
			out = append(out, g.names(cyc))
		}
	}
	return out
}

// sccs labels every node with its strongly connected component, following
// edges from a node to its dependents in id order.
func (g *Graph) sccs() []int {
	n := len(g.ids)
	const unvisited = -1
	num := make([]int, n)
	low := make([]int, n)
	comp := make([]int, n)
	onStack := make([]bool, n)
	for i := range num {
		num[i] = unvisited
	}
	var stack []int
	type frame struct{ v, next int }
	var call []frame
	counter, ncomp := 0, 0
	for _, root := range g.order {
		if num[root] != unvisited {
			continue
		}
		call = append(call, frame{root, 0})
		num[root], low[root] = counter, counter
		counter++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.next < len(g.dependents[v]) {
				w := g.dependents[v][f.next]
				f.next++
				if num[w] == unvisited {
					num[w], low[w] = counter, counter
					counter++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] && num[w] < low[v] {
					low[v] = num[w]
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
			if low[v] == num[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = ncomp
					if w == v {
						break
					}
				}
				ncomp++
			}
		}
	}
	return comp
}

// cycleThrough returns a shortest cycle through start that stays inside
// start's component, or nil if there is none (a single node without a
// self-edge).
func (g *Graph) cycleThrough(start int, comp []int) []int {
	prev := map[int]int{start: -1}
	queue := []int{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range g.dependents[v] {
			if comp[w] != comp[start] {
				continue
			}
			if w == start {
				var path []int
				for x := v; x != -1; x = prev[x] {
					path = append(path, x)
				}
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return path
			}
			if _, ok := prev[w]; !ok {
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	return nil
}

func (g *Graph) cycleError() error {
	if c := g.Cycles(); c != nil {
		return &CycleError{Cycles: c}
	}
	return nil
}

// TopoOrder returns every node so that each comes after all it depends on;
// among nodes ready at the same time the smallest id comes first (Kahn's
// algorithm with a heap). It returns a *CycleError naming every cycle if the
// graph is cyclic.
func (g *Graph) TopoOrder() ([]string, error) {
	idx, err := g.topo()
	if err != nil {
		return nil, err
	}
	return g.names(idx), nil
}

func (g *Graph) topo() ([]int, error) {
	g.prepare()
	n := len(g.ids)
	indeg := make([]int, n)
	for v := range g.deps {
		indeg[v] = len(g.deps[v])
	}
	h := &rankHeap{rank: g.rank}
	for _, v := range g.order {
		if indeg[v] == 0 {
			h.items = append(h.items, v)
		}
	}
	heap.Init(h)
	out := make([]int, 0, n)
	for h.Len() > 0 {
		v := heap.Pop(h).(int)
		out = append(out, v)
		for _, w := range g.dependents[v] {
			indeg[w]--
			if indeg[w] == 0 {
				heap.Push(h, w)
			}
		}
	}
	if len(out) != n {
		return nil, g.cycleError()
	}
	return out, nil
}

type rankHeap struct {
	items []int
	rank  []int
}

func (h *rankHeap) Len() int           { return len(h.items) }
func (h *rankHeap) Less(a, b int) bool { return h.rank[h.items[a]] < h.rank[h.items[b]] }
func (h *rankHeap) Swap(a, b int)      { h.items[a], h.items[b] = h.items[b], h.items[a] }
func (h *rankHeap) Push(x any)         { h.items = append(h.items, x.(int)) }
func (h *rankHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// Levels returns each node's wave: 0 for a node without dependencies, else
// one more than the highest wave among its dependencies. It returns a
// *CycleError if the graph is cyclic.
func (g *Graph) Levels() (map[string]int, error) {
	order, err := g.topo()
	if err != nil {
		return nil, err
	}
	lvl := make([]int, len(g.ids))
	for _, v := range order {
		for _, u := range g.deps[v] {
			if lvl[u]+1 > lvl[v] {
				lvl[v] = lvl[u] + 1
			}
		}
	}
	out := make(map[string]int, len(g.ids))
	for i, id := range g.ids {
		out[id] = lvl[i]
	}
	return out, nil
}

// Weight gives a node's cost for the weighted queries; nil means 1 for
// every node.
type Weight func(id string) int64

func (g *Graph) weights(w Weight) []int64 {
	ws := make([]int64, len(g.ids))
	for i, id := range g.ids {
		if w == nil {
			ws[i] = 1
		} else {
			ws[i] = w(id)
		}
	}
	return ws
}

// BottomLevels returns each node's bottom level: the heaviest weighted path
// from the node to any node nothing depends on, the node itself included. A
// scheduler that starts the ready node with the highest bottom level first
// keeps the critical path moving. It returns a *CycleError if the graph is
// cyclic.
func (g *Graph) BottomLevels(w Weight) (map[string]int64, error) {
	order, err := g.topo()
	if err != nil {
		return nil, err
	}
	ws := g.weights(w)
	bl := make([]int64, len(g.ids))
	for k := len(order) - 1; k >= 0; k-- {
		v := order[k]
		var best int64
		for _, d := range g.dependents[v] {
			if bl[d] > best {
				best = bl[d]
			}
		}
		bl[v] = ws[v] + best
	}
	out := make(map[string]int64, len(g.ids))
	for i, id := range g.ids {
		out[id] = bl[i]
	}
	return out, nil
}

// CriticalPath returns the heaviest weighted dependency chain, from its first
// node to its last, and its total weight. Ties are broken by id: the chain
// ending at the smallest id wins, and at each step back the smallest-id
// dependency among the heaviest. An empty graph gives nil, 0. It returns a
// *CycleError if the graph is cyclic.
func (g *Graph) CriticalPath(w Weight) ([]string, int64, error) {
	order, err := g.topo()
	if err != nil {
		return nil, 0, err
	}
	if len(order) == 0 {
		return nil, 0, nil
	}
	ws := g.weights(w)
	dist := make([]int64, len(g.ids))
	prev := make([]int, len(g.ids))
	for _, v := range order {
		prev[v] = -1
		var best int64
		// deps[v] is sorted by id, so the first heaviest is the smallest id.
		for _, u := range g.deps[v] {
			if prev[v] == -1 || dist[u] > best {
				best, prev[v] = dist[u], u
			}
		}
		dist[v] = ws[v] + best
	}
	end := -1
	for _, v := range g.order {
		if end == -1 || dist[v] > dist[end] {
			end = v
		}
	}
	var path []int
	for x := end; x != -1; x = prev[x] {
		path = append(path, x)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return g.names(path), dist[end], nil
}

// Descendants returns every node that depends, directly or through others,
// on any of the given nodes, sorted: what to skip once those have failed.
// A given node is included only if it also depends on another given node (or
// on itself). Unknown ids are ignored.
func (g *Graph) Descendants(ids ...string) []string {
	g.prepare()
	n := len(g.ids)
	seen := make([]bool, n)
	var queue []int
	for _, id := range ids {
		if i, ok := g.index[id]; ok {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range g.dependents[v] {
			if !seen[w] {
				seen[w] = true
				queue = append(queue, w)
			}
		}
	}
	var out []string
	for _, v := range g.order {
		if seen[v] {
			out = append(out, g.ids[v])
		}
	}
	return out
}
