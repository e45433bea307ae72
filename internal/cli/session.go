package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/validate"
)

// session is what a phase command works with: the inventory and its plan,
// the offline findings, the journal (locked) and the driver.
type session struct {
	invPath  string
	invSHA   string
	inv      *inventory.Inventory
	plan     *plan.Plan
	findings []validate.Finding
	journal  *journal.Journal
	driver   cloud.Migrator
	// units are the unit ids the operator named, as the plan spells them.
	units []string
	// readOnly: the session reads (status); it opens no journal of its
	// own and takes no lock.
	readOnly bool
	closers  []func() error
}

func (s *session) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	return errors.Join(errs...)
}

// errNoClassicSide refuses a phase command on Azure Stack Hub: it has no
// Service Management side, so there is nothing the classic migration could
// move; its VMs are Resource Manager VMs already, and only the disk step
// applies to those on unmanaged disks (drivers.md).
func errNoClassicSide() error {
	return badInputf("Azure Stack Hub has no classic deployment model (Service Management): there is nothing to validate, prepare or commit; its VMs on unmanaged disks go to managed disks with migrate disks convert (or run --convert-disks)")
}

// openJournal takes the state directory's lock for command.
func (a *app) openJournal(command string) (*journal.Journal, error) {
	host, _ := os.Hostname()
	j, err := journal.Open(a.cfg.StateDir, journal.Holder{
		Host: host, PID: os.Getpid(), Command: "migrate " + command, Since: time.Now().UTC(),
	})
	if err != nil {
		var le *journal.LockedError
		if errors.As(err, &le) {
			return nil, &ExitError{Code: ExitFailed, Err: err}
		}
		return nil, fmt.Errorf("open journal in %s: %w", a.cfg.StateDir, err)
	}
	a.openRunLog(command)
	return j, nil
}

// openSession loads everything a phase command needs. invPath overrides
// the configured inventory (resume uses the one its run recorded). A
// journal passed in stays the caller's to close; without one, the session
// takes the state directory's lock and opens it.
//
// Named units are checked against the plan before anything is opened.
func (a *app) openSession(ctx context.Context, command, invPath string, j *journal.Journal, args []string) (*session, error) {
	return a.newSession(ctx, &session{journal: j}, command, invPath, args)
}

// openReadSession is openSession for a command that only reads: j (nil
// when the state directory has no journal) is read-only and nothing is
// locked or created.
func (a *app) openReadSession(ctx context.Context, invPath string, j *journal.Journal) (*session, error) {
	return a.newSession(ctx, &session{journal: j, readOnly: true}, "", invPath, nil)
}

func (a *app) newSession(ctx context.Context, s *session, command, invPath string, args []string) (*session, error) {
	fail := func(err error) (*session, error) {
		_ = s.Close()
		return nil, err
	}
	if invPath == "" {
		invPath = a.cfg.Inventory
	}
	inv, err := a.loadInventoryFrom(invPath)
	if err != nil {
		return fail(err)
	}
	s.inv, s.invPath = inv, invPath
	if inv.Target.Cloud == inventory.CloudAzureStackHub && !s.readOnly {
		return fail(errNoClassicSide())
	}
	if abs, err := filepath.Abs(invPath); err == nil {
		s.invPath = abs
	}
	if s.invSHA, err = journal.HashFile(invPath); err != nil {
		return fail(badInput(fmt.Errorf("inventory: %w", err)))
	}
	if s.plan, err = plan.Build(inv); err != nil {
		return fail(badInput(err))
	}
	if s.units, err = selectUnits(s.plan, args); err != nil {
		return fail(err)
	}
	s.findings = validate.Check(inv, s.plan)
	if s.journal == nil && !s.readOnly {
		if s.journal, err = a.openJournal(command); err != nil {
			return fail(err)
		}
		s.closers = append(s.closers, s.journal.Close)
	}
	a.warnRehearsal(s.journal)
	open := a.openDriver
	if s.readOnly {
		open = a.openReadDriver
	}
	d, closeDriver, err := open(ctx, inv, s.journal)
	if err != nil {
		return fail(err)
	}
	s.driver = d
	s.closers = append(s.closers, closeDriver)
	return s, nil
}

// warnRehearsal says which units a rehearsal left Prepared, once per
// command: until a resume (or a new rehearsal) aborts them their classic
// management plane stays locked.
func (a *app) warnRehearsal(j *journal.Journal) {
	if j == nil || a.warnedRehearsal {
		return
	}
	left, err := j.RehearsalLeft()
	if err != nil || len(left) == 0 {
		return
	}
	a.warnedRehearsal = true
	fmt.Fprintf(a.io.ErrOut, "migrate: a rehearsal that did not finish left %s prepared: `migrate resume` (or a new `migrate run --rehearse`) aborts them\n", strings.Join(left, ", "))
}

// openDriver opens the configured cloud driver. j, when given, keeps the
// azure driver's long-running-operation resume tokens.
func (a *app) openDriver(ctx context.Context, inv *inventory.Inventory, j *journal.Journal) (cloud.Migrator, func() error, error) {
	switch a.cfg.Driver {
	case "sim":
		s, err := a.openSim(ctx, inv)
		if err != nil {
			return nil, nil, err
		}
		return s, s.Close, nil
	case "azure":
		return a.openAzure(ctx, inv, j)
	}
	return nil, nil, badInputf("driver: want sim or azure, got %q", a.cfg.Driver)
}

