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
