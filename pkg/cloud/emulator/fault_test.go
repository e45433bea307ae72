package emulator

import "testing"

// TestDecideFaultIsAFunction checks a decision depends only on (seed,
// operation, attempt): the same inputs give the same fault whatever was
// asked before, and the rate is roughly kept.
func TestDecideFaultIsAFunction(t *testing.T) {
	keys := []string{"POST /sub/services/networking/virtualnetwork/v/migration?comp=prepare", "GET /sub/operations/x", "PUT /subscriptions/s/resourcegroups/rg/providers/microsoft.compute/disks/d"}
	faulted, n := 0, 0
	for _, k := range keys {
		for a := 1; a <= 2000; a++ {
			d1 := decideFault(7, 0.3, k, a)
			_ = decideFault(7, 0.3, "something else", a) // an interleaved call changes nothing
			if d2 := decideFault(7, 0.3, k, a); d1 != d2 {
				t.Fatalf("decideFault(%q, %d) = %+v then %+v", k, a, d1, d2)
			}
			if d1.faulted {
				faulted++
			}
			n++
		}
	}
	if r := float64(faulted) / float64(n); r < 0.27 || r > 0.33 {
		t.Errorf("fault rate %.3f, want about 0.3", r)
	}
	if decideFault(7, 0.3, keys[0], 1) == decideFault(8, 0.3, keys[0], 1) {
		t.Error("the seed does not change the decision")
	}
	if d := decideFault(7, 0, keys[0], 1); d.faulted {
		t.Error("faulted at rate 0")
	}
}
