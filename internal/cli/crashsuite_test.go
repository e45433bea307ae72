package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// envActAsMigrate makes the test binary act as the migrate command (see
// TestMain), for the crash suites that kill it.
const envActAsMigrate = "MIGRATE_CLI_ACT_AS_MIGRATE"

// migrateProc runs the test binary as migrate in dir with the extra
// environment, and returns its exit code (-1 for a kill) and stderr.
func migrateProc(t *testing.T, dir string, env []string, args ...string) (int, string, []byte) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	inv, err := filepath.Abs(filepath.Join("..", "..", "testdata", "estates", "small.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The simulator runs on the timing model (hours of simulated time for
	// a run): a hundred-thousandth keeps a run, killed and resumed at every
	// boundary, a matter of milliseconds.
	cmd.Env = append(os.Environ(), envActAsMigrate+"=1", "NO_COLOR=1", "MIGRATE_SIM_TIME_SCALE=0.00001", "MIGRATE_INVENTORY="+inv)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), stderr.String(), stdout.Bytes()
	case err != nil:
		t.Fatalf("migrate %v: %v", args, err)
	}
	return 0, stderr.String(), stdout.Bytes()
}

// crashStride is the step between the boundaries a crash suite kills at:
// every one (1), except under the race detector, where the suites of the
// disk step would take most of the package's time budget, unless
// MIGRATE_CRASH_STRIDE says otherwise.
func crashStride() int {
	if n, err := strconv.Atoi(os.Getenv("MIGRATE_CRASH_STRIDE")); err == nil && n > 0 {
		return n
	}
	if raceBuild {
		return 5
	}
	return 1
}

// resumeUntilDone runs resume until it exits 0 (or 2: nothing left), at
// most a few times: each resume may itself meet a fault, never a kill.
func resumeUntilDone(t *testing.T, dir string, args ...string) {
	t.Helper()
	for i := 0; i < 5; i++ {
		code, stderr, _ := migrateProc(t, dir, nil, append([]string{"resume"}, args...)...)
		switch code {
		case 0, 2:
			return
		case 1:
			t.Fatalf("resume: exit 1: %s", stderr)
		}
	}
	t.Fatal("resume did not finish in 5 attempts")
}

type statusDoc struct {
	Units []struct {
		ID    string `json:"id"`
		Phase string `json:"phase"`
	} `json:"units"`
}

func phasesOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	code, stderr, out := migrateProc(t, dir, nil, "status", "-o", "json")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, stderr)
	}
	var doc statusDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("status -o json: %v", err)
	}
	got := map[string]string{}
	for _, u := range doc.Units {
		got[u.ID] = u.Phase
	}
	return got
}

// A rehearsal killed at any journal boundary is finished by resume: no
// unit is left prepared (its classic management plane locked), none
// committed (issue 15 item 3).
func TestCrashSuiteRehearsal(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a process at every journal boundary")
	}
	for n := 1; n < 200; n++ {
		dir := t.TempDir()
		code, stderr, _ := migrateProc(t, dir, []string{"MIGRATE_TEST_KILL_AT_BOUNDARY=" + strconv.Itoa(n)}, "run", "--rehearse")
		if code == 0 {
			if n == 1 {
				t.Fatal("the rehearsal reached no journal boundary")
			}
			return // past the last boundary
		}
		if code != -1 {
			t.Fatalf("boundary %d: run --rehearse exit %d, want a kill: %s", n, code, stderr)
		}
		resumeUntilDone(t, dir)
		for id, ph := range phasesOf(t, dir) {
			switch ph {
			case "Planned", "Validated", "Aborted":
			default:
				t.Errorf("boundary %d: %s left %s", n, id, ph)
			}
		}
	}
	t.Fatal("more than 200 boundaries")
}

