package convert

import (
	"context"
	"testing"
)

func granted(t *ticket) bool {
	select {
	case <-t.ready:
		return true
	default:
		return false
	}
}

// TestGateOrder: plan order among the waiting, one VM per set, n at most.
func TestGateOrder(t *testing.T) {
	g := newGate(2)
	a0 := g.enqueue(0, "a")
	a1 := g.enqueue(1, "a")
	n2 := g.enqueue(2, "")
	b3 := g.enqueue(3, "b")
	want := func(step string, tk ...*ticket) {
		t.Helper()
		for i, x := range []*ticket{a0, a1, n2, b3} {
			in := false
			for _, y := range tk {
				in = in || x == y
			}
			if granted(x) != in && !x.done {
				t.Errorf("%s: ticket %d granted %v, want %v", step, i, granted(x), in)
			}
		}
	}
	want("start", a0, n2)
	g.release(a0)
	want("a0 up", a1, n2)
	g.release(n2)
	want("n2 up", a1, b3)
	g.release(n2) // twice: nothing
	if g.free != 0 {
		t.Errorf("free %d after a double release, want 0", g.free)
	}
}

// TestGateAdmitAndCancel: a VM already down holds its set past n; a wait
// given up leaves the queue.
func TestGateAdmitAndCancel(t *testing.T) {
	g := newGate(1)
	down := g.admit(5, "a")
	x := g.enqueue(0, "a")
	y := g.enqueue(1, "")
	if granted(x) || granted(y) {
		t.Fatal("granted past the VM already down")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.wait(ctx, x); err == nil {
		t.Fatal("wait on a cancelled context succeeded")
	}
	g.release(down)
	if !granted(y) || granted(x) {
		t.Errorf("after the down VM came up: y %v x %v, want y only", granted(y), granted(x))
	}
}
