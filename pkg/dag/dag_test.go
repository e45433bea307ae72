package dag

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// build makes a graph from "from>to" edge specs and bare node names.
func build(specs ...string) *Graph {
	g := New()
	for _, s := range specs {
		if from, to, ok := strings.Cut(s, ">"); ok {
			g.AddEdge(from, to)
		} else {
			g.AddNode(s)
		}
	}
	return g
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name  string
		edges []string
		want  [][]string
	}{
		{"empty", nil, nil},
		{"acyclic", []string{"a>b", "b>c", "a>c"}, nil},
		{"self edge", []string{"a>a", "b"}, [][]string{{"a"}}},
		{"two node", []string{"b>a", "a>b"}, [][]string{{"a", "b"}}},
		{"three node", []string{"c>a", "a>b", "b>c", "x>a"}, [][]string{{"a", "b", "c"}}},
		{"two components", []string{"a>b", "b>a", "m>n", "n>o", "o>m", "b>m"},
			[][]string{{"a", "b"}, {"m", "n", "o"}}},
		{"shortest through smallest", []string{"a>b", "b>c", "c>d", "d>a", "b>a"},
			[][]string{{"a", "b"}}},
		{"spaces and quotes", []string{`vnet/x "y">vnet/z w`, `vnet/z w>vnet/x "y"`},
			[][]string{{`vnet/x "y"`, "vnet/z w"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(tt.edges...)
			if got := g.Cycles(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Cycles() = %q, want %q", got, tt.want)
			}
			_, err := g.TopoOrder()
			if tt.want == nil {
				if err != nil {
					t.Errorf("TopoOrder: %v", err)
				}
				return
			}
			var ce *CycleError
			if !errors.As(err, &ce) || !errors.Is(err, ErrCycle) || !reflect.DeepEqual(ce.Cycles, tt.want) {
				t.Errorf("TopoOrder error %v, want cycles %q", err, tt.want)
			}
			for _, c := range tt.want {
				if !strings.Contains(err.Error(), strings.Join(c, " -> ")) {
					t.Errorf("error %q does not name cycle %q", err, c)
				}
			}
			if _, err := g.Levels(); !errors.Is(err, ErrCycle) {
				t.Errorf("Levels error %v, want ErrCycle", err)
			}
			if _, _, err := g.CriticalPath(nil); !errors.Is(err, ErrCycle) {
				t.Errorf("CriticalPath error %v, want ErrCycle", err)
			}
			if _, err := g.BottomLevels(nil); !errors.Is(err, ErrCycle) {
				t.Errorf("BottomLevels error %v, want ErrCycle", err)
			}
		})
	}
}