// openReadDriver opens the driver for a command that only reads: on the
// simulator a consistent copy of its state, no lock taken and nothing
// created or changed under the state directory (a state directory where no
// simulated cloud exists yet is a cloud where nothing was sent).
func (a *app) openReadDriver(ctx context.Context, inv *inventory.Inventory, j *journal.Journal) (cloud.Migrator, func() error, error) {
	if a.cfg.Driver != "sim" {
		return a.openDriver(ctx, inv, j)
	}
	s, err := sim.OpenReadOnly(ctx, a.cfg.StateDir, sim.Options{
		Latency:   a.cfg.Sim.Latency,
		FaultRate: a.cfg.Sim.FaultRate,
		Seed:      a.cfg.Sim.Seed,
		TimeScale: a.cfg.Sim.TimeScale,
	})
	if errors.Is(err, sim.ErrNoCloud) {
		a.nameSim()
		return untouched{}, func() error { return nil }, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open simulator in %s: %w", a.cfg.StateDir, err)
	}
	if err := a.checkSimSubscription(ctx, s, inv); err != nil {
		_ = s.Close()
		return nil, nil, err
	}
	a.nameSim()
	return s, s.Close, nil
}

// openConfiguredSim opens the simulator of the state directory, built from
// the configured inventory when there is one (it may already exist).
func (a *app) openConfiguredSim(ctx context.Context) (*sim.Sim, *inventory.Inventory, error) {
	inv, err := a.optionalInventory()
	if err != nil {
		return nil, nil, err
	}
	s, err := a.openSim(ctx, inv)
	return s, inv, err
}

func (a *app) openSim(ctx context.Context, inv *inventory.Inventory) (*sim.Sim, error) {
	s, err := sim.Open(a.cfg.StateDir, inv, sim.Options{
		Latency:   a.cfg.Sim.Latency,
		Timing:    a.simTiming(),
		FaultRate: a.cfg.Sim.FaultRate,
		Seed:      a.cfg.Sim.Seed,
		TimeScale: a.cfg.Sim.TimeScale,
		// The disk API version this command sends (--disk-api-version);
		// "" is the profile's default.
		DiskAPIVersion: a.diskAPIVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("open simulator in %s: %w", a.cfg.StateDir, err)
	}
	if err := a.checkSimSubscription(ctx, s, inv); err != nil {
		_ = s.Close()
		return nil, err
	}
	a.nameSim()
	return s, nil
}

// nameSim says once, on stderr, that the cloud acted on is the simulator,
// as the azure driver names its cloud, subscription and tenant: a run on
// the simulator must never pass for a migration.
func (a *app) nameSim() {
	if a.namedSim {
		return
	}
	a.namedSim = true
	fmt.Fprintf(a.io.ErrOut, "driver sim: the simulated cloud in %s; nothing in Azure changes\n", filepath.Join(a.cfg.StateDir, "sim"))
}

// checkSimSubscription refuses a simulated cloud built for another
// subscription: it is built once, from the first inventory, so a state
// directory holding another subscription's cloud is the wrong one, and
// acting on it (or reporting from it) would only confuse.
func (a *app) checkSimSubscription(ctx context.Context, s *sim.Sim, inv *inventory.Inventory) error {
	if inv == nil {
		return nil
	}
	cur, err := s.Classic(ctx)
	if err == nil && cur.SubscriptionID != "" && !strings.EqualFold(cur.SubscriptionID, inv.SubscriptionID) {
		return badInputf("state directory %s holds the simulated cloud of subscription %s, not the inventory's %s: use another --state-dir", a.cfg.StateDir, cur.SubscriptionID, inv.SubscriptionID)
	}
	return nil
}

// selectUnits checks that every named unit exists and returns the ids as
// the plan spells them.
func selectUnits(p *plan.Plan, args []string) ([]string, error) {
	var ids, unknown []string
	for _, a := range args {
		u := p.Unit(a)
		if u == nil {
			unknown = append(unknown, a)
			continue
		}
		ids = append(ids, u.ID)
	}
	if len(unknown) > 0 {
		return nil, badInputf("unknown unit %s: units are named as `migrate plan` prints them (vnet/<name>, cloudservice/<name>, storage/<name>, nsg/<name>, routetable/<name>, reservedip/<name>)", strings.Join(unknown, ", "))
	}
	return ids, nil
}

// phaseOptions are the executor options common to every phase command.
func (a *app) phaseOptions(s *session, mode phases.Mode, units []string, events func(phases.Event)) phases.Options {
	o := phases.Options{
		Mode:      mode,
		Plan:      s.plan,
		Driver:    s.driver,
		Journal:   s.journal,
		Targets:   phases.TargetsFor(s.inv),
		Units:     units,
		Blocked:   validate.Blocked(s.findings),
		Inventory: phases.InventoryRef{Path: s.invPath, SHA256: s.invSHA},
		Parallel:  a.cfg.Parallel,
		Events:    events,
	}
	if a.cfg.Driver == "sim" {
		// The executor's own polling and backoff follow the simulated
		// clock, so a scaled-down simulation is not slowed by real-time
		// waits meant for Azure.
		o.TimeScale = a.cfg.Sim.TimeScale
		if a.cfg.Sim.Latency > 0 && a.cfg.Sim.Latency < 5*time.Second {
			o.PollInterval = a.cfg.Sim.Latency / 4
		}
	}
	if hook := a.crashHook(); hook != nil {
		o.OnBoundary = hook
	}
	return o
}
