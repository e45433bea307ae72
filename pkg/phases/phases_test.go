package phases

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/exitcode"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/step"
)

func TestNext(t *testing.T) {
	tests := []struct {
		goal, from Phase
		want       Action
		op         Op
	}{
		{Prepared, Planned, ActionSend, OpPrepare},
		{Prepared, Validated, ActionSend, OpPrepare},
		{Prepared, Aborted, ActionSend, OpPrepare},
		{Prepared, PrepareFailed, ActionSend, OpPrepare},
		{Prepared, Preparing, ActionWait, ""},
		{Prepared, Prepared, ActionDone, ""},
		{Prepared, Committed, ActionDone, ""},
		{Prepared, CommitFailed, ActionDone, ""},
		{Prepared, AbortFailed, ActionRefuse, ""},
		{Prepared, Blocked, ActionSkip, ""},
		{Committed, Prepared, ActionSend, OpCommit},
		{Committed, CommitFailed, ActionSend, OpCommit},
		{Committed, Committing, ActionWait, ""},
		{Committed, Committed, ActionDone, ""},
		{Committed, Planned, ActionSkip, ""},
		{Committed, PrepareFailed, ActionSkip, ""},
		{Committed, AbortFailed, ActionRefuse, ""},
		{Aborted, Prepared, ActionSend, OpAbort},
		{Aborted, PrepareFailed, ActionSend, OpAbort},
		{Aborted, AbortFailed, ActionSend, OpAbort},
		{Aborted, Aborting, ActionWait, ""},
		{Aborted, Planned, ActionSkip, ""},
		{Aborted, Aborted, ActionDone, ""},
		{Aborted, Committed, ActionSkip, ""},
		{Aborted, CommitFailed, ActionSkip, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.goal)+"/"+string(tt.from), func(t *testing.T) {
			got := Next(tt.goal, tt.from)
			if got.Action != tt.want || got.Op != tt.op {
				t.Errorf("Next(%s, %s) = %+v, want action %d op %q", tt.goal, tt.from, got, tt.want, tt.op)
			}
			if (got.Action == ActionSkip || got.Action == ActionRefuse) && got.Reason == "" {
				t.Errorf("Next(%s, %s): no reason", tt.goal, tt.from)
			}
		})
	}
}