func TestCycleErrorMessage(t *testing.T) {
	err := &CycleError{Cycles: [][]string{{"a", "b"}, {"c"}}}
	if got, want := err.Error(), "dependency cycles: a -> b -> a; c -> c"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTopoOrderAndLevels(t *testing.T) {
	tests := []struct {
		name   string
		edges  []string
		order  []string
		levels map[string]int
	}{
		{"ties by id", []string{"z", "b", "a", "m"}, []string{"a", "b", "m", "z"},
			map[string]int{"a": 0, "b": 0, "m": 0, "z": 0}},
		{"diamond", []string{"d>b", "d>c", "b>a", "c>a"}, []string{"d", "b", "c", "a"},
			map[string]int{"d": 0, "b": 1, "c": 1, "a": 2}},
		{"ready later but smaller id", []string{"x>a", "b"}, []string{"b", "x", "a"},
			map[string]int{"x": 0, "a": 1, "b": 0}},
		{"long and short chains", []string{"a>b", "b>c", "c>d", "a>d"}, []string{"a", "b", "c", "d"},
			map[string]int{"a": 0, "b": 1, "c": 2, "d": 3}},
		{"duplicate edges", []string{"a>b", "a>b"}, []string{"a", "b"}, map[string]int{"a": 0, "b": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(tt.edges...)
			order, err := g.TopoOrder()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(order, tt.order) {
				t.Errorf("TopoOrder = %q, want %q", order, tt.order)
			}
			lv, err := g.Levels()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(lv, tt.levels) {
				t.Errorf("Levels = %v, want %v", lv, tt.levels)
			}
		})
	}
}

func TestCriticalPathAndBottomLevels(t *testing.T) {
	w := func(m map[string]int64) Weight {
		return func(id string) int64 { return m[id] }
	}
	tests := []struct {
		name   string
		edges  []string
		weight Weight
		path   []string
		length int64
		bottom map[string]int64
	}{
		{"empty", nil, nil, nil, 0, map[string]int64{}},
		{"single", []string{"a"}, nil, []string{"a"}, 1, map[string]int64{"a": 1}},
		{"unit weights, ties by id", []string{"a>c", "b>c", "c>d", "e"}, nil,
			[]string{"a", "c", "d"}, 3, map[string]int64{"a": 3, "b": 3, "c": 2, "d": 1, "e": 1}},
		{"weights pick the heavy branch", []string{"a>c", "b>c", "c>d", "e"},
			w(map[string]int64{"a": 1, "b": 5, "c": 1, "d": 1, "e": 6}),
			[]string{"b", "c", "d"}, 7, map[string]int64{"a": 3, "b": 7, "c": 2, "d": 1, "e": 6}},
		{"heavy single node", []string{"a>b", "z"},
			w(map[string]int64{"a": 1, "b": 1, "z": 9}),
			[]string{"z"}, 9, map[string]int64{"a": 2, "b": 1, "z": 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(tt.edges...)
			path, length, err := g.CriticalPath(tt.weight)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(path, tt.path) || length != tt.length {
				t.Errorf("CriticalPath = %q, %d; want %q, %d", path, length, tt.path, tt.length)
			}
			bl, err := g.BottomLevels(tt.weight)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(bl, tt.bottom) {
				t.Errorf("BottomLevels = %v, want %v", bl, tt.bottom)
			}
		})
	}
}

func TestDescendants(t *testing.T) {
	g := build("a>b", "b>c", "a>d", "x>y", "c>e", "q")
	tests := []struct {
		from []string
		want []string
	}{
		{[]string{"a"}, []string{"b", "c", "d", "e"}},
		{[]string{"b", "x"}, []string{"c", "e", "y"}},
		{[]string{"a", "b"}, []string{"b", "c", "d", "e"}},
		{[]string{"q", "nope"}, nil},
		{nil, nil},
	}
	for _, tt := range tests {
		if got := g.Descendants(tt.from...); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Descendants(%q) = %q, want %q", tt.from, got, tt.want)
		}
	}
}

func TestNeighboursSorted(t *testing.T) {
	g := build("c>x", "a>x", "b>x", "x>z", "x>y")
	if got := g.DependsOn("x"); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("DependsOn = %q", got)
	}
	if got := g.Dependents("x"); !reflect.DeepEqual(got, []string{"y", "z"}) {
		t.Errorf("Dependents = %q", got)
	}
	// Mutating after a query re-sorts.
	g.AddEdge("0", "x")
	if got := g.DependsOn("x"); !reflect.DeepEqual(got, []string{"0", "a", "b", "c"}) {
		t.Errorf("DependsOn after AddEdge = %q", got)
	}
	if g.DependsOn("missing") != nil || g.Has("missing") || g.Len() != 7 {
		t.Errorf("unexpected node bookkeeping")
	}
	if got := g.Nodes(); !reflect.DeepEqual(got, []string{"0", "a", "b", "c", "x", "y", "z"}) {
		t.Errorf("Nodes = %q", got)
	}
}

// TestDeepChain makes sure a long chain neither overflows nor goes
// quadratic in cycle detection.
func TestDeepChain(t *testing.T) {
	const n = 200000
	g := New()
	for i := 1; i < n; i++ {
		g.AddEdge(fmt.Sprintf("n%07d", i-1), fmt.Sprintf("n%07d", i))
	}
	g.AddEdge(fmt.Sprintf("n%07d", n-1), "n0000000")
	c := g.Cycles()
	if len(c) != 1 || len(c[0]) != n {
		t.Fatalf("want one cycle of %d nodes, got %d cycles", n, len(c))
	}
}

func BenchmarkTopoOrder(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		g := New()
		for i := 0; i < n; i++ {
			g.AddNode(fmt.Sprintf("n%07d", i))
			if i > 0 {
				g.AddEdge(fmt.Sprintf("n%07d", i/2), fmt.Sprintf("n%07d", i))
			}
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := g.TopoOrder(); err != nil {
					b.Fatal(err)
				}
				_ = g.Cycles()
			}
		})
	}
}