// A new rehearsal after a killed one finishes it too: it aborts what the
// old one left prepared, and until then every command names those units.
func TestNewRehearsalFinishesKilledOne(t *testing.T) {
	dir := t.TempDir()
	if code, _, _ := migrateProc(t, dir, []string{"MIGRATE_TEST_KILL_AT_BOUNDARY=8"}, "run", "--rehearse"); code != -1 {
		t.Fatalf("run --rehearse: exit %d, want a kill", code)
	}
	left := 0
	for _, ph := range phasesOf(t, dir) {
		if ph == "Prepared" {
			left++
		}
	}
	if left == 0 {
		t.Fatal("the killed rehearsal left nothing prepared: pick another boundary")
	}
	code, stderr, _ := migrateProc(t, dir, nil, "status")
	if code != 0 || !regexpMatch(`a rehearsal that did not finish left .* prepared`, stderr) {
		t.Errorf("status: exit %d, stderr %q: want the units the rehearsal left prepared named", code, stderr)
	}
	if code, stderr, _ := migrateProc(t, dir, nil, "run", "--rehearse"); code != 0 {
		t.Fatalf("second rehearsal: exit %d: %s", code, stderr)
	}
	for id, ph := range phasesOf(t, dir) {
		if ph == "Prepared" || ph == "Committed" {
			t.Errorf("%s left %s", id, ph)
		}
	}
	if code, _, _ := migrateProc(t, dir, nil, "resume"); code != 2 {
		t.Errorf("resume after the second rehearsal: exit %d, want 2 (nothing to resume)", code)
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

type historyDoc struct {
	Operations []struct {
		Op     string `json:"op"`
		Unit   string `json:"unit"`
		Result string `json:"result"`
	} `json:"operations"`
}

// TestCrashSuiteConvertDisks kills run --convert-disks at every journal
// boundary, plain and through an encrypted staging folder, then resumes
// until exit 0: every unit is committed exactly once and every VM is on
// managed disks (issue 13, "Done when").
func TestCrashSuiteConvertDisks(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a process at every journal boundary")
	}
	for _, tc := range []struct {
		name  string
		flags []string
		// known is an open bug the case meets: it then runs only with
		// MIGRATE_CRASH_KNOWN=1.
		known string
	}{
		{"plain", nil, ""},
		{"staging", []string{"--staging", "stage", "--key-file", "key.bin"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.known != "" && os.Getenv("MIGRATE_CRASH_KNOWN") != "1" {
				t.Skip("known bug: " + tc.known)
			}
			for n := 1; n < 500; n += crashStride() {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "key.bin"), bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
					t.Fatal(err)
				}
				args := append([]string{"run", "--yes", "--convert-disks"}, tc.flags...)
				code, stderr, _ := migrateProc(t, dir, []string{"MIGRATE_TEST_KILL_AT_BOUNDARY=" + strconv.Itoa(n)}, args...)
				if code == 0 {
					if n == 1 {
						t.Fatal("the run reached no journal boundary")
					}
					return
				}
				if code != -1 {
					t.Fatalf("boundary %d: exit %d, want a kill: %s", n, code, stderr)
				}
				resumeUntilDone(t, dir)
				checkConverted(t, dir, fmt.Sprintf("boundary %d", n))
				if t.Failed() {
					return
				}
			}
			t.Fatal("more than 500 boundaries")
		})
	}
}

// checkConverted checks what a finished run --convert-disks of the small
// estate leaves, however often it was killed: every unit Committed, each
// committed exactly once, and the 4 VMs on managed disks: converted by the
// platform (the default on Azure) or created again on them.
func checkConverted(t *testing.T, dir, when string) {
	t.Helper()
	for id, ph := range phasesOf(t, dir) {
		if ph != "Committed" {
			t.Errorf("%s: %s is %s after resume", when, id, ph)
		}
	}
	code, stderr, out := migrateProc(t, dir, nil, "sim", "history", "-o", "json")
	if code != 0 {
		t.Fatalf("sim history: exit %d: %s", code, stderr)
	}
	var h historyDoc
	if err := json.Unmarshal(out, &h); err != nil {
		t.Fatal(err)
	}
	commits, converted := map[string]int{}, map[string]bool{}
	for _, op := range h.Operations {
		switch {
		case op.Op == "Commit" && op.Result == "Succeeded":
			commits[op.Unit]++
		case (op.Op == "CreateVM" || op.Op == "ConvertToManagedDisks") && op.Result == "Succeeded":
			converted[op.Unit] = true
		}
	}
	for u, c := range commits {
		if c != 1 {
			t.Errorf("%s: %s committed %d times", when, u, c)
		}
	}
	if len(converted) != 4 {
		t.Errorf("%s: %d VMs on managed disks, want 4", when, len(converted))
	}
}

