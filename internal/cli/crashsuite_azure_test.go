package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/migrate-tool/migrate/pkg/disks/azuritetest"
)

// azureEnv is what the azure driver needs to sign in to sim serve (the
// emulator's test credentials, never a real secret) and poll it fast.
var azureEnv = []string{
	"AZURE_TENANT_ID=emulator", "AZURE_CLIENT_ID=migrate-e2e", "AZURE_CLIENT_SECRET=Sup3rS3cretValue",
	"MIGRATE_AZURE_POLL_INTERVAL=20ms",
	"MIGRATE_AZURE_TIME_SCALE=0.001",
}

// azureCrashStride is the step between the boundaries the azure crash
// suite kills at, MIGRATE_CRASH_STRIDE when set. Each kill costs a sim
// serve, a run and its resumes over HTTP: about 3 s for the platform's
// conversion (60-odd boundaries) and 20 s for a cutover (100-odd, every
// disk imported and hashed through Azurite), on a loaded 2-core machine.
// The defaults, every 4th and every 40th boundary (3 times further apart
// under the race detector), keep the suite within about three minutes
// while still landing in the phases and in the disk step.
func azureCrashStride(slow bool) int {
	if n, err := strconv.Atoi(os.Getenv("MIGRATE_CRASH_STRIDE")); err == nil && n > 0 {
		return n
	}
	n := 4
	if slow {
		n = 40
	}
	if raceBuild {
		n *= 3
	}
	return n
}

// simServe starts `migrate sim serve` in dir on the state directory emu
// with its page data in the Azurite at blob, and returns once it serves
// (its "serving" line read from stderr, emu.yaml written before it). The
// server is stopped with an interrupt when the test ends.
func simServe(t *testing.T, dir, blob string) {
	t.Helper()
	inv, err := filepath.Abs(filepath.Join("..", "..", "testdata", "estates", "small.json"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "--state-dir", "emu", "--inventory", inv, "sim", "serve", "--blob-endpoint", blob, "--write-config", "emu.yaml")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), envActAsMigrate+"=1", "NO_COLOR=1", "MIGRATE_SIM_TIME_SCALE=0.001"), azureEnv...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	var said []string
	for sc.Scan() {
		said = append(said, sc.Text())
		if strings.HasPrefix(sc.Text(), "serving the simulated cloud at ") {
			// Keep reading, so the server never blocks on a full pipe.
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return
		}
	}
	t.Fatalf("sim serve ended before serving: %s", strings.Join(said, "\n"))
}

// TestCrashSuiteAzureConvertDisks is TestCrashSuiteConvertDisks on the
// azure driver: run --convert-disks against sim serve (Resource Manager
// and Service Management over HTTP, page data in Azurite) is killed at
// every azureCrashStride-th journal boundary, then resume runs until it
// exits 0: every unit is committed exactly once (the emulator's history),
// each committed, and every VM converted by the platform (issue 13, "Done
// when"). In CI a missing Azurite fails it; elsewhere it is skipped.
func TestCrashSuiteAzureConvertDisks(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a process at journal boundaries")
	}
	blob := azuritetest.Start(t).Endpoint
	for _, tc := range []struct {
		name  string
		flags []string
		// slow: each run takes several times the platform's.
		slow bool
	}{
		{"platform", nil, false},
		{"cutover", []string{"--method", "cutover"}, true},
		// The two encrypted legs through a staging folder (the key
		// file is written into each run's folder below).
		{"staging", []string{"--method", "cutover", "--staging", "stage", "--key-file", "kek"}, true},
		// The pre-copy, its pages copied by the storage service (Put
		// Page From URL at the emulator's blob front).
		{"precopy", []string{"--method", "precopy"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := []string{"--config", "emu.yaml", "--state-dir", "client"}
			stride, first := azureCrashStride(tc.slow), 1
			if tc.slow {
				// The sparse kills of a slow case start half a stride
				// in: boundary 1 is the platform case's already.
				first = max(1, stride/2)
			}
			for n := first; n < 2000; n += stride {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "kek"), bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
					t.Fatal(err)
				}
				simServe(t, dir, blob)
				args := append(append(append([]string{}, client...), "run", "--yes", "--convert-disks"), tc.flags...)
				code, stderr, _ := migrateProc(t, dir, append([]string{"MIGRATE_TEST_KILL_AT_BOUNDARY=" + strconv.Itoa(n)}, azureEnv...), args...)
				if code == 0 {
					if n == first {
						t.Fatalf("the run ended before its boundary %d", n)
					}
					t.Logf("past the last boundary at %d", n)
					return
				}
				if code != -1 {
					t.Fatalf("boundary %d: exit %d, want a kill: %s", n, code, stderr)
				}
				when := fmt.Sprintf("boundary %d", n)
				for i := 0; ; i++ {
					code, stderr, _ := migrateProc(t, dir, azureEnv, append(append([]string{}, client...), "resume")...)
					if code == 0 || code == 2 {
						break
					}
					if code == 1 || i == 5 {
						t.Fatalf("%s: resume exit %d: %s", when, code, stderr)
					}
				}
				checkAzureConverted(t, dir, client, when, tc.flags != nil)
				if t.Failed() {
					return
				}
			}
			t.Fatal("more than 2000 boundaries")
		})
	}
}

// checkAzureConverted checks what a finished run --convert-disks of the
// small estate leaves on sim serve, however often it was killed: every
// unit Committed, each committed exactly once, and the 4 VMs on managed
// disks, converted by the platform (once each) or, recreate, created
// again on them (once each, no VM left deleted).
func checkAzureConverted(t *testing.T, dir string, client []string, when string, recreate bool) {
	t.Helper()
	code, stderr, out := migrateProc(t, dir, azureEnv, append(append([]string{}, client...), "status", "-o", "json")...)
	if code != 0 {
		t.Fatalf("%s: status: exit %d: %s", when, code, stderr)
	}
	var st statusDoc
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("%s: status -o json: %v", when, err)
	}
	for _, u := range st.Units {
		if u.Phase != "Committed" {
			t.Errorf("%s: %s is %s after resume", when, u.ID, u.Phase)
		}
	}
	code, stderr, out = migrateProc(t, dir, nil, "--state-dir", "emu", "sim", "history", "-o", "json")
	if code != 0 {
		t.Fatalf("%s: sim history: exit %d: %s", when, code, stderr)
	}
	var h historyDoc
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&h); err != nil {
		t.Fatal(err)
	}
	commits, converted, deleted := map[string]int{}, map[string]int{}, map[string]bool{}
	for _, op := range h.Operations {
		if op.Result != "Succeeded" {
			continue
		}
		switch op.Op {
		case "Commit":
			commits[op.Unit]++
		case "ConvertToManagedDisks":
			if !recreate {
				converted[op.Unit]++
			}
		case "DeleteVM":
			deleted[op.Unit] = true
		case "CreateVM":
			deleted[op.Unit] = false
			if recreate {
				converted[op.Unit]++
			}
		}
	}
	if len(commits) == 0 {
		t.Errorf("%s: no Commit in the emulator's history", when)
	}
	for u, c := range commits {
		if c != 1 {
			t.Errorf("%s: %s committed %d times", when, u, c)
		}
	}
	for vm, c := range converted {
		if c != 1 {
			t.Errorf("%s: %s put on managed disks %d times", when, vm, c)
		}
	}
	for vm, d := range deleted {
		if d {
			t.Errorf("%s: %s left deleted", when, vm)
		}
	}
	if len(converted) != 4 {
		t.Errorf("%s: %d VMs on managed disks, want 4", when, len(converted))
	}
}
