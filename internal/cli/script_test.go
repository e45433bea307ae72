package cli

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/migrate-tool/migrate/pkg/disks/azuritetest"
)

// TestMain lets the test binary act as the migrate command inside testscript
// scenarios, so the end-to-end tests run the real command line in its own
// process (kill -9 included).
func TestMain(m *testing.M) {
	if os.Getenv(envActAsMigrate) == "1" {
		// The crash suites re-execute the test binary as migrate.
		os.Exit(Main(context.Background(), os.Args[1:], System()))
	}
	testscript.Main(m, map[string]func(){
		"migrate": func() { os.Exit(Main(context.Background(), os.Args[1:], System())) },
	})
}

// TestScript runs the end-to-end scenarios in testdata/script/*.txtar.
func TestScript(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// One Azurite for the scenarios of the disk step through sim serve
	// (page data lives there). Missing, it fails the test in CI; elsewhere
	// the scenarios that need it skip through [!azurite].
	azurite := ""
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "azurite-blob")); err == nil || os.Getenv("CI") == "true" {
		azurite = azuritetest.Start(t).Endpoint
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join(root, "testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("ESTATES", filepath.Join(root, "testdata", "estates"))
			env.Setenv("AZURITE_BLOB", azurite)
			env.Setenv("NO_COLOR", "1")
			// Simulated latencies and Retry-After shrink a thousandfold so
			// scenarios with faults finish in seconds.
			env.Setenv("MIGRATE_SIM_TIME_SCALE", "0.001")
			return nil
		},
		Cmds: scriptCmds(),
		// [ci] is true when CI=true (the script's environment does not
		// carry CI): scenarios that need a tool CI installs, such as
		// qemu-img, skip without it only outside CI.
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "ci":
				return os.Getenv("CI") == "true", nil
			case "azurite":
				return azurite != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// scriptCmds are the extra commands the scenarios use.
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"container": cmdContainer,
		"vhd":       cmdVHD,
		"treesum":   cmdTreesum,
		"flipbyte":  cmdFlipByte,
		// waitfile FILE waits (at most 60s) until FILE exists.
		"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 1 {
				ts.Fatalf("usage: waitfile FILE")
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
					return
				}
				if time.Now().After(deadline) {
					ts.Fatalf("waitfile: %s did not appear", args[0])
				}
				time.Sleep(20 * time.Millisecond)
			}
		},
		// exitcode N CMD ARGS... runs CMD and asserts its exit code is N;
		// stdout and stderr are then checked as after exec.
		"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 2 {
				ts.Fatalf("usage: exitcode N command [args...]")
			}
			want, err := strconv.Atoi(args[0])
			if err != nil {
				ts.Fatalf("exitcode: %v", err)
			}
			err = ts.Exec(args[1], args[2:]...)
			got := 0
			var ee *exec.ExitError
			switch {
			case errors.As(err, &ee):
				got = ee.ExitCode()
			case err != nil:
				ts.Fatalf("exitcode: %v", err)
			}
			if got != want {
				ts.Fatalf("exit code %d, want %d", got, want)
			}
		},
	}
}

// cmdFlipByte (flipbyte FILE OFFSET) inverts every bit of the byte at
// OFFSET, so the file is changed there whatever it held. (Writing a
// constant does nothing one time in 256 over random bytes such as
// ciphertext, which made the tampered-image scenario pass its tamper by.)
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE OFFSET")
	}
	off, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || off < 0 {
		ts.Fatalf("flipbyte: offset %q", args[1])
	}
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_RDWR, 0)
	ts.Check(err)
	defer f.Close()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, off)
	ts.Check(err)
	b[0] ^= 0xff
	_, err = f.WriteAt(b, off)
	ts.Check(err)
}

// cmdTreesum (treesum DIR) prints one line per entry under DIR: its path,
// mode, size and SHA-256, sorted, so `cmp` shows whether a command changed
// a byte, a mode or a file's existence. A missing DIR prints "absent".
func cmdTreesum(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: treesum DIR")
	}
	root := ts.MkAbs(args[0])
	if _, err := os.Lstat(root); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(ts.Stdout(), "absent")
		return
	}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		sum := "-"
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum = fmt.Sprintf("%x", sha256.Sum256(data))
		}
		fmt.Fprintf(ts.Stdout(), "%s %v %d %s\n", rel, info.Mode(), info.Size(), sum)
		return nil
	})
	if err != nil {
		ts.Fatalf("treesum: %v", err)
	}
}
