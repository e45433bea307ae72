package step_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/step"
)

// fakeRecord is a Record for tests: it logs every write, and fails the
// write named by failOn.
type fakeRecord struct {
	log    []string
	failOn string
}

func (r *fakeRecord) write(s string) error {
	r.log = append(r.log, s)
	if r.failOn != "" && strings.HasPrefix(s, r.failOn) {
		return errors.New("disk full")
	}
	return nil
}

func (r *fakeRecord) Intent(attempt int) error { return r.write(fmt.Sprintf("intent %d", attempt)) }

func (r *fakeRecord) Outcome(attempt int, err error) error {
	res := "succeeded"
	if err != nil {
		res = "failed"
		if _, ok := cloud.IsTransient(err); ok {
			res = "transient"
		}
	}
	return r.write(fmt.Sprintf("outcome %d %s", attempt, res))
}

func (r *fakeRecord) Reconciled(attempt int, open bool) error {
	return r.write(fmt.Sprintf("reconciled %d open=%v", attempt, open))
}

var (
	errTransient = &cloud.TransientError{Fault: "503"}
	errThrottled = &cloud.TransientError{Fault: "429", RetryAfter: 17 * time.Minute}
	errRefused   = &cloud.OperationError{Op: "Commit", Unit: "u", Code: "Conflict", Message: "no"}
)

