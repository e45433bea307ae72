package convert_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/disks"
)

func TestConvertEstates(t *testing.T) {
	for _, tc := range []struct {
		estate string
		po     convert.PlanOptions
		fault  float64
	}{
		{"small.json", convert.PlanOptions{Method: convert.MethodCutover}, 0},
		{"small.json", convert.PlanOptions{Method: convert.MethodCutover, Stream: true}, 0},
		{"small.json", convert.PlanOptions{Method: convert.MethodCutover}, 0.10},
		{"small.json", convert.PlanOptions{Method: convert.MethodCutover, Stream: true, MaxIOPS: 100000}, 0.10},
		{"contoso.json", convert.PlanOptions{Method: convert.MethodCutover}, 0},
		{"contoso.json", convert.PlanOptions{Method: convert.MethodCutover, Stream: true}, 0.10},
	} {
		name := tc.estate
		if tc.po.Stream {
			name += "/upload"
		} else {
			name += "/import"
		}
		if tc.fault > 0 {
			name += "/faults"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if testing.Short() && tc.estate == "contoso.json" {
				t.Skip("contoso in -short")
			}
			ctx := context.Background()
			inv := loadEstate(t, tc.estate)
			dir := t.TempDir()
			migrate(t, dir, inv)
			e := openEnv(t, dir, sim.Options{Seed: 3, FaultRate: tc.fault})
			before := vmsByID(t, ctx, e.reader)
			p := buildPlan(t, inv, tc.po)
			res, err := convert.Run(ctx, e.options(p))
			if err != nil {
				t.Fatal(err)
			}
			checkConverted(t, ctx, e.reader, p, before, res)
			if tc.fault > 0 {
				hist, _ := e.reader.History(ctx)
				faults := 0
				for _, op := range hist {
					if op.Result != sim.ResultSucceeded && op.Result != sim.ResultFailed {
						faults++
					}
				}
				if faults == 0 {
					t.Error("no faults were injected")
				}
			}
			checkHistory(t, ctx, e.reader)

			// Running again changes nothing: every VM is done.
			n := historyLen(t, ctx, e.reader)
			res, err = convert.Run(ctx, e.options(p))
			if err != nil || res.ExitCode() != 0 {
				t.Fatalf("second run: %v %d", err, res.ExitCode())
			}
			if m := historyLen(t, ctx, e.reader); m != n {
				t.Errorf("second run sent %d operations", m-n)
			}
		})
	}
}

func historyLen(t testing.TB, ctx context.Context, s *sim.Sim) int {
	t.Helper()
	h, err := s.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return len(h)
}

// checkHistory proves from the cloud's history that no disk was created
// twice, no upload was granted after it ended, and no upload ended twice.
func checkHistory(t testing.TB, ctx context.Context, s *sim.Sim) {
	t.Helper()
	hist, err := s.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkOps(t, hist)
}

// checkOps is checkHistory over some of the history: the operations of
// one disk's or VM's lifetime.
func checkOps(t testing.TB, hist []sim.Operation) {
	t.Helper()
	ended := map[string]int{}
	for _, op := range hist {
		switch op.Op {
		case sim.OpCreateDisk:
			if op.StateBefore != "None" {
				t.Errorf("CreateDisk sent to existing %s (%s, seq %d)", op.Unit, op.StateBefore, op.Seq)
			}
		case sim.OpGrantAccess:
			if op.StateBefore != "ReadyToUpload" && op.StateBefore != "ActiveUpload" {
				t.Errorf("upload to %s granted again in state %s (seq %d)", op.Unit, op.StateBefore, op.Seq)
			}
		case sim.OpEndUpload:
			if op.StateBefore == "ActiveUpload" && (op.Result == sim.ResultSucceeded || op.Result == "") {
				ended[op.Unit]++
			}
			if op.StateBefore != "ActiveUpload" && op.StateBefore != "ReadyToUpload" && op.Result == sim.ResultSucceeded {
				t.Errorf("EndUpload sent again to %s in state %s (seq %d)", op.Unit, op.StateBefore, op.Seq)
			}
		case sim.OpCreateVM:
			if op.StateBefore != "None" {
				t.Errorf("CreateVM sent to existing %s (%s, seq %d)", op.Unit, op.StateBefore, op.Seq)
			}
		}
	}
	for u, n := range ended {
		if n > 1 {
			t.Errorf("%s: upload ended %d times", u, n)
		}
	}
}

// flakyOpen fails every VHD's first open with a transient fault, as a
// 503 from listKeys does on Azure. For tests.
type flakyOpen struct {
	cloud.DiskData
	mu     sync.Mutex
	opened map[string]bool
}

func (f *flakyOpen) OpenVHD(ctx context.Context, uri string) (disks.Source, error) {
	f.mu.Lock()
	first := !f.opened[uri]
	f.opened[uri] = true
	f.mu.Unlock()
	if first {
		return nil, &cloud.TransientError{Fault: cloud.FaultServiceUnavailable, Err: errors.New("listKeys: 503")}
	}
	return f.DiskData.OpenVHD(ctx, uri)
}

// A transient fault opening the VHD for an upload or a stage is retried
// like every other read: it does not fail the VM (issue 13 item 4).
func TestOpenVHDRetried(t *testing.T) {
	for _, po := range []convert.PlanOptions{{Stream: true}, {Staging: true}} {
		ctx := context.Background()
		inv := loadEstate(t, "small.json")
		dir := t.TempDir()
		migrate(t, dir, inv)
		e := openEnv(t, dir, sim.Options{})
		before := vmsByID(t, ctx, e.reader)
		p := buildPlan(t, inv, po)
		o := e.options(p)
		o.Data = &flakyOpen{DiskData: e.sim, opened: map[string]bool{}}
		if po.Staging {
			o.Staging, o.KEK = t.TempDir(), make([]byte, 32)
		}
		res, err := convert.Run(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		checkConverted(t, ctx, e.reader, p, before, res)
	}
}