func TestPhaseOf(t *testing.T) {
	tests := []struct {
		state cloud.State
		rec   journal.UnitState
		want  Phase
	}{
		{cloud.StateNone, journal.UnitState{}, Planned},
		{cloud.StateNone, journal.UnitState{Phase: "Validated"}, Validated},
		{cloud.StateNone, journal.UnitState{Phase: "Aborting", LastOp: "Abort"}, Aborted},
		{cloud.StateNone, journal.UnitState{Phase: "Preparing", LastOp: "Prepare"}, Planned},
		{cloud.StatePrepared, journal.UnitState{Phase: "Planned"}, Prepared},
		{cloud.StateCommitted, journal.UnitState{Phase: "Prepared"}, Committed},
		{cloud.StateCommitFailed, journal.UnitState{}, CommitFailed},
		{cloud.StateAbortFailed, journal.UnitState{}, AbortFailed},
		{cloud.StateCommitting, journal.UnitState{}, Committing},
	}
	for _, tt := range tests {
		if got := PhaseOf(tt.state, tt.rec); got != tt.want {
			t.Errorf("PhaseOf(%s, %+v) = %s, want %s", tt.state, tt.rec, got, tt.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want int
	}{
		{"done", Result{Done: 3}, exitcode.OK},
		{"skipped only", Result{Done: 1, Skipped: 2}, exitcode.OK},
		{"blocked", Result{Done: 1, Blocked: 1, Skipped: 1}, exitcode.Blocked},
		{"failed beats blocked", Result{Failed: 1, Blocked: 1}, exitcode.Failed},
		{"interrupted beats all", Result{Interrupted: true, Failed: 1, Blocked: 1}, exitcode.Interrupted},
	}
	for _, tt := range tests {
		if got := tt.r.ExitCode(); got != tt.want {
			t.Errorf("%s: ExitCode = %d, want %d", tt.name, got, tt.want)
		}
	}
}

type harness struct {
	t     *testing.T
	cloud *fakeCloud
	j     *journal.Journal
	sleep *fakeSleep
	dir   string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	j, err := journal.Open(dir, journal.Holder{Command: "migrate test", PID: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return &harness{t: t, cloud: newFake(), j: j, sleep: &fakeSleep{}, dir: dir}
}

func (h *harness) opts(mode Mode, p *plan.Plan) Options {
	return Options{Mode: mode, Plan: p, Driver: h.cloud, Journal: h.j, Parallel: 4, Sleep: h.sleep.Sleep,
		Inventory: InventoryRef{Path: "inv.yaml", SHA256: "aaa"}, Jitter: func() float64 { return 0 }}
}

func (h *harness) run(o Options) Result {
	h.t.Helper()
	r, err := Execute(context.Background(), o)
	if err != nil {
		h.t.Fatalf("Execute: %v", err)
	}
	return r
}

func byID(r Result) map[string]UnitResult {
	m := map[string]UnitResult{}
	for _, u := range r.Units {
		m[u.ID] = u
	}
	return m
}

func TestRunRespectsDependencies(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "vnet/d", "storage/b<-vnet/a", "storage/c<-storage/b,vnet/d", "nsg/e")
	r := h.run(h.opts(ModeRun, p))
	if r.ExitCode() != exitcode.OK || r.Done != 5 {
		t.Fatalf("result %+v", r)
	}
	// A unit's Prepare comes after each of its dependencies' Commit.
	pos := map[string]int{}
	for i, op := range h.cloud.ops("", "") {
		pos[op.Op+" "+op.Unit] = i
	}
	for _, u := range p.Units {
		for _, d := range u.DependsOn {
			if pos["Prepare "+u.ID] < pos["Commit "+d] {
				t.Errorf("%s prepared before %s committed", u.ID, d)
			}
		}
		if got := h.cloud.state(u.ID); got != cloud.StateCommitted {
			t.Errorf("%s: state %s", u.ID, got)
		}
		if rec, _, _ := h.j.Unit(u.ID); rec.Phase != string(Committed) || rec.Pending != nil {
			t.Errorf("%s: journal %+v", u.ID, rec)
		}
	}
	// A second run sends nothing.
	n := len(h.cloud.ops("", ""))
	r = h.run(h.opts(ModeRun, p))
	if r.Done != 5 || len(h.cloud.ops("", "")) != n {
		t.Errorf("second run sent %d calls, result %+v", len(h.cloud.ops("", ""))-n, r)
	}
}

func TestBlockedSkipsDownstreamOnly(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "vnet/d", "storage/b<-vnet/a", "storage/c<-storage/b", "storage/e<-vnet/d")
	o := h.opts(ModeRun, p)
	o.Blocked = map[string]bool{"vnet/a": true}
	finals := map[string]Outcome{}
	o.Events = func(ev Event) {
		if ev.Final {
			if _, dup := finals[ev.Target]; dup {
				t.Errorf("second final event for %s", ev.Target)
			}
			finals[ev.Target] = Outcome(ev.Outcome)
		}
	}
	r := h.run(o)
	got := byID(r)
	for _, u := range r.Units {
		if finals[u.ID] != u.Outcome {
			t.Errorf("%s: final event %q, result %q", u.ID, finals[u.ID], u.Outcome)
		}
	}
	if got["vnet/a"].Outcome != OutcomeBlocked || got["vnet/a"].Phase != Blocked {
		t.Errorf("vnet/a: %+v", got["vnet/a"])
	}
	for _, id := range []string{"storage/b", "storage/c"} {
		if got[id].Outcome != OutcomeSkipped || !errors.Is(got[id].Err, ErrUpstream) {
			t.Errorf("%s: %+v", id, got[id])
		}
		if ops := h.cloud.ops("", id); len(ops) != 0 {
			t.Errorf("%s: calls sent: %+v", id, ops)
		}
	}
	for _, id := range []string{"vnet/d", "storage/e"} {
		if got[id].Outcome != OutcomeDone || got[id].Phase != Committed {
			t.Errorf("%s: %+v", id, got[id])
		}
	}
	if len(h.cloud.ops("", "vnet/a")) != 0 {
		t.Error("blocked unit was sent calls")
	}
	if r.ExitCode() != exitcode.Blocked {
		t.Errorf("exit %d, want %d", r.ExitCode(), exitcode.Blocked)
	}
}

func TestPlatformValidationBlocks(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "storage/b<-vnet/a", "nsg/c")
	h.cloud.validateErr["vnet/a"] = true
	r := h.run(h.opts(ModeRun, p))
	got := byID(r)
	if got["vnet/a"].Outcome != OutcomeBlocked || got["storage/b"].Outcome != OutcomeSkipped || got["nsg/c"].Outcome != OutcomeDone {
		t.Errorf("result %+v", r.Units)
	}
	f, _ := h.j.Findings()
	if !f["vnet/a"].Blocked || f["vnet/a"].Errors != 1 {
		t.Errorf("findings %+v", f)
	}
	if r.ExitCode() != exitcode.Blocked {
		t.Errorf("exit %d", r.ExitCode())
	}
}

func TestFailureSkipsDownstream(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "vnet/d", "storage/b<-vnet/a", "storage/e<-vnet/d")
	h.cloud.fail["Prepare vnet/a"] = true
	r := h.run(h.opts(ModeRun, p))
	got := byID(r)
	var opErr *cloud.OperationError
	if got["vnet/a"].Outcome != OutcomeFailed || got["vnet/a"].Phase != PrepareFailed || !errors.As(got["vnet/a"].Err, &opErr) {
		t.Errorf("vnet/a: %+v", got["vnet/a"])
	}
	if got["storage/b"].Outcome != OutcomeSkipped {
		t.Errorf("storage/b: %+v", got["storage/b"])
	}
	if got["storage/e"].Phase != Committed {
		t.Errorf("storage/e: %+v", got["storage/e"])
	}
	if r.ExitCode() != exitcode.Failed {
		t.Errorf("exit %d", r.ExitCode())
	}
	if n := len(h.cloud.ops("Prepare", "vnet/a")); n != 1 {
		t.Errorf("failed Prepare sent %d times in one run", n)
	}
}

