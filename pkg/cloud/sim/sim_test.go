package sim_test

import (
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// open opens a sim over a fresh state directory, closed with the test.
func open(t *testing.T, dir string, inv *inventory.Inventory, o sim.Options) *sim.Sim {
	t.Helper()
	s, err := sim.Open(dir, inv, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	cloudtest.Run(t, func(t *testing.T, inv *inventory.Inventory) cloud.Migrator {
		return open(t, t.TempDir(), inv, sim.Options{Seed: 1})
	})
}

func TestConformanceWithLatency(t *testing.T) {
	t.Parallel()
	cloudtest.Run(t, func(t *testing.T, inv *inventory.Inventory) cloud.Migrator {
		// A "30 minute" operation over a 0.00001 time scale: 18ms.
		return open(t, t.TempDir(), inv, sim.Options{Seed: 1, Latency: 30 * time.Minute, TimeScale: 0.00001})
	})
}

func TestConformanceWithFaults(t *testing.T) {
	t.Parallel()
	cloudtest.Run(t, func(t *testing.T, inv *inventory.Inventory) cloud.Migrator {
		return open(t, t.TempDir(), inv, sim.Options{Seed: 7, FaultRate: 0.2, Latency: time.Second, TimeScale: 0.001})
	})
}
