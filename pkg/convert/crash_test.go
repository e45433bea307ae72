package convert_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// Environment of a crash worker: the re-executed test binary acting as one
// `migrate disks convert` process that kills itself at a boundary.
const (
	envWorker    = "CONVERT_CRASH_WORKER"     // state directory
	envKillAfter = "CONVERT_CRASH_KILL_AFTER" // boundaries before SIGKILL; 0: never
	envStream    = "CONVERT_CRASH_STREAM"     // "1": Upload instead of Import
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envWorker); dir != "" {
		os.Exit(crashWorker(dir))
	}
	os.Exit(m.Run())
}

func crashInventory() (*inventory.Inventory, error) {
	return inventory.Load(filepath.Join("..", "..", "testdata", "estates", "small.json"))
}

// crashWorker converts the small estate, SIGKILLing itself at the Nth
// journal boundary; it prints the boundaries it passed.
func crashWorker(dir string) int {
	killAfter, _ := strconv.Atoi(os.Getenv(envKillAfter))
	stream := os.Getenv(envStream) == "1"
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "crash worker:", err)
		return 2
	}
	inv, err := crashInventory()
	if err != nil {
		return fail(err)
	}
	s, err := sim.Open(dir, nil, sim.Options{Seed: 5, TimeScale: testTimeScale})
	if err != nil {
		return fail(err)
	}
	j, err := journal.Open(dir, journal.Holder{Command: "migrate disks convert"})
	if err != nil {
		return fail(err)
	}
	p, err := convert.Build(inv, convert.PlanOptions{Stream: stream})
	if err != nil {
		return fail(err)
	}
	var n atomic.Int64
	res, err := convert.Run(context.Background(), convert.Options{Plan: p, Compute: s, Data: s, Journal: j, StateDir: dir,
		Parallel: 1, TimeScale: testTimeScale,
		OnBoundary: func(b convert.Boundary, vm, op string) {
			if c := n.Add(1); killAfter > 0 && c == int64(killAfter) {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}})
	if err != nil {
		return fail(err)
	}
	for _, v := range res.VMs {
		if v.Status != convert.StatusDone {
			fmt.Fprintf(os.Stderr, "crash worker: %s: %s: %s\n", v.ID, v.Status, v.Reason)
		}
	}
	fmt.Printf("boundaries %d\n", n.Load())
	j.Close()
	s.Close()
	return 10 + res.ExitCode()
}

// runWorker runs one worker; killed reports whether it died of SIGKILL.
func runWorker(t *testing.T, dir string, killAfter int, stream bool) (killed bool, out string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	st := "0"
	if stream {
		st = "1"
	}
	cmd.Env = append(os.Environ(), envWorker+"="+dir, envKillAfter+"="+strconv.Itoa(killAfter), envStream+"="+st)
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, string(b)
		}
		if ee.ExitCode() == 10 {
			return false, string(b)
		}
	}
	t.Fatalf("worker (kill after %d): %v\n%s", killAfter, err, b)
	return false, ""
}

var (
	templateOnce sync.Once
	templateDir  string
	templateErr  error
)

// migratedTemplate is the small estate migrated once, copied by every
// crash case.
func migratedTemplate(t *testing.T) string {
	templateOnce.Do(func() {
		inv, err := crashInventory()
		if err != nil {
			templateErr = err
			return
		}
		templateDir, templateErr = os.MkdirTemp("", "convert-template")
		if templateErr == nil {
			migrate(t, templateDir, inv)
		}
	})
	if templateErr != nil {
		t.Fatal(templateErr)
	}
	return templateDir
}

// TestKillAtEveryBoundary kills a conversion of the small estate at every
// journal boundary in turn, finishes it with a second process, and checks
// that the cloud ends as an uninterrupted run leaves it, with no disk or VM
// created twice and no upload granted after it ended.
func TestKillAtEveryBoundary(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			tmpl := migratedTemplate(t)
			base := t.TempDir()
			copyDir(t, tmpl, base)
			killed, out := runWorker(t, base, 0, stream)
			if killed {
				t.Fatal("uninterrupted worker was killed")
			}
			var total int
			if _, err := fmt.Sscanf(out, "boundaries %d", &total); err != nil || total == 0 {
				t.Fatalf("worker output %q: %v", out, err)
			}
			want := cloudState(t, base)
			// Every boundary by default; under the race detector every
			// worker is several times slower, so every 5th (the
			// in-process tests race the engine itself); -short every 7th.
			step := 1
			switch {
			case testing.Short():
				step = 7
			case raceEnabled:
				step = 5
			}
			for k := 1; k <= total; k += step {
				dir := t.TempDir()
				copyDir(t, tmpl, dir)
				if killed, _ := runWorker(t, dir, k, stream); !killed {
					t.Fatalf("worker to be killed at boundary %d of %d finished", k, total)
				}
				if killed, out := runWorker(t, dir, 0, stream); killed {
					t.Fatalf("resume killed: %s", out)
				}
				if got := cloudState(t, dir); got != want {
					t.Errorf("killed at boundary %d: cloud differs from an uninterrupted run's:\n got %s\nwant %s", k, got, want)
				}
				s, err := sim.Open(dir, nil, sim.Options{})
				if err != nil {
					t.Fatal(err)
				}
				checkHistory(t, context.Background(), s)
				s.Close()
			}
			t.Logf("%d boundaries", total)
		})
	}
}

// cloudState renders the VMs and managed disks of the cloud in dir.
func cloudState(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	s, err := sim.Open(dir, nil, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vms, err := s.ListVMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, v := range vms {
		lines = append(lines, fmt.Sprintf("%s/%s %s %s %v os=%s", v.ResourceGroup, v.Name, v.Size, v.PowerState, v.NICs, v.OSDisk.ManagedDisk))
		for _, d := range append(v.DataDisks, v.OSDisk) {
			md, err := s.GetDisk(ctx, v.ResourceGroup, d.ManagedDisk)
			if err != nil {
				t.Fatalf("%s: %v", d.ManagedDisk, err)
			}
			src, err := s.OpenManaged(ctx, v.ResourceGroup, d.ManagedDisk)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := hashSource(ctx, src)
			src.Close()
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("  lun %d %s %s %d %s %s", d.LUN, md.Name, md.State, md.SizeBytes, md.AccountType, sum))
		}
	}
	sort.Strings(lines)
	return fmt.Sprint(lines)
}
