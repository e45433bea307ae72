package phases_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/inventory/inventorytest"
	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
)

// BenchmarkRunSim runs the executor (ModeRun, --parallel 4) over the
// embedded simulator and a real journal, as `migrate run --yes` does minus
// loading and the offline rules, on synthetic estates (testdata/gen's) of
// 100, 1000 and 2400 VMs (12, 87 and about 200 units). Each iteration gets
// a fresh state directory; opening the sim and the journal is not timed.
//
//   - latency=0: no simulated wait, so ns/op is the executor's and the
//     sim's own cost; ns/unit divides it by the units.
//   - latency=10m: a 10-minute simulated latency scaled to 40ms real
//     (sim.Options.TimeScale and phases.Options.TimeScale, as
//     MIGRATE_SIM_TIME_SCALE does). Reported metrics, in simulated time:
//     bound-s (plan.Forecast's LowerBound), forecast-s (its Makespan),
//     makespan-s (the measured Execute time scaled back), x-bound
//     (makespan/bound, goal <= 1.15) and x-forecast (makespan/forecast;
//     goal within 10%).
//
// scripts/bench-run.sh measures the same through the CLI; BENCHMARKS.md has
// the numbers. -short runs 100 VMs only.
func BenchmarkRunSim(b *testing.B) {
	sizes := []int{100, 1000, 2400}
	if testing.Short() {
		sizes = sizes[:1]
	}
	const (
		latency = 10 * time.Minute
		real    = 40 * time.Millisecond
	)
	scale := float64(real) / float64(latency)
	for _, vms := range sizes {
		inv := inventorytest.Synthetic(vms, 1)
		p, err := plan.Build(inv)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("vms=%d/units=%d/latency=0", vms, len(p.Units)), func(b *testing.B) {
			var stateBytes int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, j, dir := openRun(b, inv, sim.Options{})
				b.StartTimer()
				execute(b, inv, p, s, j, 1)
				b.StopTimer()
				stateBytes = simBytes(b, filepath.Join(dir, "sim"))
				closeRun(b, s, j)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(p.Units)), "ns/unit")
			b.ReportMetric(float64(stateBytes), "state-bytes")
		})
		b.Run(fmt.Sprintf("vms=%d/units=%d/latency=%s", vms, len(p.Units), latency), func(b *testing.B) {
			d := plan.Durations{Prepare: latency, Commit: latency}
			est := plan.Forecast(p, d, 4)
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, j, _ := openRun(b, inv, sim.Options{Latency: latency, TimeScale: scale})
				b.StartTimer()
				start := time.Now()
				execute(b, inv, p, s, j, scale)
				total += time.Since(start)
				b.StopTimer()
				closeRun(b, s, j)
				b.StartTimer()
			}
			makespan := time.Duration(float64(total) / float64(b.N) / scale)
			b.ReportMetric(est.LowerBound.Seconds(), "bound-s")
			b.ReportMetric(est.Makespan.Seconds(), "forecast-s")
			b.ReportMetric(makespan.Seconds(), "makespan-s")
			b.ReportMetric(makespan.Seconds()/est.LowerBound.Seconds(), "x-bound")
			b.ReportMetric(makespan.Seconds()/est.Makespan.Seconds(), "x-forecast")
		})
	}
}

// openRun opens a simulator and a journal in a fresh state directory.
func openRun(b *testing.B, inv *inventory.Inventory, o sim.Options) (*sim.Sim, *journal.Journal, string) {
	b.Helper()
	dir := b.TempDir()
	s, err := sim.Open(dir, inv, o) // dir/sim/, as the CLI does
	if err != nil {
		b.Fatal(err)
	}
	j, err := journal.Open(dir, journal.Holder{Command: "migrate run", PID: os.Getpid(), Since: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	return s, j, dir
}

func closeRun(b *testing.B, s *sim.Sim, j *journal.Journal) {
	b.Helper()
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

// execute runs every unit to Committed and fails the benchmark otherwise.
// The executor's polling follows the scale the way the CLI sets it.
func execute(b *testing.B, inv *inventory.Inventory, p *plan.Plan, s *sim.Sim, j *journal.Journal, scale float64) {
	b.Helper()
	res, err := phases.Execute(context.Background(), phases.Options{
		Mode: phases.ModeRun, Plan: p, Driver: s, Journal: j, Targets: phases.TargetsFor(inv),
		Parallel: 4, TimeScale: scale,
		Inventory: phases.InventoryRef{Path: "bench.json", SHA256: "bench"},
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, u := range res.Units {
		if u.Phase != phases.Committed {
			b.Fatalf("%s ended %s (%s): %v", u.ID, u.Phase, u.Outcome, u.Err)
		}
	}
}

// simBytes is what the simulator keeps on disk (estate, state snapshot and
// log, history) after a run: the files of its state directory.
func simBytes(b *testing.B, dir string) int64 {
	b.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			b.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}