func TestDo(t *testing.T) {
	type call struct {
		err    error
		cancel bool // the context ends during the call
	}
	tests := []struct {
		name     string
		open     int
		once     bool
		noRead   bool
		calls    []call
		reads    []bool // what each read answers (done)
		failOn   string
		want     step.Result
		attempts int
		records  []string
		bounds   string // first letters of the boundaries passed
		sleeps   []time.Duration
		storeErr bool
	}{
		{name: "success", calls: []call{{}}, want: step.Sent, attempts: 1,
			records: []string{"intent 1", "outcome 1 succeeded"}, bounds: "BI AI AC AO"},
		{name: "open intent reconciled by a read, nothing sent", open: 3, reads: []bool{true}, want: step.Reconciled, attempts: 3,
			records: []string{"reconciled 3 open=true"}, bounds: ""},
		{name: "open intent not done: sent again as the next attempt", open: 3, reads: []bool{false}, calls: []call{{}}, want: step.Sent, attempts: 4,
			records: []string{"intent 4", "outcome 4 succeeded"}, bounds: "BI AI AC AO"},
		{name: "open intent without a read is sent again", open: 1, noRead: true, calls: []call{{}}, want: step.Sent, attempts: 2,
			records: []string{"intent 2", "outcome 2 succeeded"}, bounds: "BI AI AC AO"},
		{name: "transient fault, read says not done, sent again", calls: []call{{err: errTransient}, {}}, reads: []bool{false}, want: step.Sent, attempts: 2,
			records: []string{"intent 1", "outcome 1 transient", "intent 2", "outcome 2 succeeded"}, bounds: "BI AI AC AO BI AI AC AO",
			sleeps: []time.Duration{750 * time.Millisecond}},
		{name: "transient fault, read finds the effect: never resent", calls: []call{{err: errTransient}}, reads: []bool{true}, want: step.Reconciled, attempts: 1,
			records: []string{"intent 1", "outcome 1 transient", "reconciled 1 open=false"}, bounds: "BI AI AC AO",
			sleeps: []time.Duration{750 * time.Millisecond}},
		{name: "Retry-After honoured however long", calls: []call{{err: errThrottled}, {}}, reads: []bool{false}, want: step.Sent, attempts: 2,
			records: []string{"intent 1", "outcome 1 transient", "intent 2", "outcome 2 succeeded"}, bounds: "BI AI AC AO BI AI AC AO",
			sleeps: []time.Duration{17 * time.Minute}},
		{name: "transient fault without a read is resent", noRead: true, calls: []call{{err: errTransient}, {}}, want: step.Sent, attempts: 2,
			records: []string{"intent 1", "outcome 1 transient", "intent 2", "outcome 2 succeeded"}, bounds: "BI AI AC AO BI AI AC AO",
			sleeps: []time.Duration{750 * time.Millisecond}},
		{name: "permanent failure recorded", calls: []call{{err: errRefused}}, want: step.Failed, attempts: 1,
			records: []string{"intent 1", "outcome 1 failed"}, bounds: "BI AI AC AO"},
		{name: "once: a transient fault ends the step", once: true, calls: []call{{err: errTransient}}, want: step.Failed, attempts: 1,
			records: []string{"intent 1", "outcome 1 transient"}, bounds: "BI AI AC AO"},
		{name: "gave up after MaxAttempts", calls: []call{{err: errTransient}, {err: errTransient}, {err: errTransient}}, reads: []bool{false, false}, want: step.GaveUp, attempts: 3,
			records: []string{"intent 1", "outcome 1 transient", "intent 2", "outcome 2 transient", "intent 3", "outcome 3 transient"},
			bounds:  "BI AI AC AO BI AI AC AO BI AI AC AO", sleeps: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}},
		{name: "interrupted during the call: the intent stays open", calls: []call{{err: context.Canceled, cancel: true}}, want: step.Interrupted, attempts: 1,
			records: []string{"intent 1"}, bounds: "BI AI AC"},
		{name: "interrupted although the call answered: the intent stays open", calls: []call{{cancel: true}}, want: step.Interrupted, attempts: 1,
			records: []string{"intent 1"}, bounds: "BI AI AC"},
		{name: "intent not written: nothing sent", failOn: "intent", storeErr: true,
			records: []string{"intent 1"}, bounds: "BI"},
		{name: "outcome not written", failOn: "outcome", calls: []call{{}}, storeErr: true,
			records: []string{"intent 1", "outcome 1 succeeded"}, bounds: "BI AI AC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var bounds []string
			var sleeps []time.Duration
			e := step.New(step.Policy{
				MaxAttempts: 3, Jitter: func() float64 { return 0.5 },
				Sleep: func(ctx context.Context, d time.Duration) error { sleeps = append(sleeps, d); return ctx.Err() },
			}, func(b step.Boundary, target, op string) {
				if target != "vm/a" || op != "Commit" {
					t.Errorf("boundary for %s %s", op, target)
				}
				bounds = append(bounds, b.Initials())
			}, nil)
			rec := &fakeRecord{failOn: tt.failOn}
			sends, reads := 0, 0
			s := step.Step{Target: "vm/a", Op: "Commit", Open: tt.open, Record: rec, Once: tt.once,
				Send: func(context.Context) error {
					if sends >= len(tt.calls) {
						t.Fatalf("send %d not expected", sends+1)
					}
					c := tt.calls[sends]
					sends++
					if c.cancel {
						cancel()
					}
					return c.err
				},
			}
			if !tt.noRead {
				s.Read = func(context.Context) (bool, error) {
					if reads >= len(tt.reads) {
						t.Fatalf("read %d not expected", reads+1)
					}
					reads++
					return tt.reads[reads-1], nil
				}
			}
			out, err := e.Do(ctx, s)
			if tt.storeErr != step.IsStoreError(err) {
				t.Fatalf("err = %v, want a StoreError: %v", err, tt.storeErr)
			}
			if !tt.storeErr {
				if err != nil {
					t.Fatal(err)
				}
				if out.Result != tt.want || out.Attempt != tt.attempts {
					t.Errorf("outcome = %+v, want result %d after %d attempts", out, tt.want, tt.attempts)
				}
			}
			if !reflect.DeepEqual(rec.log, tt.records) {
				t.Errorf("records = %q, want %q", rec.log, tt.records)
			}
			if got := strings.Join(bounds, " "); got != tt.bounds {
				t.Errorf("boundaries = %q, want %q", got, tt.bounds)
			}
			if sends != len(tt.calls) || reads != len(tt.reads) {
				t.Errorf("%d sends, %d reads; want %d, %d", sends, reads, len(tt.calls), len(tt.reads))
			}
			if !reflect.DeepEqual(sleeps, tt.sleeps) {
				t.Errorf("sleeps = %v, want %v", sleeps, tt.sleeps)
			}
		})
	}
}

