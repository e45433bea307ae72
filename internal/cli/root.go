package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"
)

// app is what every command shares: the streams, the decoded configuration
// and the interrupt plumbing. One is made per invocation; there are no
// package globals.
type app struct {
	io  *IOStreams
	cfg *Config
	// drain is closed on the first interrupt: no new units start.
	drain chan struct{}
	// boundaries counts journal boundaries for the crash-test hook.
	boundaries atomic.Int64
	// resumeStaging is resume's --staging: a fresh SAS for the disk
	// step's staging container.
	resumeStaging string
	// printer is the output state (print.go).
	printer printer
}

// Main runs the migrate command line with args and returns the exit code.
func Main(ctx context.Context, args []string, streams *IOStreams) int {
	a := &app{io: streams, drain: make(chan struct{})}
	ctx, stop := a.handleInterrupts(ctx)
	defer stop()

	root := a.newRootCmd()
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil {
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Err != nil {
			fmt.Fprintf(streams.ErrOut, "migrate: %v\n", err)
		}
	}
	return code
}

// handleInterrupts implements the two-stage Ctrl-C: the first SIGINT or
// SIGTERM closes drain (no new units; in-flight ones finish), the second
// cancels the context (stop now; the journal keeps what resume needs).
func (a *app) handleInterrupts(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-done:
				return
			case <-sigs:
				n++
				if n == 1 {
					fmt.Fprintln(a.io.ErrOut, "migrate: interrupted: finishing the operations in flight, starting nothing new (interrupt again to stop now; `migrate resume` continues)")
					close(a.drain)
					continue
				}
				fmt.Fprintln(a.io.ErrOut, "migrate: stopping now; `migrate resume` continues")
				cancel()
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "migrate",
		Short: "Move an Azure estate from the classic deployment model to Resource Manager",
		Long: `migrate plans, validates and executes the migration of a classic (Service
Management) Azure estate to Resource Manager, unit by unit (VNets with their
cloud services, cloud services not in a VNet, storage accounts, unattached
NSGs, route tables and reserved IPs), and then turns unmanaged VHDs into
managed disks.

It keeps a durable journal in the state directory: an interrupted run is
finished by "migrate resume", and an irreversible Commit is never sent twice.

` + exitCodeHelp + "\n\n" + environmentHelp,
		Example: `  # dry-run report of an estate
  migrate plan --inventory estate.json -o markdown > plan.md

  # every documented blocker, plus the platform's own Validate
  migrate validate --inventory estate.json

  # the whole migration on the embedded simulator
  migrate run --inventory estate.json --yes`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.Flags(), a.io.Getenv)
			if err != nil {
				return err
			}
			a.cfg = cfg
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	addGlobalFlags(root.PersistentFlags())
	root.AddCommand(
		a.newInventoryCmd(),
		a.newPlanCmd(),
		a.newValidateCmd(),
		a.newManCmd(),
	)
	for _, c := range a.phaseCommands() {
		root.AddCommand(c)
	}
	root.AddCommand(a.newDisksCmd(), a.newSimCmd(), a.newVersionCmd())
	root.AddCommand(helpTopics()...)
	a.finishCommandTree(root)
	root.Version = readBuildInfo().String()
	root.SetVersionTemplate("migrate {{.Version}}\n")
	return root
}

// wantArgs wraps a cobra positional-args check so a violation is exit 2.
func wantArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return badInput(err)
		}
		return nil
	}
}
