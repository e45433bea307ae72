package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// errRefused and errCancelled are the errors the fake Classify knows, for
// tests only.
var (
	errRefused   = errors.New("bad input")
	errCancelled = errors.New("cancelled at the prompt")
)

func classify(err error) Status {
	switch {
	case err == nil:
		return Done
	case errors.Is(err, errRefused):
		return Refused
	}
	return Failed
}

// fake is every dependency at once, recording the calls in order; for
// tests only.
type fake struct {
	calls []string

	confirm   error
	intend    error
	phase     map[string]Status // by mode or run command
	phaseErr  map[string]error
	committed []string
	diskSt    Status
	diskErr   error

	runs     []journal.Run
	last     journal.Run
	rec      DiskRecord
	hasRec   bool
	diskStep DiskStep
	skips    []map[string]bool
	events   []Event
}

func (f *fake) record(format string, a ...any) { f.calls = append(f.calls, fmt.Sprintf(format, a...)) }

func (f *fake) Run(_ context.Context, mode phases.Mode, units []string) (Status, error) {
	f.record("phases %s %s", mode, strings.Join(units, ","))
	return f.phase[string(mode)], f.phaseErr[string(mode)]
}

func (f *fake) Resume(_ context.Context, run journal.Run, skip map[string]bool) (Status, error) {
	f.record("resume %s", run.Command)
	f.skips = append(f.skips, skip)
	return f.phase[run.Command], f.phaseErr[run.Command]
}

func (f *fake) CommittedVMs(_ context.Context, inv string) ([]string, error) {
	f.record("committed %s", inv)
	return f.committed, nil
}

func (f *fake) Intend(context.Context) error {
	f.record("intend")
	return f.intend
}

func (f *fake) Convert(_ context.Context, s DiskStep) (Status, error) {
	f.record("disks %s", strings.Join(s.VMs, ","))
	f.diskStep = s
	return f.diskSt, f.diskErr
}

func (f *fake) Unfinished() ([]journal.Run, error) { return f.runs, nil }

func (f *fake) LastRun() (journal.Run, error) {
	if f.last.Command == "" {
		return f.last, journal.ErrNoRun
	}
	return f.last, nil
}

func (f *fake) DiskStep() (DiskRecord, bool, error) { return f.rec, f.hasRec, nil }