func TestParallelBound(t *testing.T) {
	for _, par := range []int{1, 3} {
		h := newHarness(t)
		var spec []string
		for i := 0; i < 20; i++ {
			spec = append(spec, "nsg/n"+string(rune('a'+i)))
		}
		p := testPlan(spec...)
		h.cloud.hold = time.Millisecond
		o := h.opts(ModeRun, p)
		o.Parallel = par
		r := h.run(o)
		if r.Done != 20 {
			t.Fatalf("result %+v", r)
		}
		if h.cloud.maxInFlight > par {
			t.Errorf("parallel %d: %d calls in flight", par, h.cloud.maxInFlight)
		}
	}
}

func TestRankOrder(t *testing.T) {
	h := newHarness(t)
	// Ranks: vnet/x 3 (x <- s <- t), vnet/y 2, others 1.
	p := testPlan("nsg/a", "nsg/b", "vnet/x", "vnet/y", "storage/s<-vnet/x", "storage/z<-vnet/y", "storage/t<-storage/s")
	o := h.opts(ModeRun, p)
	o.Parallel = 1
	h.run(o)
	var got []string
	for _, op := range h.cloud.ops("Prepare", "") {
		got = append(got, op.Unit)
	}
	// Highest rank first, ties by plan order: once vnet/x is committed,
	// storage/s (rank 2) ties with vnet/y (rank 2), which is earlier in the
	// plan; units released later queue behind equal-rank units by plan
	// order too.
	want := []string{"vnet/x", "vnet/y", "storage/s", "nsg/a", "nsg/b", "storage/z", "storage/t"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("prepare order\n got %v\nwant %v", got, want)
	}
}

