package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		scale   float64
		want    time.Duration
	}{
		{1, 1, time.Second},
		{2, 1, 2 * time.Second},
		{3, 1, 4 * time.Second},
		{5, 1, 16 * time.Second},
		{6, 1, 30 * time.Second},
		{60, 1, 30 * time.Second},
		{3, 0.001, 4 * time.Millisecond},
		{3, 0, 4 * time.Second},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempt, tt.scale); got != tt.want {
			t.Errorf("Backoff(%d, %g) = %s, want %s", tt.attempt, tt.scale, got, tt.want)
		}
	}
}

func TestSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
}

func TestJittered(t *testing.T) {
	for _, tt := range []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{1, 0.5, 750 * time.Millisecond},
		{3, 0.999999, 4*time.Second - 4*time.Microsecond/2},
		{60, 0, 15 * time.Second},
	} {
		got := Jittered(tt.attempt, 1, tt.r)
		if d := got - tt.want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("Jittered(%d, 1, %g) = %s, want %s", tt.attempt, tt.r, got, tt.want)
		}
	}
}

var errTransient = errors.New("503")

func TestDo(t *testing.T) {
	transient := func(err error) (time.Duration, bool) {
		if errors.Is(err, errTransient) {
			return 0, true
		}
		var ra retryAfter
		if errors.As(err, &ra) {
			return time.Duration(ra), true
		}
		return 0, false
	}
	for _, tt := range []struct {
		name      string
		errs      []error
		wantCalls int
		wantErr   error
		wantWaits []time.Duration
	}{
		{"first call", []error{nil}, 1, nil, nil},
		{"transient then success", []error{errTransient, errTransient, nil}, 3, nil, []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}},
		{"Retry-After honoured however long", []error{retryAfter(10 * time.Minute), nil}, 2, nil, []time.Duration{10 * time.Minute}},
		{"permanent", []error{errors.ErrUnsupported}, 1, errors.ErrUnsupported, nil},
		{"gives up", []error{errTransient, errTransient, errTransient}, 3, errTransient, []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var waits []time.Duration
			calls := 0
			err := Do(context.Background(), Policy{
				MaxAttempts: 3, Transient: transient, Rand: func() float64 { return 0.5 },
				Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil },
			}, func(context.Context) error {
				err := tt.errs[calls]
				calls++
				return err
			})
			if calls != tt.wantCalls || !errors.Is(err, tt.wantErr) && !(err == nil && tt.wantErr == nil) {
				t.Errorf("calls %d err %v, want %d %v", calls, err, tt.wantCalls, tt.wantErr)
			}
			if len(waits) != len(tt.wantWaits) {
				t.Fatalf("waits %v, want %v", waits, tt.wantWaits)
			}
			for i := range waits {
				if waits[i] != tt.wantWaits[i] {
					t.Errorf("wait %d = %s, want %s", i, waits[i], tt.wantWaits[i])
				}
			}
		})
	}
}

func TestDoStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Do(ctx, Policy{Transient: func(error) (time.Duration, bool) { return 0, true }}, func(context.Context) error { return errTransient })
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errTransient) {
		t.Errorf("err = %v, want the fault joined with the cancellation", err)
	}
}

type retryAfter time.Duration

func (r retryAfter) Error() string { return "429" }