func (f *fake) deps() Deps {
	return Deps{
		Phases: f, Disks: f, Journal: f, Classify: classify,
		Confirm: func(context.Context) error { f.record("confirm"); return f.confirm },
		Events:  func(e Event) { f.events = append(f.events, e) },
	}
}

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name      string
		f         fake
		req       RunRequest
		want      Status
		wantErr   error
		wantCalls []string
	}{{
		name:      "phases then disks on what committed",
		f:         fake{committed: []string{"vm1", "vm2"}},
		req:       RunRequest{ConvertDisks: true},
		want:      Done,
		wantCalls: []string{"confirm", "intend", "phases run ", "committed ", "disks vm1,vm2"},
	}, {
		name:      "phases only",
		f:         fake{},
		req:       RunRequest{Mode: phases.ModeCommit, Units: []string{"u1"}},
		want:      Done,
		wantCalls: []string{"confirm", "phases commit u1"},
	}, {
		name:      "cancelled at the prompt changes nothing",
		f:         fake{confirm: errCancelled},
		req:       RunRequest{ConvertDisks: true},
		want:      Failed,
		wantErr:   errCancelled,
		wantCalls: []string{"confirm"},
	}, {
		name:      "refused at the prompt changes nothing",
		f:         fake{confirm: errRefused},
		req:       RunRequest{ConvertDisks: true},
		want:      Refused,
		wantErr:   errRefused,
		wantCalls: []string{"confirm"},
	}, {
		name:      "no disk step after an interrupt",
		f:         fake{phase: map[string]Status{"run": Interrupted}, committed: []string{"vm1"}},
		req:       RunRequest{ConvertDisks: true},
		want:      Interrupted,
		wantCalls: []string{"confirm", "intend", "phases run "},
	}, {
		name:      "no disk step after a refusal",
		f:         fake{phaseErr: map[string]error{"run": errRefused}, committed: []string{"vm1"}},
		req:       RunRequest{ConvertDisks: true},
		want:      Refused,
		wantErr:   errRefused,
		wantCalls: []string{"confirm", "intend", "phases run "},
	}, {
		name:      "blocked units: the committed VMs still convert and the worse decides",
		f:         fake{phase: map[string]Status{"run": Blocked}, committed: []string{"vm1"}, diskSt: Failed},
		req:       RunRequest{ConvertDisks: true},
		want:      Failed,
		wantCalls: []string{"confirm", "intend", "phases run ", "committed ", "disks vm1"},
	}, {
		name:      "a better disk step keeps the phases' outcome",
		f:         fake{phase: map[string]Status{"run": Failed}, committed: []string{"vm1"}, diskSt: Done},
		req:       RunRequest{ConvertDisks: true},
		want:      Failed,
		wantCalls: []string{"confirm", "intend", "phases run ", "committed ", "disks vm1"},
	}, {
		name:      "nothing committed: no disk step",
		f:         fake{phase: map[string]Status{"run": Blocked}},
		req:       RunRequest{ConvertDisks: true},
		want:      Blocked,
		wantCalls: []string{"confirm", "intend", "phases run ", "committed "},
	}, {
		name:      "a journal that cannot record the disk step: nothing runs",
		f:         fake{intend: errors.New("disk full")},
		req:       RunRequest{ConvertDisks: true},
		want:      Failed,
		wantCalls: []string{"confirm", "intend"},
	}, {
		name:      "no classic side: the disk step is the run",
		f:         fake{diskSt: Interrupted},
		req:       RunRequest{DisksOnly: true},
		want:      Interrupted,
		wantCalls: []string{"disks "},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			o := Run(context.Background(), f.deps(), tc.req)
			if o.Status != tc.want {
				t.Errorf("status %s, want %s", o.Status, tc.want)
			}
			if tc.wantErr != nil && !errors.Is(o.Err, tc.wantErr) {
				t.Errorf("err %v, want %v", o.Err, tc.wantErr)
			}
			if !reflect.DeepEqual(f.calls, tc.wantCalls) {
				t.Errorf("calls\n%q\nwant\n%q", f.calls, tc.wantCalls)
			}
		})
	}
}

func TestRunFromRunMarksTheDiskStep(t *testing.T) {
	f := fake{committed: []string{"vm1"}}
	Run(context.Background(), f.deps(), RunRequest{ConvertDisks: true})
	if !f.diskStep.FromRun || f.diskStep.Resume {
		t.Errorf("disk step %+v, want FromRun and not Resume", f.diskStep)
	}
}

func TestRehearse(t *testing.T) {
	f := fake{phase: map[string]Status{"rehearse": Blocked}}
	o := Rehearse(context.Background(), f.deps(), []string{"u1"})
	if o.Status != Blocked || o.Next() != NextValidate {
		t.Errorf("outcome %+v (next %q), want blocked, validate next", o, o.Next())
	}
	if want := []string{"phases rehearse u1"}; !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls %q, want %q", f.calls, want)
	}
}