func TestTransientRetriesHonourRetryAfter(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "vnet/b")
	h.cloud.fault = func(op, unit string, n int) (error, bool) {
		switch {
		case unit == "vnet/a" && op == "Prepare" && n <= 2:
			return transientErr(7 * time.Minute), false
		case unit == "vnet/b" && op == "Commit" && n <= 3:
			return transientErr(0), false
		}
		return nil, false
	}
	o := h.opts(ModeRun, p)
	o.TimeScale = 0.5
	r := h.run(o)
	if r.Done != 2 {
		t.Fatalf("result %+v", r.Units)
	}
	count := map[time.Duration]int{}
	for _, w := range h.sleep.waits {
		count[w]++
	}
	if count[7*time.Minute] != 2 {
		t.Errorf("Retry-After 7m honoured %d times, want 2 (waits %v)", count[7*time.Minute], h.sleep.waits)
	}
	// No Retry-After: backoff 1s, 2s, 4s scaled by 0.5, jittered over its
	// upper half; the harness draws 0, the lower bound.
	for _, d := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second} {
		if count[d] != 1 {
			t.Errorf("backoff %v used %d times (waits %v)", d, count[d], h.sleep.waits)
		}
	}
}

func TestTransientGivesUp(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a")
	h.cloud.fault = func(op, unit string, n int) (error, bool) { return transientErr(time.Second), false }
	o := h.opts(ModeRun, p)
	o.MaxAttempts = 5
	r := h.run(o)
	if u := r.Units[0]; u.Outcome != OutcomeFailed || !errors.Is(u.Err, ErrGaveUp) {
		t.Errorf("unit %+v", u)
	}
	if n := len(h.cloud.ops("Prepare", "vnet/a")); n != 5 {
		t.Errorf("sent %d times, want 5", n)
	}
}

func TestNoResendAfterEffect(t *testing.T) {
	for _, op := range []string{"Prepare", "Commit"} {
		t.Run(op, func(t *testing.T) {
			h := newHarness(t)
			p := testPlan("vnet/a")
			h.cloud.fault = func(o, unit string, n int) (error, bool) {
				if o == op && n == 1 {
					return &cloud.TransientError{Fault: cloud.FaultInternalError}, true
				}
				return nil, false
			}
			r := h.run(h.opts(ModeRun, p))
			if r.Units[0].Phase != Committed {
				t.Fatalf("unit %+v", r.Units[0])
			}
			if n := len(h.cloud.ops(op, "vnet/a")); n != 1 {
				t.Errorf("%s sent %d times after it took effect", op, n)
			}
			for _, h := range h.cloud.ops("Commit", "") {
				if h.Before == cloud.StateCommitted {
					t.Errorf("Commit sent to a committed unit: %+v", h)
				}
			}
		})
	}
}

func TestReconcileIntentWithoutOutcome(t *testing.T) {
	tests := []struct {
		name      string
		op        string
		cloud     cloud.State
		wantSends int // Commits sent by the run
	}{
		{"commit took effect", "Commit", cloud.StateCommitted, 0},
		{"commit took effect, classic resource gone", "Commit", "gone", 0},
		{"commit still running", "Commit", cloud.StateCommitting, 0},
		{"commit never arrived", "Commit", cloud.StatePrepared, 1},
		{"prepare took effect", "Prepare", cloud.StatePrepared, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			p := testPlan("vnet/a")
			h.cloud.states["vnet/a"] = tt.cloud
			if tt.cloud == "gone" {
				h.cloud.states["vnet/a"], h.cloud.gone = cloud.StateCommitted, true
			}
			h.cloud.settle = 3
			if _, err := h.j.Intent("vnet/a", tt.op, 1, "Committing"); err != nil {
				t.Fatal(err)
			}
			rec, err := Reconcile(context.Background(), h.opts(ModeRun, p))
			if err != nil || len(rec) != 1 || rec[0].Err != nil {
				t.Fatalf("Reconcile = %+v, %v", rec, err)
			}
			if pend, _ := h.j.Pending(); len(pend) != 0 {
				t.Errorf("pending after reconcile: %+v", pend)
			}
			if len(h.cloud.ops("", "")) != 0 {
				t.Error("reconcile sent a call")
			}
			r := h.run(h.opts(ModeRun, p))
			if r.Units[0].Phase != Committed {
				t.Errorf("unit %+v", r.Units[0])
			}
			if n := len(h.cloud.ops("Commit", "vnet/a")); n != tt.wantSends {
				t.Errorf("Commit sent %d times, want %d", n, tt.wantSends)
			}
		})
	}
}

