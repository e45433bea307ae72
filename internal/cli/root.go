package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
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
	// continueWith is the command that continues this one when it is not
	// `migrate resume`; set by the command, read by the signal handler.
	continueWith atomic.Pointer[continueLine]
	// warnedRehearsal: the units a rehearsal left prepared were named.
	warnedRehearsal bool
	// namedSim: the line saying the simulator is in use was printed.
	namedSim bool
	// exit ends the process at the second interrupt; os.Exit outside
	// tests.
	exit func(int)
	// printer is the output state (print.go).
	printer printer
	// args are the command line, for the run log; log is the log of a
	// changing command (runlog.go), nil until the journal is opened.
	args []string
	log  *runLog
	// diskAPIVersion is the disk API version the disk step's command was
	// given (--disk-api-version), for the driver it opens; "" keeps the
	// configured or default one.
	diskAPIVersion string
}

// Main runs the migrate command line with args and returns the exit code.
func Main(ctx context.Context, args []string, streams *IOStreams) int {
	a := &app{io: streams, drain: make(chan struct{}), exit: os.Exit, args: args}
	ctx, stop := a.handleInterrupts(ctx)
	defer stop()

	// ctx reaches every command through ExecuteContext and cmd.Context(),
	// which contextcheck cannot follow into cobra's RunE closures.
	root := a.newRootCmd() //nolint:contextcheck // see above
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil {
		var ee *ExitError
		switch {
		case errors.Is(err, context.Canceled):
			// Go's bare "context canceled" says nothing to an operator.
			fmt.Fprintln(streams.ErrOut, "migrate: interrupted")
		case !errors.As(err, &ee) || ee.Err != nil:
			fmt.Fprintf(streams.ErrOut, "migrate: %v\n", err)
		}
	}
	a.closeRunLog(code)
	if code == ExitInterrupted {
		a.printContinue()
	}
	return code
}

// continueLine is the command that continues an interrupted one, when it
// is not `migrate resume` (a copy continues with its own --resume).
type continueLine struct {
	line string
	// freshSAS: a SAS in the line was replaced by <SAS>.
	freshSAS bool
}

// continueCommand is the command that continues this one if interrupted.
func (a *app) continueCommand() continueLine {
	if c := a.continueWith.Load(); c != nil {
		return *c
	}
	return continueLine{line: a.resumeCommand()}
}

// printContinue prints the exact command that continues an interrupted
// one, on its own line (the last), with the state directory and
// configuration file the operator gave.
func (a *app) printContinue() {
	c := a.continueCommand()
	how := "this continues it"
	if c.freshSAS {
		how += ", with a fresh SAS in place of each <SAS>"
	}
	fmt.Fprintf(a.io.ErrOut, "migrate: interrupted with work half done; %s:\n%s\n", how, c.line)
}

func (a *app) resumeCommand() string {
	cmd := "migrate resume"
	if a.cfg == nil {
		return cmd
	}
	if a.cfg.StateDir != "" && filepath.Clean(a.cfg.StateDir) != ".migrate" {
		cmd += " --state-dir " + shellQuote(a.cfg.StateDir)
	}
	if a.cfg.ConfigFile != "" {
		cmd += " --config " + shellQuote(a.cfg.ConfigFile)
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return r != '/' && r != '.' && r != '-' && r != '_' && r != ':' && r != '=' && r != '+' && r != ',' && r != '@' &&
			(r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// handleInterrupts implements the two-stage Ctrl-C: the first SIGINT or
// SIGTERM closes drain (nothing new starts anywhere: no unit, VM or disk;
// the calls in flight finish), the second ends the process at once, even
// one blocked in a system call. That is safe for the same reason a kill -9
// is: every journal write is one fsynced transaction, and resume settles
// every intent left open by reading the platform first.
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
					fmt.Fprintf(a.io.ErrOut, "migrate: interrupted: finishing the operations in flight, starting nothing new (interrupt again to stop now; `%s` continues)\n", a.continueCommand().line)
					close(a.drain)
					continue
				}
				cancel()
				fmt.Fprintln(a.io.ErrOut, "migrate: stopping now")
				a.printContinue()
				a.exit(ExitInterrupted)
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
			if cmd.HasAvailableSubCommands() {
				// A command group only prints help or refuses an
				// unknown command: no configuration needed.
				return nil
			}
			cfg, err := loadConfig(cmd.Flags(), a.io.Getenv)
			if err != nil {
				return err
			}
			if err := checkStateDir(cfg.StateDir); err != nil {
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
		a.newValidateCmd(nil),
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
	refuseUnknownCommands(root)
	return root
}

// refuseUnknownCommands makes every command group (root, disks, sim, ...)
// answer an unknown subcommand, typos included, with a usage error (exit
// 2) and cobra's suggestions; without args a group prints its help. Cobra
// on its own makes "migrate paln" an untyped error (exit 1) and "migrate
// disks cpy" the group's help (exit 0).
func refuseUnknownCommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknownCommands(sub)
	}
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if cmd.SuggestionsMinimumDistance <= 0 {
			cmd.SuggestionsMinimumDistance = 2 // cobra's own default
		}
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
		}
		// cobra's own wording for an unknown command, printed whole as
		// the command's last word and never wrapped: ST1005 is for errors
		// that read as part of a longer message.
		return badInput(fmt.Errorf("%s\n\nRun '%s --help' for usage.", msg, cmd.CommandPath())) //nolint:staticcheck // ST1005: see above
	}
}

// checkStateDir refuses (exit 2), before anything is created, a state
// directory that is a file or lies under one.
func checkStateDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return badInputf("--state-dir %s is a file, not a directory", dir)
	case errors.Is(err, syscall.ENOTDIR):
		return badInputf("--state-dir %s: a part of the path is a file, not a directory", dir)
	}
	return nil
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
