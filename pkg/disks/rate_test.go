package disks

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock for tests: Sleep advances it instantly.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	if d > 0 {
		f.now = f.now.Add(d)
	}
	f.mu.Unlock()
	return ctx.Err()
}

func TestThrottleAverageOnFakeClock(t *testing.T) {
	tests := []struct {
		name  string
		bps   int64
		iops  int
		bytes int64 // per write
		calls int   // per write
		n     int   // writes
		want  time.Duration
	}{
		{"16 MB/s over 64 MiB in chunks", 16e6, 0, ChunkSize, 1, 16, secs(64<<20, 16e6)},
		{"145 MB/s", 145e6, 0, ChunkSize, 1, 100, secs(100*ChunkSize, 145e6)},
		{"rate below one chunk a second", 1e6, 0, ChunkSize, 1, 3, secs(3*ChunkSize, 1e6)},
		{"2300 IOPS", 0, 2300, 4096, 1, 4600, 2 * time.Second},
		{"IOPS with more calls per write than the burst", 0, 10, 512, 25, 4, 10 * time.Second},
		{"both caps, IOPS binding", 1e9, 100, 4096, 1, 300, 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{now: time.Unix(1000, 0)}
			start := clk.Now()
			th := newThrottle(clk, tc.bps, tc.iops)
			for range tc.n {
				if err := th.wait(t.Context(), tc.bytes, tc.calls); err != nil {
					t.Fatal(err)
				}
			}
			got := clk.Now().Sub(start)
			// Started empty: the whole volume is paid for at the rate,
			// no opening burst. Allow rounding of a millisecond.
			if d := got - tc.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("took %v of fake time, want %v", got, tc.want)
			}
		})
	}
}

func TestThrottleNoCapNeverSleeps(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	th := newThrottle(clk, 0, 0)
	for range 1000 {
		if err := th.wait(t.Context(), ChunkSize, 100); err != nil {
			t.Fatal(err)
		}
	}
	if !clk.Now().Equal(time.Unix(0, 0)) {
		t.Error("slept without a cap")
	}
}

func TestThrottleWaitHonoursContext(t *testing.T) {
	th := newThrottle(realClock{}, 1, 0) // one byte a second: a chunk takes weeks
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := th.wait(ctx, ChunkSize, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// TestCopyUsesThrottle checks the wiring: a copy through a fake clock takes
// the capped time for the bytes actually written (zeros cost nothing).
func TestCopyUsesThrottle(t *testing.T) {
	data := pattern(64*mib, Extent{0, 32 * mib})
	clk := &fakeClock{now: time.Unix(0, 0)}
	_, err := Copy(t.Context(), &memSource{data: data}, newMemSink(64*mib), CopyOptions{MaxBandwidth: 16e6, clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	want := secs(32*mib, 16e6)
	if got := clk.Now().Sub(time.Unix(0, 0)); got < want-time.Millisecond || got > want+time.Millisecond {
		t.Errorf("fake time %v, want %v", got, want)
	}
}

func TestParseBandwidth(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"145MB", 145e6, false},
		{"16MiB", 16 << 20, false},
		{"1.5GB", 1.5e9, false},
		{"1.5GiB", 3 << 29, false},
		{"500k", 500e3, false},
		{"500KiB", 500 << 10, false},
		{"100MB/s", 100e6, false},
		{"1048576", 1 << 20, false},
		{"0", 0, false},
		{" 2 TB ", 2e12, false},
		{"1T", 1e12, false},
		{"", 0, true},
		{"MB", 0, true},
		{"-5MB", 0, true},
		{"12XB", 0, true},
		{"1e400", 0, true},
		{"NaN", 0, true},
		{"99999999999TB", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseBandwidth(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseBandwidth(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrBadRate) {
			t.Errorf("ParseBandwidth(%q) error %v is not ErrBadRate", tc.in, err)
		}
	}
}

func FuzzParseBandwidth(f *testing.F) {
	for _, s := range []string{"145MB", "16MiB", "1.5GB", "0", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseBandwidth(s)
		if err == nil && v < 0 {
			t.Fatalf("%q gave %d", s, v)
		}
	})
}

// secs is how long n bytes take at rate bytes per second.
func secs(n int64, rate float64) time.Duration {
	return time.Duration(float64(n) / rate * float64(time.Second))
}