func TestPrepareModeSkipsUncommittedDependencies(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "storage/b<-vnet/a")
	r := h.run(h.opts(ModePrepare, p))
	got := byID(r)
	if got["vnet/a"].Phase != Prepared || got["storage/b"].Outcome != OutcomeSkipped || !errors.Is(got["storage/b"].Err, ErrDependencyNotCommitted) {
		t.Fatalf("result %+v", r.Units)
	}
	if r.ExitCode() != exitcode.OK {
		t.Errorf("exit %d", r.ExitCode())
	}
	// Commit vnet/a alone, then prepare and commit storage/b.
	o := h.opts(ModeCommit, p)
	o.Units = []string{"storage/b", "vnet/a"}
	r = h.run(o)
	got = byID(r)
	// storage/b was named but is not prepared: the command fails for it.
	if got["vnet/a"].Phase != Committed || got["storage/b"].Outcome != OutcomeFailed {
		t.Fatalf("commit result %+v", r.Units)
	}
	if !strings.Contains(got["storage/b"].Reason, "not prepared") {
		t.Errorf("reason %q", got["storage/b"].Reason)
	}
	o = h.opts(ModePrepare, p)
	o.Units = []string{"storage/b"}
	if r = h.run(o); r.Units[0].Phase != Prepared {
		t.Fatalf("prepare storage/b: %+v", r.Units)
	}
	o.Mode = ModeCommit
	if r = h.run(o); r.Units[0].Phase != Committed {
		t.Fatalf("commit storage/b: %+v", r.Units)
	}
}

func TestAbortMode(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "vnet/b", "vnet/c")
	h.cloud.states["vnet/a"] = cloud.StatePrepared
	h.cloud.states["vnet/b"] = cloud.StateCommitted
	r := h.run(h.opts(ModeAbort, p))
	got := byID(r)
	if got["vnet/a"].Phase != Aborted || got["vnet/a"].Outcome != OutcomeDone {
		t.Errorf("vnet/a %+v", got["vnet/a"])
	}
	if got["vnet/b"].Outcome != OutcomeSkipped || got["vnet/b"].Phase != Committed {
		t.Errorf("vnet/b %+v", got["vnet/b"])
	}
	// Never prepared: nothing to abort, nothing sent; skipped in a
	// whole-plan abort, a failure when named (issue 11: it used to say
	// done).
	if got["vnet/c"].Outcome != OutcomeSkipped || len(h.cloud.ops("", "vnet/c")) != 0 {
		t.Errorf("vnet/c %+v", got["vnet/c"])
	}
	o := h.opts(ModeAbort, p)
	o.Units = []string{"vnet/c"}
	if r := h.run(o); r.Units[0].Outcome != OutcomeFailed || !strings.Contains(r.Units[0].Reason, "never prepared") {
		t.Errorf("abort vnet/c named: %+v", r.Units[0])
	}
}

func TestRehearse(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "vnet/f", "storage/b<-vnet/a", "nsg/c", "nsg/p")
	h.cloud.fail["Prepare vnet/f"] = true
	h.cloud.states["nsg/p"] = cloud.StatePrepared // prepared by an earlier command
	r := h.run(h.opts(ModeRehearse, p))
	got := byID(r)
	for _, id := range []string{"vnet/a", "nsg/c"} {
		if got[id].Outcome != OutcomeDone || got[id].Phase != Aborted || h.cloud.state(id) != cloud.StateNone {
			t.Errorf("%s: %+v, state %s", id, got[id], h.cloud.state(id))
		}
	}
	// The platform's Validate refuses a unit whose dependencies have not
	// migrated, so a rehearsal does not ask it: offline findings only.
	if got["storage/b"].Outcome != OutcomeSkipped || !strings.Contains(got["storage/b"].Reason, "once vnet/a is committed") || got["storage/b"].Messages != nil {
		t.Errorf("storage/b: %+v", got["storage/b"])
	}
	if len(h.cloud.ops("", "storage/b")) != 0 {
		t.Error("storage/b was sent calls in a rehearsal")
	}
	if got["vnet/f"].Outcome != OutcomeFailed || h.cloud.state("vnet/f") != cloud.StatePrepareFailed {
		t.Errorf("vnet/f: %+v", got["vnet/f"])
	}
	if got["nsg/p"].Outcome != OutcomeSkipped || h.cloud.state("nsg/p") != cloud.StatePrepared {
		t.Errorf("nsg/p: %+v", got["nsg/p"])
	}
	if run, _ := h.j.Run(); !run.Rehearse || run.Command != "rehearse" {
		t.Errorf("run %+v", run)
	}
}

