package sim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory/inventorytest"
	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/plan"
)

// BenchmarkAccess measures what one call to the simulator costs as the
// estate grows (testdata/gen's estates of 100 to 5000 VMs, 12 to 414
// units), with no latency and no faults, so the numbers are the sim's own
// cost per call, which the executor pays several times per unit:
//
//   - state: one State read (lock, open sim.db, check in one read
//     transaction that no other process wrote since, close);
//   - prepare+abort: Prepare then Abort of one unit, each committing one
//     bbolt transaction (its changes and its history line).
//
// Both should be flat in the estate size (and in the history's length: the
// loop's history grows by two lines an iteration). state-bytes is the size
// of sim.db (estate, decoded once at Open, and mutable state) when the
// cloud was built.
// BENCHMARKS.md uses these numbers to explain the run's makespan.
func BenchmarkAccess(b *testing.B) {
	for _, vms := range []int{100, 1000, 2400, 5000} {
		inv := inventorytest.Synthetic(vms, 1)
		p, err := plan.Build(inv)
		if err != nil {
			b.Fatal(err)
		}
		var u *plan.Unit
		for _, c := range p.Units {
			if len(c.DependsOn) == 0 {
				u = c
				break
			}
		}
		if u == nil {
			b.Fatal("no unit without dependencies")
		}
		t := phases.TargetsFor(inv)(u)
		dir := b.TempDir()
		s, err := sim.Open(dir, inv, sim.Options{})
		if err != nil {
			b.Fatal(err)
		}
		size := func(names ...string) (n int64) {
			for _, name := range names {
				fi, err := os.Stat(filepath.Join(dir, "sim", name))
				if err != nil {
					b.Fatal(err)
				}
				n += fi.Size()
			}
			return n
		}
		stateBytes := size("sim.db")
		ctx := context.Background()
		name := fmt.Sprintf("vms=%d/units=%d", vms, len(p.Units))
		b.Run(name+"/state", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.State(ctx, t); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(stateBytes), "state-bytes")
		})
		b.Run(name+"/prepare+abort", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Prepare(ctx, t); err != nil {
					b.Fatal(err)
				}
				if err := s.Abort(ctx, t); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(stateBytes), "state-bytes")
		})
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
