package dag

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// diamond: a -> b, a -> c, b -> d, c -> d; e alone; f after e.
func diamond() *Graph {
	g := New()
	g.AddEdge("a", "b")
	g.AddEdge("a", "c")
	g.AddEdge("b", "d")
	g.AddEdge("c", "d")
	g.AddEdge("e", "f")
	return g
}

func TestSchedulerPolicy(t *testing.T) {
	g := diamond()
	prio := map[string]int64{"a": 3, "b": 1, "c": 2, "d": 0, "e": 3, "f": 0}
	s, err := g.NewScheduler(WalkOptions{Workers: 2, Priority: func(id string) int64 { return prio[id] }})
	if err != nil {
		t.Fatal(err)
	}
	var started []string
	next := func() {
		for {
			id, ok := s.Next()
			if !ok {
				return
			}
			started = append(started, id)
		}
	}
	next() // a and e (priority 3, id order); the worker limit holds f back
	if want := []string{"a", "e"}; !reflect.DeepEqual(started, want) {
		t.Fatalf("started %v, want %v", started, want)
	}
	s.Done("a", nil)
	next() // c (priority 2) before b (1)
	if want := []string{"a", "e", "c"}; !reflect.DeepEqual(started, want) {
		t.Fatalf("started %v, want %v", started, want)
	}
	if skipped := s.Done("e", errors.New("boom")); !reflect.DeepEqual(skipped, []string{"f"}) {
		t.Errorf("e failed: skipped %v, want [f]", skipped)
	}
	next()
	s.Done("c", nil)
	s.Done("b", nil)
	next()
	s.Done("d", nil)
	if want := []string{"a", "e", "c", "b", "d"}; !reflect.DeepEqual(started, want) || !s.Finished() {
		t.Errorf("started %v finished %v, want %v", started, s.Finished(), want)
	}
}

func TestSchedulerCycle(t *testing.T) {
	g := New()
	g.AddEdge("a", "b")
	g.AddEdge("b", "a")
	if _, err := g.NewScheduler(WalkOptions{}); !errors.Is(err, ErrCycle) {
		t.Errorf("NewScheduler on a cycle: %v", err)
	}
}

func TestSimulate(t *testing.T) {
	g := diamond()
	dur := map[string]time.Duration{"a": 10, "b": 5, "c": 7, "d": 1, "e": 20, "f": 2}
	slots, end, err := g.Simulate(WalkOptions{Workers: 2}, func(id string) time.Duration { return dur[id] })
	if err != nil {
		t.Fatal(err)
	}
	// Two workers: a, e at 0; b, c at 10 (b's worker free at 10, e's at
	// 20): b at 10, c at 15; d at 22; f at 20.
	want := map[string]Slot{"a": {0, 10}, "e": {0, 20}, "b": {10, 15}, "c": {15, 22}, "f": {20, 22}, "d": {22, 23}}
	if !reflect.DeepEqual(slots, want) || end != 23 {
		t.Errorf("slots %v end %v, want %v end 23", slots, end, want)
	}
}

func TestWalk(t *testing.T) {
	g := diamond()
	var mu sync.Mutex
	var ran []string
	var running, most atomic.Int64
	res, err := g.Walk(context.Background(), WalkOptions{Workers: 2}, func(_ context.Context, id string) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		mu.Lock()
		ran = append(ran, id)
		mu.Unlock()
		if id == "b" {
			return errors.New("b failed")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if most.Load() > 2 {
		t.Errorf("%d ran at once, limit 2", most.Load())
	}
	if !reflect.DeepEqual(res.Done, []string{"a", "c", "e", "f"}) || !reflect.DeepEqual(res.Skipped, []string{"d"}) || res.Failed["b"] == nil || len(res.Failed) != 1 {
		t.Errorf("result %+v", res)
	}
	for _, id := range ran {
		if id == "d" {
			t.Error("d ran downstream of a failure")
		}
	}
}

func TestWalkCancelled(t *testing.T) {
	g := diamond()
	ctx, cancel := context.WithCancel(context.Background())
	res, err := g.Walk(ctx, WalkOptions{Workers: 1}, func(ctx context.Context, id string) error {
		if id == "a" {
			cancel() // the first node cancels: nothing else starts
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Done, []string{"a"}) || !reflect.DeepEqual(res.Skipped, []string{"b", "c", "d", "e", "f"}) {
		t.Errorf("result %+v", res)
	}
}