func TestValidateMode(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "vnet/b")
	h.cloud.validateErr["vnet/b"] = true
	r := h.run(h.opts(ModeValidate, p))
	got := byID(r)
	if got["vnet/a"].Phase != Validated || got["vnet/b"].Outcome != OutcomeBlocked || r.ExitCode() != exitcode.Blocked {
		t.Errorf("result %+v", r.Units)
	}
	if len(h.cloud.ops("", "")) != 0 {
		t.Error("validate sent a changing call")
	}
	if _, err := h.j.Run(); !errors.Is(err, journal.ErrNoRun) {
		t.Errorf("validate recorded a run: %v", err)
	}
}

func TestDrainThenResume(t *testing.T) {
	h := newHarness(t)
	var spec []string
	for i := 0; i < 10; i++ {
		spec = append(spec, "nsg/n"+string(rune('a'+i)))
	}
	p := testPlan(spec...)
	o := h.opts(ModeRun, p)
	o.Parallel = 2
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	// Drain as soon as the first Prepare is on disk: that unit (and any
	// other in flight) finishes its operation, nothing new starts.
	e.o.OnBoundary = func(b Boundary, unit string, op Op) {
		if b == step.AfterIntent {
			once.Do(e.Drain)
		}
	}
	r, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || r.ExitCode() != exitcode.Interrupted {
		t.Fatalf("result %+v", r)
	}
	notStarted := 0
	for _, u := range r.Units {
		if u.Outcome == OutcomeNotStarted {
			notStarted++
			if len(h.cloud.ops("", u.ID)) != 0 {
				t.Errorf("%s not started but was sent calls", u.ID)
			}
		}
	}
	if notStarted < 8 {
		t.Errorf("%d units not started, want at least 8", notStarted)
	}
	if run, _ := h.j.Run(); !run.Interrupted {
		t.Errorf("run not marked interrupted: %+v", run)
	}

	ro, err := ResumeOptions(h.opts("", p))
	if err != nil {
		t.Fatal(err)
	}
	r, err = Execute(context.Background(), ro)
	if err != nil || r.Done != 10 || r.ExitCode() != exitcode.OK {
		t.Fatalf("resume: %+v, %v", r, err)
	}
	for _, u := range p.Units {
		if n := len(h.cloud.ops("Commit", u.ID)); n != 1 {
			t.Errorf("%s committed %d times", u.ID, n)
		}
	}
}

func TestCancelLeavesIntentForReconciliation(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "storage/b<-vnet/a")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := h.opts(ModeRun, p)
	o.OnBoundary = func(b Boundary, unit string, op Op) {
		if b == step.AfterIntent && op == OpCommit {
			cancel()
		}
	}
	r, err := Execute(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted {
		t.Fatalf("result %+v", r)
	}
	pend, _ := h.j.Pending()
	if len(pend) != 1 || pend[0].Op != "Commit" {
		t.Fatalf("pending %+v", pend)
	}
	r, err = Resume(context.Background(), h.opts("", p))
	if err != nil || r.Done != 2 {
		t.Fatalf("resume %+v %v", r, err)
	}
}

func TestResumeRefusesChangedInventory(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a")
	// A command killed before it finished (resume leaves finished ones
	// alone).
	o0 := h.opts(ModeRun, p)
	if err := h.j.BeginRun(journal.Run{Command: "run", InventoryPath: o0.Inventory.Path, InventorySHA256: o0.Inventory.SHA256}); err != nil {
		t.Fatal(err)
	}
	o := h.opts("", p)
	o.Inventory.SHA256 = "bbb"
	_, err := Resume(context.Background(), o)
	var ice *InventoryChangedError
	if !errors.As(err, &ice) || !strings.Contains(err.Error(), "inv.yaml changed") {
		t.Errorf("err = %v", err)
	}
	h2 := newHarness(t)
	if _, err := Resume(context.Background(), h2.opts("", p)); !errors.Is(err, ErrNothingToResume) {
		t.Errorf("empty journal: %v", err)
	}
}

