package convert

import (
	"context"
	"sync"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// gate admits VMs to their downtime (from deallocation until the VM runs
// again or the engine is done with it): at most n at once and never two of
// one availability set, whatever the plan's batches say, since a stale or
// hand-edited plan must not take a whole set down. Among the VMs waiting,
// the first in plan order whose set is free goes first, so a run is
// reproducible: every VM that goes down without a pre-copy is queued, in
// plan order, before any goroutine starts. Written by hand: a weighted
// semaphore cannot express "one per set, first in plan order".
type gate struct {
	mu      sync.Mutex
	free    int
	busy    map[string]bool // availability sets with a VM down
	waiting []*ticket       // by plan index
}

// ticket is one VM's place at the gate.
type ticket struct {
	idx     int
	set     string // folded resource group/set; "" when none
	ready   chan struct{}
	granted bool
	done    bool
}

func newGate(n int) *gate { return &gate{free: n, busy: map[string]bool{}} }

func setKey(resourceGroup, set string) string {
	if set == "" {
		return ""
	}
	return inventory.Key(resourceGroup + "/" + set)
}

// enqueue queues a VM for its downtime.
func (g *gate) enqueue(idx int, set string) *ticket {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := &ticket{idx: idx, set: set, ready: make(chan struct{})}
	i := len(g.waiting)
	for i > 0 && g.waiting[i-1].idx > idx {
		i--
	}
	g.waiting = append(g.waiting, nil)
	copy(g.waiting[i+1:], g.waiting[i:])
	g.waiting[i] = t
	g.dispatch()
	return t
}

// admit grants a VM that is down already (a run stopped in its downtime)
// at once, even past n: it is down whatever the gate says, and holding its
// set keeps every other VM of the set up until it runs again.
func (g *gate) admit(idx int, set string) *ticket {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := &ticket{idx: idx, set: set, ready: make(chan struct{}), granted: true}
	close(t.ready)
	g.free--
	if set != "" {
		g.busy[set] = true
	}
	return t
}

// dispatch grants waiting VMs in plan order while slots last; mu held.
func (g *gate) dispatch() {
	kept := g.waiting[:0]
	for _, t := range g.waiting {
		if g.free > 0 && (t.set == "" || !g.busy[t.set]) {
			g.free--
			if t.set != "" {
				g.busy[t.set] = true
			}
			t.granted = true
			close(t.ready)
			continue
		}
		kept = append(kept, t)
	}
	clear(g.waiting[len(kept):])
	g.waiting = kept
}

// wait blocks until t is granted or ctx is done; on ctx's end t is given
// up (released if it was granted meanwhile).
func (g *gate) wait(ctx context.Context, t *ticket) error {
	select {
	case <-t.ready:
		return nil
	case <-ctx.Done():
		g.release(t)
		return ctx.Err()
	}
}

// release ends t's downtime, or takes it out of the queue; a second call
// does nothing.
func (g *gate) release(t *ticket) {
	if t == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.done {
		return
	}
	t.done = true
	if t.granted {
		g.free++
		if t.set != "" {
			delete(g.busy, t.set)
		}
	} else {
		for i, w := range g.waiting {
			if w == t {
				g.waiting = append(g.waiting[:i], g.waiting[i+1:]...)
				break
			}
		}
	}
	g.dispatch()
}