// TestDoReadError: the engine calls Read once (a read retries its own
// faults, Policy.Read): a read that fails stops the step with nothing
// sent, its error wrapped, not a StoreError.
func TestDoReadError(t *testing.T) {
	e := step.New(step.Policy{MaxAttempts: 5, Sleep: func(context.Context, time.Duration) error { return nil }}, nil, nil)
	for _, rerr := range []error{errTransient, errRefused} {
		reads := 0
		_, err := e.Do(context.Background(), step.Step{Target: "t", Op: "Op", Open: 1, Record: &fakeRecord{},
			Read: func(context.Context) (bool, error) { reads++; return false, rerr },
			Send: func(context.Context) error { t.Fatal("sent"); return nil },
		})
		if !errors.Is(err, rerr) || step.IsStoreError(err) || reads != 1 {
			t.Errorf("err = %v after %d reads, want the read's after 1", err, reads)
		}
	}
}

// TestPolicyRead: a read answered with a transient fault is read again (it
// changes nothing), up to MaxAttempts.
func TestPolicyRead(t *testing.T) {
	p := step.Policy{MaxAttempts: 5, Sleep: func(context.Context, time.Duration) error { return nil }}
	p.Defaults()
	reads := 0
	err := p.Read(context.Background(), func(context.Context) error {
		reads++
		if reads < 3 {
			return errTransient
		}
		return nil
	})
	if err != nil || reads != 3 {
		t.Fatalf("err %v after %d reads, want nil after 3", err, reads)
	}
	reads = 0
	err = p.Read(context.Background(), func(context.Context) error { reads++; return errTransient })
	if !errors.Is(err, errTransient) || reads != 5 {
		t.Fatalf("err %v after %d reads, want the fault after 5", err, reads)
	}
}

// TestDoEvents: each attempt reports itself, a transient fault says it is
// retried, and events carry the step's template.
func TestDoEvents(t *testing.T) {
	var evs []step.Event
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	e := step.New(step.Policy{Sleep: func(context.Context, time.Duration) error { return nil }, Now: func() time.Time { return now }},
		nil, func(ev step.Event) { evs = append(evs, ev) })
	n := 0
	_, err := e.Do(context.Background(), step.Step{Target: "vm/a", Op: "CreateDisk", Record: &fakeRecord{},
		Event: step.Event{Target: "vm/a", Part: "os"},
		Send: func(context.Context) error {
			n++
			if n == 1 {
				return errTransient
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []step.Event{
		{Target: "vm/a", Part: "os", Op: "CreateDisk", Attempt: 1, Time: now},
		{Target: "vm/a", Part: "os", Op: "CreateDisk", Attempt: 1, Err: errTransient, Note: "transient fault, retrying", Time: now},
		{Target: "vm/a", Part: "os", Op: "CreateDisk", Attempt: 2, Time: now},
	}
	if !reflect.DeepEqual(evs, want) {
		t.Errorf("events = %+v\nwant %+v", evs, want)
	}
}

func TestClassify(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if err := step.Classify(ctx, errTransient); !errors.Is(err, step.ErrGaveUp) || !errors.Is(err, errTransient) {
		t.Errorf("transient: %v", err)
	}
	if err := step.Classify(ctx, errRefused); err != errRefused { //nolint:errorlint // the same error, untouched
		t.Errorf("refused: %v", err)
	}
	cancel()
	if err := step.Classify(ctx, errTransient); !errors.Is(err, step.ErrInterrupted) {
		t.Errorf("interrupted: %v", err)
	}
}
