package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
	"github.com/migrate-tool/migrate/pkg/plan"
)

// measurements reads what a rehearsal or a run measured in the state
// directory dir, for `plan --calibrate-from`: on the simulator, its history
// (each operation's simulated duration, exact whatever the time scale); on
// a real cloud, the journal (from each Prepare's and Commit's intent to its
// succeeded outcome, the time the driver waited for the platform). Only
// succeeded operations count. It changes nothing in dir.
func measurements(ctx context.Context, dir string) ([]plan.Measurement, string, error) {
	if _, err := os.Stat(filepath.Join(dir, "sim", "sim.db")); err == nil {
		ms, err := simMeasurements(ctx, dir)
		return ms, "the simulator's history in " + dir, err
	}
	ms, err := journalMeasurements(ctx, dir)
	if errors.Is(err, journal.ErrNoJournal) || errors.Is(err, fs.ErrNotExist) {
		return nil, "", badInputf("--calibrate-from %s: no rehearsal or run was made there (no journal, no simulated cloud)", dir)
	}
	return ms, "the journal in " + dir, err
}

// modelOp is the timing model's operation for a platform operation; false
// for those the model does not time (Abort).
func modelOp(op string) (plan.Operation, bool) {
	switch strings.ToLower(op) {
	case "validate":
		return plan.OpValidate, true
	case "prepare":
		return plan.OpPrepare, true
	case "commit":
		return plan.OpCommit, true
	}
	return "", false
}

func simMeasurements(ctx context.Context, dir string) ([]plan.Measurement, error) {
	s, err := sim.OpenReadOnly(ctx, dir, sim.Options{})
	if err != nil {
		return nil, fmt.Errorf("--calibrate-from %s: %w", dir, err)
	}
	defer func() { _ = s.Close() }() // a read-only copy: nothing to lose
	ops, err := s.History(ctx)
	if err != nil {
		return nil, fmt.Errorf("--calibrate-from %s: %w", dir, err)
	}
	var out []plan.Measurement
	for _, o := range ops {
		op, ok := modelOp(o.Op)
		if !ok || o.SimDuration <= 0 || o.Result != sim.ResultSucceeded {
			continue
		}
		out = append(out, plan.Measurement{Unit: o.Unit, Op: op, Duration: o.SimDuration})
	}
	return out, nil
}

func journalMeasurements(ctx context.Context, dir string) ([]plan.Measurement, error) {
	j, err := journal.OpenReadOnly(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer func() { _ = j.Close() }() // read-only: nothing to lose
	recs, err := j.Log()
	if err != nil {
		return nil, fmt.Errorf("--calibrate-from %s: %w", dir, err)
	}
	intents := map[uint64]journal.Record{}
	var out []plan.Measurement
	for _, r := range recs {
		switch r.Kind {
		case journal.KindIntent:
			intents[r.Seq] = r
		case journal.KindOutcome:
			in, ok := intents[r.Intent]
			op, timed := modelOp(in.Op)
			if !ok || !timed || r.Result != journal.ResultSucceeded {
				continue
			}
			if d := r.Time.Sub(in.Time); d > 0 {
				out = append(out, plan.Measurement{Unit: in.Unit, Op: op, Duration: d.Round(time.Second)})
			}
		}
	}
	return out, nil
}