func TestUnknownUnit(t *testing.T) {
	h := newHarness(t)
	o := h.opts(ModeRun, testPlan("vnet/a"))
	o.Units = []string{"vnet/nope"}
	if _, err := Execute(context.Background(), o); !errors.Is(err, ErrUnknownUnit) {
		t.Errorf("err = %v", err)
	}
}

func TestStatus(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "vnet/b", "vnet/c", "vnet/d")
	h.run(h.opts(ModePrepare, p))
	// Someone committed vnet/a behind the journal's back; vnet/d is
	// blocked.
	h.cloud.states["vnet/a"] = cloud.StateCommitted
	if err := h.j.SetPhase("vnet/d", string(Blocked), ""); err != nil {
		t.Fatal(err)
	}
	h.cloud.states["vnet/d"] = cloud.StateNone
	st, err := Status(context.Background(), h.j, h.cloud, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Phase{"vnet/a": Committed, "vnet/b": Prepared, "vnet/c": Prepared, "vnet/d": Blocked}
	for _, s := range st {
		if s.Phase != want[s.ID] {
			t.Errorf("%s: %s, want %s", s.ID, s.Phase, want[s.ID])
		}
		if s.Differs != (s.ID == "vnet/a") {
			t.Errorf("%s: differs %v", s.ID, s.Differs)
		}
	}
	b, _ := json.Marshal(StatusDocument{Units: st[:1]})
	var doc struct {
		Units []map[string]any `json:"units"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Units[0]) != 3 {
		t.Errorf("status JSON has fields %v, want id, phase, updated", doc.Units[0])
	}
	if up, _ := doc.Units[0]["updated"].(string); !strings.HasSuffix(up, "Z") || strings.Contains(up, ".") {
		t.Errorf("updated %q is not RFC 3339 UTC seconds", up)
	}
}

func TestCommitModeWaitsForDependenciesInTheCommand(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "storage/b<-vnet/a")
	h.cloud.states["vnet/a"] = cloud.StatePrepared
	h.cloud.states["storage/b"] = cloud.StatePrepared
	r := h.run(h.opts(ModeCommit, p))
	if r.Done != 2 {
		t.Fatalf("result %+v", r.Units)
	}
	ops := h.cloud.ops("Commit", "")
	if len(ops) != 2 || ops[0].Unit != "vnet/a" {
		t.Errorf("commit order %+v", ops)
	}
}

func TestRunSubsetNeedsOutsideDependenciesCommitted(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "storage/b<-vnet/a")
	o := h.opts(ModeRun, p)
	o.Units = []string{"STORAGE/B"} // ids are case-insensitive
	r := h.run(o)
	if u := r.Units[0]; u.Outcome != OutcomeSkipped || !errors.Is(u.Err, ErrDependencyNotCommitted) || len(h.cloud.ops("", "")) != 0 {
		t.Fatalf("unit %+v", u)
	}
	h.cloud.states["vnet/a"] = cloud.StateCommitted
	if r = h.run(o); r.Units[0].Phase != Committed {
		t.Fatalf("unit %+v", r.Units[0])
	}
}

// The platform refuses to validate a unit whose dependencies have not
// migrated (a storage account before its VMs); validate defers it rather
// than reporting the refusal as a blocking finding.
func TestValidateDefersUnitsWaitingOnDependencies(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "storage/b<-vnet/a")
	h.cloud.validateErr["storage/b"] = true // what the platform says before vnet/a commits
	r := h.run(h.opts(ModeValidate, p))
	got := byID(r)
	if got["vnet/a"].Phase != Validated {
		t.Errorf("vnet/a %+v", got["vnet/a"])
	}
	if b := got["storage/b"]; b.Outcome != OutcomeSkipped || b.Messages != nil || !strings.Contains(b.Reason, "once vnet/a is committed") {
		t.Errorf("storage/b %+v", b)
	}
	if r.ExitCode() != exitcode.OK {
		t.Errorf("exit %d, want 0", r.ExitCode())
	}

	// Once vnet/a is committed, storage/b is validated for real.
	h.cloud.states["vnet/a"] = cloud.StateCommitted
	r = h.run(h.opts(ModeValidate, p))
	if got := byID(r)["storage/b"]; got.Outcome != OutcomeBlocked {
		t.Errorf("after vnet/a committed: storage/b %+v", got)
	}
}

// Aborting a committed unit by name is refused (exit 1) without a call;
// aborting "everything" skips the committed ones.
func TestAbortCommittedUnit(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "nsg/b")
	h.cloud.states["vnet/a"] = cloud.StateCommitted
	o := h.opts(ModeAbort, p)
	o.Units = []string{"vnet/a"}
	r := h.run(o)
	if got := byID(r)["vnet/a"]; got.Outcome != OutcomeFailed || r.ExitCode() != exitcode.Failed {
		t.Errorf("named: %+v, exit %d", got, r.ExitCode())
	}
	// Likewise committing a unit that was never prepared.
	o = h.opts(ModeCommit, p)
	o.Units = []string{"nsg/b"}
	r = h.run(o)
	if got := byID(r)["nsg/b"]; got.Outcome != OutcomeFailed || len(h.cloud.ops("Commit", "nsg/b")) != 0 {
		t.Errorf("commit unprepared: %+v", got)
	}
	r = h.run(h.opts(ModeAbort, p))
	if got := byID(r)["vnet/a"]; got.Outcome != OutcomeSkipped || r.ExitCode() != exitcode.OK {
		t.Errorf("all: %+v, exit %d", got, r.ExitCode())
	}
	if len(h.cloud.ops("Abort", "vnet/a")) != 0 {
		t.Error("Abort sent to a committed unit")
	}
}

// TestResumeJournalWrittenByMain resumes a journal holding exactly the
// records the phases' engine of main (before pkg/step) wrote for a run
// killed after its second Commit was sent: the run, vnet/a's Prepare with
// its outcome, a Commit answered with a transient fault, and the second
// Commit's intent without an outcome. The journal format did not change
// with the engine, so resume must read it, reconcile the open Commit by
// reading the platform (which says it took effect) and send no Commit.
func TestResumeJournalWrittenByMain(t *testing.T) {
	h := newHarness(t)
	p := testPlan("vnet/a", "nsg/b")
	j := h.j
	if err := j.BeginRun(journal.Run{Command: "run", InventoryPath: "inv.yaml", InventorySHA256: "aaa"}); err != nil {
		t.Fatal(err)
	}
	seq, err := j.Intent("vnet/a", "Prepare", 1, "Preparing")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Outcome("vnet/a", seq, journal.ResultSucceeded, "Prepared", ""); err != nil {
		t.Fatal(err)
	}
	if seq, err = j.Intent("vnet/a", "Commit", 1, "Committing"); err != nil {
		t.Fatal(err)
	}
	if err := j.Outcome("vnet/a", seq, journal.ResultTransient, "", "ServiceUnavailable (retry after 0s)"); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Intent("vnet/a", "Commit", 2, "Committing"); err != nil {
		t.Fatal(err)
	}
	if err := j.EndRun(true); err != nil {
		t.Fatal(err)
	}
	h.cloud.states["vnet/a"] = cloud.StateCommitted

	ro, err := ResumeOptions(h.opts("", p))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Execute(context.Background(), ro)
	if err != nil || r.ExitCode() != exitcode.OK {
		t.Fatalf("resume: %+v, %v", r, err)
	}
	for _, u := range r.Units {
		if u.Phase != Committed {
			t.Errorf("%s is %s, want Committed", u.ID, u.Phase)
		}
	}
	if n := len(h.cloud.ops("Commit", "vnet/a")); n != 0 {
		t.Errorf("Commit sent %d times to vnet/a after its open intent, want 0", n)
	}
	if n := len(h.cloud.ops("Commit", "nsg/b")); n != 1 {
		t.Errorf("Commit sent %d times to nsg/b, want 1", n)
	}
	if pend, _ := j.Pending(); len(pend) != 0 {
		t.Errorf("pending after resume: %+v", pend)
	}
}