// TestCrashSuiteResumeKilled kills resume itself: after run --convert-disks
// is killed, every resume is killed too at its k-th journal boundary, again
// and again, until one gets through. Each killed resume must still make
// progress, and the one that finishes must leave the estate as an
// uninterrupted run would: resume always finishes (issue 13). One unit or
// VM at a time: with several in flight a kill at a fixed early boundary
// can land, every time, before any of them has sent its call (their
// intents interleave), a scheduling artifact no real kill repeats.
func TestCrashSuiteResumeKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("kills resume again and again")
	}
	for _, tc := range []struct{ run, resume int }{{6, 3}, {25, 4}, {60, 5}} {
		t.Run(fmt.Sprintf("run%d-resume%d", tc.run, tc.resume), func(t *testing.T) {
			dir := t.TempDir()
			code, stderr, _ := migrateProc(t, dir, []string{"MIGRATE_TEST_KILL_AT_BOUNDARY=" + strconv.Itoa(tc.run)}, "run", "--yes", "--convert-disks", "--parallel", "1")
			if code != -1 {
				t.Fatalf("run: exit %d, want a kill at boundary %d: %s", code, tc.run, stderr)
			}
			kills := 0
			for {
				code, stderr, _ := migrateProc(t, dir, []string{"MIGRATE_TEST_KILL_AT_BOUNDARY=" + strconv.Itoa(tc.resume)}, "resume", "--parallel", "1")
				if code != -1 {
					if code != 0 && code != 2 {
						t.Fatalf("resume after %d killed resumes: exit %d: %s", kills, code, stderr)
					}
					break
				}
				if kills++; kills > 400 {
					t.Fatalf("resume killed %d times at its boundary %d and still not done: it makes no progress", kills, tc.resume)
				}
			}
			t.Logf("%d resumes killed before one finished", kills)
			resumeUntilDone(t, dir)
			checkConverted(t, dir, fmt.Sprintf("after %d killed resumes", kills))
		})
	}
}

// TestCrashSuiteHubPrecopy kills run --convert-disks on Azure Stack Hub's
// pre-copy and recreate path at every journal boundary (every few under
// the race detector), then resumes: each VM ends recreated on managed
// disks, none is left deleted, and the two VMs of the availability set
// are never down together (issue 10, "Done when").
func TestCrashSuiteHubPrecopy(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a process at every journal boundary")
	}
	hub, err := filepath.Abs(filepath.Join("..", "..", "testdata", "estates", "hub.json"))
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"MIGRATE_INVENTORY=" + hub}
	args := []string{"run", "--yes", "--convert-disks", "--method", "precopy", "--disk-api-version", "2019-07-01"}
	for n := 1; n < 2000; n += crashStride() {
		dir := t.TempDir()
		code, stderr, _ := migrateProc(t, dir, append(env, "MIGRATE_TEST_KILL_AT_BOUNDARY="+strconv.Itoa(n)), args...)
		if code == 0 {
			if n == 1 {
				t.Fatal("the run reached no journal boundary")
			}
			return
		}
		if code != -1 {
			t.Fatalf("boundary %d: exit %d, want a kill: %s", n, code, stderr)
		}
		for i := 0; ; i++ {
			code, stderr, _ := migrateProc(t, dir, env, "resume")
			if code == 0 || code == 2 {
				break
			}
			if code == 1 || i == 5 {
				t.Fatalf("boundary %d: resume exit %d: %s", n, code, stderr)
			}
		}
		code, stderr, out := migrateProc(t, dir, env, "sim", "history", "-o", "json")
		if code != 0 {
			t.Fatalf("sim history: exit %d: %s", code, stderr)
		}
		var h historyDoc
		if err := json.Unmarshal(out, &h); err != nil {
			t.Fatal(err)
		}
		checkHubConverted(t, fmt.Sprintf("boundary %d", n), h)
		if t.Failed() {
			return
		}
	}
	t.Fatal("more than 2000 boundaries")
}

// checkHubConverted reads hub.json's history: every VM's last DeleteVM is
// followed by a CreateVM that succeeded (none left deleted), each VM was
// created once on managed disks at the end, and app1 and app2 (one
// availability set) were never down together.
func checkHubConverted(t *testing.T, when string, h historyDoc) {
	t.Helper()
	down := map[string]bool{}
	deleted := map[string]bool{}
	created := map[string]bool{}
	for _, op := range h.Operations {
		if op.Result != "Succeeded" {
			continue
		}
		vm := op.Unit[strings.LastIndexByte(op.Unit, '/')+1:]
		switch op.Op {
		case "DeallocateVM", "DeleteVM":
			down[vm] = true
			if op.Op == "DeleteVM" {
				deleted[vm] = true
			}
		case "CreateVM", "StartVM":
			down[vm], deleted[vm] = false, false
			if op.Op == "CreateVM" {
				created[vm] = true
			}
		}
		if down["app1"] && down["app2"] {
			t.Errorf("%s: app1 and app2, one availability set, down together (at %s %s)", when, op.Op, op.Unit)
			return
		}
	}
	for _, vm := range []string{"app1", "app2", "jump"} {
		if deleted[vm] {
			t.Errorf("%s: %s left deleted", when, vm)
		}
		if !created[vm] {
			t.Errorf("%s: %s never recreated on managed disks", when, vm)
		}
	}
}
