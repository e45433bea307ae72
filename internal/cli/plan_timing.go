package cli

import "github.com/migrate-tool/migrate/pkg/plan"

// simTiming is the timing model the simulator's operations follow: the one
// the forecast uses (the calibrated default and the configuration's timing
// section), so `migrate run` on the simulator takes the simulated hours
// `migrate plan` forecasts, compressed by MIGRATE_SIM_TIME_SCALE. An
// explicit --sim-latency replaces it (every operation takes that long).
func (a *app) simTiming() *plan.Model {
	if a.cfg.Sim.Latency > 0 {
		return nil
	}
	m := plan.DefaultModel()
	for op, d := range a.cfg.Timing {
		m.Override(op, d)
	}
	return m
}
