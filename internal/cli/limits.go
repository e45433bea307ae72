package cli

import (
	"fmt"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// MinBandwidth is the smallest --max-bandwidth accepted, in bytes per
// second. Below it a cap is certainly a unit slip ("145B" for "145MB", or a
// rate that rounds to 0 and silently meant "no cap"): no real link is that
// slow, and at 1 KiB/s one 4 MiB chunk already takes over an hour. "0" stays
// the documented "no cap".
const MinBandwidth = 1 << 10

// MaxWorkers bounds --workers: the copier holds about (workers+5) chunks of
// 4 MiB in memory, so 64 workers is about 276 MiB, and more does not make a
// disk copy faster (the service's per-blob and per-disk throughput is the
// ceiling long before that). 1,000 workers took 1 GB for a 1 GiB disk.
const MaxWorkers = 64

// parseBandwidthFlag parses --max-bandwidth: "" and "0" are no cap,
// anything else must be at least MinBandwidth (exit 2 otherwise).
func parseBandwidthFlag(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	bw, err := disks.ParseBandwidth(s)
	if err != nil {
		return 0, badInputf("--max-bandwidth: %v", err)
	}
	if bw < MinBandwidth && !isZeroRate(s) {
		return 0, badInputf("--max-bandwidth %s is %d bytes per second, below the floor of %d (1 KiB/s): a unit slip? (0 means no cap)", s, bw, MinBandwidth)
	}
	return bw, nil
}

// isZeroRate is the explicit "no cap": a rate whose number is zero, not a
// small one that rounded to it.
func isZeroRate(s string) bool {
	var f float64
	if _, err := fmt.Sscanf(s, "%g", &f); err != nil {
		return false
	}
	return f == 0
}

// checkWorkers refuses --workers outside 0..MaxWorkers (0: the copier's
// default).
func checkWorkers(n int) error {
	if n < 0 || n > MaxWorkers {
		return badInputf("--workers %d: want 1 to %d (0 for the default of %d): each worker holds a 4 MiB chunk in memory", n, MaxWorkers, disks.DefaultWorkers)
	}
	return nil
}

// parseRateFlag reads a rate flag other than a cap (bytes per second, e.g.
// 2MB); zero is allowed, a negative rate is not.
func parseRateFlag(flag, s string) (int64, error) {
	r, err := disks.ParseBandwidth(s)
	if err != nil {
		return 0, badInputf("%s: %v", flag, err)
	}
	if r < 0 {
		return 0, badInputf("%s must not be negative", flag)
	}
	return r, nil
}
