package sim_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
)

// Environment of the helper process: the state directory, the units to
// prepare and commit (comma-separated), and the latency.
const (
	envDir     = "SIM_TEST_HELPER_DIR"
	envUnits   = "SIM_TEST_HELPER_UNITS"
	envLatency = "SIM_TEST_HELPER_LATENCY"
)

// TestHelperProcess is not a test: it is the body of the child processes
// the tests below start (the test binary run again), standing for separate
// `migrate` invocations. It does nothing in a normal run.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(envDir)
	if dir == "" {
		t.Skip("helper process only")
	}
	latency, err := time.ParseDuration(os.Getenv(envLatency))
	must(t, err)
	s, err := sim.Open(dir, nil, sim.Options{Latency: latency})
	must(t, err)
	defer s.Close()
	for _, u := range strings.Split(os.Getenv(envUnits), ",") {
		must(t, s.Prepare(t.Context(), cloudtest.Target(u)))
		must(t, s.Commit(t.Context(), cloudtest.Target(u)))
	}
}

func helper(t *testing.T, dir, units string, latency time.Duration) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envDir+"="+dir, envUnits+"="+units, envLatency+"="+latency.String())
	return cmd
}

func create(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s, err := sim.Open(dir, cloudtest.Inventory(), sim.Options{})
	must(t, err)
	must(t, s.Close())
	return dir
}

// Two processes migrating different units over one state directory: the
// flock serializes them, nothing is lost.
func TestSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	dir := create(t)
	groups := []string{
		cloudtest.UnitVNet + "," + cloudtest.UnitNSG,
		cloudtest.UnitLegacy + "," + cloudtest.UnitReservedIP,
	}
	var wg sync.WaitGroup
	outs := make([][]byte, len(groups))
	errs := make([]error, len(groups))
	for i, g := range groups {
		cmd := helper(t, dir, g, 5*time.Millisecond)
		wg.Go(func() { outs[i], errs[i] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("helper %d: %v\n%s", i, err, outs[i])
		}
	}
	s := open(t, dir, nil, sim.Options{})
	ops, err := s.History(t.Context())
	must(t, err)
	if len(ops) != 8 {
		t.Fatalf("history holds %d operations, want 8: %q", len(ops), summary(ops))
	}
	for i, op := range ops {
		if op.Seq != int64(i+1) || op.Result != sim.ResultSucceeded {
			t.Fatalf("operation %d = %+v, want seq %d Succeeded", i, op, i+1)
		}
	}
	for _, u := range []string{cloudtest.UnitVNet, cloudtest.UnitNSG, cloudtest.UnitLegacy, cloudtest.UnitReservedIP} {
		if st := mustState(t, s, u); st != cloud.StateCommitted {
			t.Errorf("State(%s) = %s, want Committed", u, st)
		}
	}
}

// A process killed while its Prepare's latency passes: the operation goes
// on in the cloud and a later process finds it finished.
func TestKilledProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	dir := create(t)
	cmd := helper(t, dir, cloudtest.UnitLegacy, time.Hour)
	must(t, cmd.Start())
	s := open(t, dir, nil, sim.Options{})
	for mustState(t, s, cloudtest.UnitLegacy) != cloud.StatePreparing {
		time.Sleep(time.Millisecond)
	}
	must(t, cmd.Process.Kill())
	_ = cmd.Wait()

	// The next process comes back an hour later (its clock says so).
	later := open(t, dir, nil, sim.Options{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
	if st := mustState(t, later, cloudtest.UnitLegacy); st != cloud.StatePrepared {
		t.Fatalf("State after the Prepare's hour = %s, want Prepared", st)
	}
	must(t, later.Commit(t.Context(), cloudtest.Target(cloudtest.UnitLegacy)))
	want := []string{
		"1 Prepare cloudservice/suite-legacy None Succeeded",
		"2 Commit cloudservice/suite-legacy Prepared Succeeded",
	}
	if got := history(t, later); !slices.Equal(got, want) {
		t.Fatalf("history = %q, want %q", got, want)
	}
}
