package realclient_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// The scenarios drive `migrate sim serve` as operators run it: the
// binary, built once by TestMain from this tree, started as its own
// process on loopback over a state directory, reached only through the
// address it prints and the configuration it writes. Nothing of the
// server runs in the test's process.

// Credentials the served authority accepts (sim serve takes them from its
// environment, as operators give them).
const (
	clientID     = "app"
	clientSecret = "s3cret-for-tests"
)

var (
	binDir string // where TestMain builds migrate
	binErr error
)

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "realclient-migrate-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer func() { _ = os.RemoveAll(dir) }()
		binDir = dir
		// The build is what is under test; a failure fails every scenario
		// that needs it (reported there), not the package set-up.
		out, err := exec.Command(goTool(), "build", "-o", filepath.Join(dir, "migrate"), "github.com/migrate-tool/migrate/cmd/migrate").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build ./cmd/migrate: %w\n%s", err, out)
		}
		return m.Run()
	}()
	os.Exit(code)
}

// goTool is the go command that runs this test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// served is a running `migrate sim serve`: its base URL (with the
// trailing slash) and the certificate it presents.
type served struct {
	url     string
	certPEM []byte
	caFile  string
	// front is the Blob service front of the configuration it wrote (""
	// without --blob-endpoint).
	front string
}

// serveOptions shape a server.
type serveOptions struct {
	tenant       string // AZURE_TENANT_ID ("" is the emulator's default)
	blobEndpoint string // --blob-endpoint: the disk step's Azurite
	// before runs on the simulator of the state directory before it is
	// served (units migrated, say); the server opens it afterwards.
	before func(ctx context.Context, s *sim.Sim) error
}

// serve starts `migrate sim serve` over inv and returns once it listens.
// The process is killed when the test ends.
func serve(t *testing.T, inv *inventory.Inventory, o serveOptions) *served {
	t.Helper()
	if binErr != nil {
		t.Fatal(binErr)
	}
	state, work := t.TempDir(), t.TempDir()
	invFile := filepath.Join(work, "estate.json")
	var buf bytes.Buffer
	if err := inventory.Write(&buf, inv, "json"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(invFile, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if o.before != nil {
		s, err := sim.Open(state, inv, sim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = o.before(t.Context(), s)
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	cfgFile := filepath.Join(work, "emu.yaml")
	args := []string{"--state-dir", state, "--inventory", invFile, "sim", "serve", "--addr", "127.0.0.1:0", "--write-config", cfgFile}
	if o.blobEndpoint != "" {
		args = append(args, "--blob-endpoint", o.blobEndpoint)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "migrate"), args...) //nolint:gosec // G204: the binary this test built, constant arguments
	cmd.Dir = work
	// The simulator runs on the forecast's timing model (a Prepare takes
	// simulated minutes): compressed, as every test that serves it does,
	// or the clients would poll for hours.
	cmd.Env = append(os.Environ(), "AZURE_CLIENT_ID="+clientID, "AZURE_CLIENT_SECRET="+clientSecret, "AZURE_TENANT_ID="+o.tenant,
		"HOME="+work, "XDG_CONFIG_HOME="+work, "MIGRATE_SIM_TIME_SCALE=0.0001")
	cmd.WaitDelay = 5 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	var (
		logMu sync.Mutex
		log   bytes.Buffer
		done  = make(chan struct{})
	)
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait() // killed: its exit status says so and nothing more
		<-done
	})
	// The server prints its address once it listens, after it wrote the
	// configuration; reading its stderr up to that line is the wait.
	ready := make(chan string, 1)
	go func() {
		defer close(done)
		defer close(ready)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			log.WriteString(line + "\n")
			logMu.Unlock()
			if u, ok := strings.CutPrefix(line, "serving the simulated cloud at "); ok && !sent {
				ready <- u
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	u, ok := <-ready
	if !ok {
		_ = cmd.Wait()
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("migrate sim serve ended before it listened:\n%s", log.String())
	}
	b, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	var cfg emulator.Config
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("%s: %v", cfgFile, err)
	}
	pem, err := os.ReadFile(cfg.Azure.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	return &served{url: u + "/", certPEM: pem, caFile: cfg.Azure.CAFile, front: cfg.Azure.BlobEndpoint}
}
