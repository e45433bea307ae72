package plan

import (
	"testing"
	"time"
)

func TestForecast(t *testing.T) {
	p := mustBuild(t, sampleInventory())
	d := Durations{Validate: time.Minute, Prepare: 2 * time.Minute, Commit: 3 * time.Minute}
	tests := []struct {
		parallel int
		want     Estimate
	}{
		// One worker: every unit back to back.
		{1, Estimate{Parallel: 1, Makespan: 66 * time.Minute, LowerBound: 66 * time.Minute, CriticalPath: 24 * time.Minute, TotalWork: 66 * time.Minute}},
		{0, Estimate{Parallel: 1, Makespan: 66 * time.Minute, LowerBound: 66 * time.Minute, CriticalPath: 24 * time.Minute, TotalWork: 66 * time.Minute}},
		// Two workers: the critical path starts first (Rank 4), then ranks
		// keep it moving; the rank-1 leftovers fill in plan order.
		{2, Estimate{Parallel: 2, Makespan: 36 * time.Minute, LowerBound: 33 * time.Minute, CriticalPath: 24 * time.Minute, TotalWork: 66 * time.Minute}},
		// Four workers: the critical path alone decides.
		{4, Estimate{Parallel: 4, Makespan: 24 * time.Minute, LowerBound: 24 * time.Minute, CriticalPath: 24 * time.Minute, TotalWork: 66 * time.Minute}},
		{100, Estimate{Parallel: 100, Makespan: 24 * time.Minute, LowerBound: 24 * time.Minute, CriticalPath: 24 * time.Minute, TotalWork: 66 * time.Minute}},
	}
	for _, tt := range tests {
		if got := Forecast(p, d, tt.parallel); got != tt.want {
			t.Errorf("Forecast(parallel %d) = %+v, want %+v", tt.parallel, got, tt.want)
		}
	}
}

func TestForecastEmpty(t *testing.T) {
	got := Forecast(&Plan{}, Durations{Prepare: time.Hour}, 4)
	if got != (Estimate{Parallel: 4}) {
		t.Errorf("empty plan forecast %+v", got)
	}
}

// TestForecastRankPolicy shows the policy matters: with plan order alone the
// long chain would start after the independent units.
func TestForecastRankPolicy(t *testing.T) {
	units := []*Unit{
		{ID: "a", DependsOn: []string{}, Rank: 1},
		{ID: "b", DependsOn: []string{}, Rank: 1},
		{ID: "c", DependsOn: []string{}, Rank: 3},
		{ID: "d", DependsOn: []string{"c"}, Rank: 2},
		{ID: "e", DependsOn: []string{"d"}, Rank: 1},
	}
	p := &Plan{Units: units, CriticalPath: []string{"c", "d", "e"}}
	got := Forecast(p, Durations{Commit: time.Second}, 2)
	if got.Makespan != 3*time.Second {
		t.Errorf("makespan %v, want 3s (c first, a and b alongside d and e)", got.Makespan)
	}
}