func TestResume(t *testing.T) {
	prepare := journal.Run{Command: "prepare", Units: []string{"u1", "u2"}, InventoryPath: "old.json"}
	commit := journal.Run{Command: "commit", Units: []string{"u2"}, InventoryPath: "new.json"}
	run := journal.Run{Command: "run", InventoryPath: "run.json"}
	for _, tc := range []struct {
		name      string
		f         fake
		want      Status
		wantErr   error
		wantCalls []string
		wantDisk  DiskStep
	}{{
		name:    "nothing to resume",
		f:       fake{hasRec: true, rec: DiskRecord{Finished: true}},
		want:    Refused,
		wantErr: phases.ErrNothingToResume,
	}, {
		name:      "every command, oldest first; a failure does not stop the next",
		f:         fake{runs: []journal.Run{prepare, commit}, phase: map[string]Status{"prepare": Failed}},
		want:      Failed,
		wantCalls: []string{"resume prepare", "resume commit"},
	}, {
		name:      "an interrupt stops at once",
		f:         fake{runs: []journal.Run{prepare, commit}, phase: map[string]Status{"prepare": Interrupted}, hasRec: true},
		want:      Interrupted,
		wantCalls: []string{"resume prepare"},
	}, {
		name: "a refusal stops at once and decides, even after a failure",
		f: fake{runs: []journal.Run{prepare, commit, run}, phase: map[string]Status{"prepare": Failed},
			phaseErr: map[string]error{"commit": errRefused}},
		want:      Refused,
		wantErr:   errRefused,
		wantCalls: []string{"resume prepare", "resume commit"},
	}, {
		name:      "a run's disk step after its phases, on what committed by then",
		f:         fake{runs: []journal.Run{run}, hasRec: true, rec: DiskRecord{FromRun: true}, committed: []string{"vm1"}, diskSt: Blocked},
		want:      Blocked,
		wantCalls: []string{"resume run", "committed run.json", "disks vm1"},
		wantDisk:  DiskStep{VMs: []string{"vm1"}, FromRun: true, Resume: true, Inventory: "run.json"},
	}, {
		name:      "only the disk step, with its own VMs and the last command's inventory",
		f:         fake{last: run, hasRec: true, rec: DiskRecord{VMs: []string{"vm2"}}},
		want:      Done,
		wantCalls: []string{"disks vm2"},
		wantDisk:  DiskStep{VMs: []string{"vm2"}, Resume: true, Inventory: "run.json"},
	}, {
		name:      "only the disk step, no command ever recorded",
		f:         fake{hasRec: true, rec: DiskRecord{VMs: []string{"vm2"}}},
		want:      Done,
		wantCalls: []string{"disks vm2"},
		wantDisk:  DiskStep{VMs: []string{"vm2"}, Resume: true},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			o := Resume(context.Background(), f.deps())
			if o.Status != tc.want {
				t.Errorf("status %s, want %s", o.Status, tc.want)
			}
			if tc.wantErr != nil && !errors.Is(o.Err, tc.wantErr) {
				t.Errorf("err %v, want %v", o.Err, tc.wantErr)
			}
			if !reflect.DeepEqual(f.calls, tc.wantCalls) {
				t.Errorf("calls\n%q\nwant\n%q", f.calls, tc.wantCalls)
			}
			if !reflect.DeepEqual(f.diskStep, tc.wantDisk) {
				t.Errorf("disk step %+v, want %+v", f.diskStep, tc.wantDisk)
			}
		})
	}
}

func TestResumeLeavesALaterCommandsUnits(t *testing.T) {
	prepare := journal.Run{Command: "prepare", Units: []string{"u1", "u2"}}
	commit := journal.Run{Command: "commit", Units: []string{"u2"}}
	run := journal.Run{Command: "run"}
	f := fake{runs: []journal.Run{prepare, commit, run}}
	Resume(context.Background(), f.deps())
	want := []map[string]bool{{"u2": true}, {}, {}}
	if !reflect.DeepEqual(f.skips, want) {
		t.Errorf("skips %v, want %v", f.skips, want)
	}
	if len(f.events) != 3 || f.events[0].Kind != EventResumingCommand || !strings.Contains(f.events[0].What, "migrate prepare u1 u2") {
		t.Errorf("events %+v, want one per command naming it", f.events)
	}
}

func TestResumeStopsWhenTheContextIsGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := fake{runs: []journal.Run{{Command: "prepare"}, {Command: "commit"}}}
	o := Resume(ctx, f.deps())
	if want := []string{"resume prepare"}; !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls %q, want %q (outcome %+v)", f.calls, want, o)
	}
}

func TestWorst(t *testing.T) {
	for _, tc := range []struct {
		in   []Status
		want Status
	}{
		{nil, Done},
		{[]Status{Blocked, Done}, Blocked},
		{[]Status{Blocked, Failed}, Failed},
		{[]Status{Failed, Interrupted, Blocked}, Interrupted},
		{[]Status{Done, Refused}, Refused},
		{[]Status{Refused, Blocked}, Blocked},
	} {
		if got := Worst(tc.in...); got != tc.want {
			t.Errorf("Worst(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
