package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud/sim"
)

// The forecast is a forecast: on the sample estate, plan's likely figure
// for the migration lands within 10% of what a `run --rehearse` then `run`
// take on the simulator, which runs on the same timing model, before and
// after `plan --calibrate-from` reads what the rehearsal measured. Time is
// the simulator's simulated clock (sim history's simStart and
// simDuration), never the real one.
func TestForecastMatchesTheSimulator(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inv, err := filepath.Abs(filepath.Join("..", "..", "testdata", "estates", "contoso.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A thousandth: the simulated clock does not depend on the real one,
	// but the order operations end in does, and a thousandth leaves tens of
	// milliseconds between ends a simulated minute apart.
	env := []string{"MIGRATE_INVENTORY=" + inv, "MIGRATE_SIM_TIME_SCALE=0.001"}
	state := filepath.Join(dir, ".migrate")
	run := func(args ...string) []byte {
		t.Helper()
		code, stderr, out := migrateProc(t, dir, env, args...)
		if code != 0 {
			t.Fatalf("migrate %v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	forecast := func(args ...string) time.Duration {
		t.Helper()
		var doc struct {
			Summary struct {
				Forecast struct {
					Migration struct {
						Likely struct {
							Seconds int64 `json:"seconds"`
						} `json:"likely"`
					} `json:"migration"`
				} `json:"forecast"`
			} `json:"summary"`
		}
		if err := json.Unmarshal(run(append([]string{"plan", "-o", "json"}, args...)...), &doc); err != nil {
			t.Fatal(err)
		}
		return time.Duration(doc.Summary.Forecast.Migration.Likely.Seconds) * time.Second
	}
	history := func() []sim.Operation {
		t.Helper()
		var doc sim.HistoryDocument
		if err := json.Unmarshal(run("sim", "history", "-o", "json"), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Operations
	}

	likely := forecast()
	run("run", "--rehearse")
	rehearsal := len(history())
	run("run", "--yes")
	// The run's simulated makespan: from its first operation's start to
	// its last one's end.
	var first, last time.Duration = -1, 0
	for _, op := range history()[rehearsal:] {
		if op.SimDuration == 0 {
			continue
		}
		if first < 0 || op.SimStart < first {
			first = op.SimStart
		}
		last = max(last, op.SimStart+op.SimDuration)
	}
	measured := last - first
	if first < 0 || measured <= 0 {
		t.Fatal("the run's operations took no simulated time")
	}
	// The next estate's plan, calibrated from this one's measures: its own
	// state directory is fresh (this one's units have all moved).
	calibrated := forecast("--calibrate-from", state, "--state-dir", filepath.Join(dir, "next"))
	t.Logf("forecast %s, calibrated %s; the run took %s of simulated time", likely, calibrated, measured)
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"the model's", likely}, {"the calibrated", calibrated}} {
		if diff := (f.d - measured).Abs(); diff*10 > measured {
			t.Errorf("%s likely forecast %s is %s off the run's %s on the simulator: more than 10%%", f.name, f.d, diff, measured)
		}
	}
}
