package plan

import (
	"reflect"
	"testing"
	"time"
)

// TestModelMatchesTheFAQ holds the default model to its sources: "a few tens
// of VMs: less than an hour; hundreds of VMs: a few hours" (migration FAQ),
// for one VNet unit's Validate, Prepare and Commit.
func TestModelMatchesTheFAQ(t *testing.T) {
	m := DefaultModel()
	total := func(u *Unit) Range {
		var r Range
		for _, op := range []Operation{OpValidate, OpPrepare, OpCommit} {
			d := m.Duration(u, op)
			r.Likely += d.Likely
			r.Pessimistic += d.Pessimistic
		}
		return r
	}
	tens := total(&Unit{Scope: ScopeVMInVNet, VMs: 30, CloudServices: 5})
	if tens.Likely >= time.Hour || tens.Pessimistic < tens.Likely {
		t.Errorf("30 VMs: %+v, want likely under an hour and pessimistic no less", tens)
	}
	hundreds := total(&Unit{Scope: ScopeVMInVNet, VMs: 300, CloudServices: 30})
	if hundreds.Likely < 2*time.Hour || hundreds.Likely > 5*time.Hour || hundreds.Pessimistic < hundreds.Likely {
		t.Errorf("300 VMs: %+v, want a few hours", hundreds)
	}
	gw := total(&Unit{Scope: ScopeVMInVNet, VMs: 30, CloudServices: 5, Gateways: 1})
	if gw.Pessimistic-tens.Pessimistic != 45*time.Minute {
		t.Errorf("a gateway adds %s pessimistic, want the docs' 45 minutes", gw.Pessimistic-tens.Pessimistic)
	}
	for _, u := range []*Unit{{Scope: ScopeStorage}, {Scope: ScopeUnattached}, {Scope: ScopeVMNoVNet, VMs: 1, CloudServices: 1}} {
		if d := total(u); d.Likely <= 0 {
			t.Errorf("%s unit: %+v, want more than nothing", u.Scope, d)
		}
	}
	if r := m.Duration(&Unit{Scope: ScopeVMInVNet, VMs: 3}, OpRestart); r != (Range{}) {
		t.Errorf("restart in a VNet = %+v, want none", r)
	}
	if r := m.Duration(&Unit{Scope: ScopeVMNoVNet, Downtime: DowntimeRestart, VMs: 3}, OpRestart); r.Likely != 3*time.Minute {
		t.Errorf("restart not in a VNet = %+v", r)
	}
}

func TestModelOverride(t *testing.T) {
	m := DefaultModel()
	m.Override(OpPrepare, 7*time.Minute)
	for _, u := range []*Unit{{Scope: ScopeVMInVNet, VMs: 300}, {Scope: ScopeStorage, Disks: 50}, {Scope: ScopeUnattached}} {
		if got := m.Duration(u, OpPrepare); got != (Range{7 * time.Minute, 7 * time.Minute}) {
			t.Errorf("%s prepare = %+v, want 7m both", u.Scope, got)
		}
	}
	if got := m.Duration(&Unit{Scope: ScopeVMInVNet, VMs: 300}, OpCommit); got.Likely == 7*time.Minute {
		t.Error("Override(prepare) changed commit")
	}
	found := false
	for _, a := range m.Assumptions() {
		if a == "prepare: 7m0s per unit (from the configuration)" {
			found = true
		}
	}
	if !found {
		t.Errorf("assumptions do not name the override: %q", m.Assumptions())
	}
}

func TestWindow(t *testing.T) {
	p, err := Build(sampleInventory())
	if err != nil {
		t.Fatal(err)
	}
	disks := []DiskJob{
		{VM: "cloudservice/contoso-web/web1", Duration: Range{10 * time.Minute, 20 * time.Minute}},
		{VM: "cloudservice/db-svc/db1", Duration: Range{30 * time.Minute, 50 * time.Minute}},
		{VM: "cloudservice/legacy-svc/legacy1", Duration: Range{5 * time.Minute, 9 * time.Minute}, Batch: 1},
	}
	w := DefaultModel().Window(p, 2, disks)
	if w.Likely.Makespan <= 0 || w.Pessimistic.Makespan < w.Likely.Makespan {
		t.Fatalf("migration likely %s pessimistic %s", w.Likely.Makespan, w.Pessimistic.Makespan)
	}
	if w.Likely.Makespan < w.Likely.LowerBound {
		t.Errorf("makespan %s under its lower bound %s", w.Likely.Makespan, w.Likely.LowerBound)
	}
	if len(w.Units) != len(p.Units) || len(w.Waves) != p.Waves {
		t.Fatalf("%d units %d waves, want %d %d", len(w.Units), len(w.Waves), len(p.Units), p.Waves)
	}
	end := map[string]time.Duration{}
	for _, u := range w.Units {
		end[u.ID] = u.End
	}
	for i, u := range w.Units {
		if u.Start >= u.LockStart || u.LockStart >= u.End {
			t.Errorf("%s: start %s lock %s end %s", u.ID, u.Start, u.LockStart, u.End)
		}
		for _, d := range p.Units[i].DependsOn {
			if u.Start < end[d] {
				t.Errorf("%s starts at %s before %s committed at %s", u.ID, u.Start, d, end[d])
			}
		}
		ww := w.Waves[u.Wave]
		if u.Start < ww.Start || u.End > ww.End {
			t.Errorf("%s [%s, %s] outside wave %d [%s, %s]", u.ID, u.Start, u.End, u.Wave, ww.Start, ww.End)
		}
	}
	// VMs not in a VNet restart: legacy1 and db1; then all three convert.
	causes := map[string][]string{}
	for _, d := range w.Downtime {
		causes[d.VM] = append(causes[d.VM], d.Cause)
		if d.End <= d.Start {
			t.Errorf("downtime of %s: [%s, %s]", d.VM, d.Start, d.End)
		}
		if d.Cause == "disk step" && d.Start < w.Likely.Makespan {
			t.Errorf("%s converts at %s, before the last commit at %s", d.VM, d.Start, w.Likely.Makespan)
		}
	}
	want := map[string][]string{
		"cloudservice/db-svc/db1":         {"restart", "disk step"},
		"cloudservice/legacy-svc/legacy1": {"restart", "disk step"},
		"cloudservice/contoso-web/web1":   {"disk step"},
	}
	if !reflect.DeepEqual(causes, want) {
		t.Errorf("downtime causes %v, want %v", causes, want)
	}
	if len(w.DiskStep) != 2 || len(w.DiskStep[0].VMs) != 2 || w.DiskStep[1].VMs[0] != "cloudservice/legacy-svc/legacy1" {
		t.Errorf("disk batches %+v", w.DiskStep)
	}
	// The plan's batches: web1 (10m) and db1 (30m) together, then
	// legacy1 (5m) once both run again (a batch waits for the one before,
	// which is how the plan keeps two VMs of one set apart).
	if got, want := w.Total.Likely, w.Likely.Makespan+35*time.Minute; got != want {
		t.Errorf("total likely %s, want %s", got, want)
	}
	if w.Total.Pessimistic != w.Pessimistic.Makespan+59*time.Minute {
		t.Errorf("total pessimistic %s", w.Total.Pessimistic)
	}
	// A pre-copy longer than the batch before holds its batch back: it
	// runs while the VM runs, from the start of the disk step.
	lead := append([]DiskJob(nil), disks...)
	lead[2].Lead = Range{Likely: time.Hour, Pessimistic: 2 * time.Hour}
	wl := DefaultModel().Window(p, 2, lead)
	if got, want := wl.DiskStep[1].Start, wl.Likely.Makespan+time.Hour; got != want {
		t.Errorf("batch 1 with a 1h pre-copy starts at %s, want %s", got, want)
	}
	if got, want := wl.Total.Pessimistic, wl.Pessimistic.Makespan+2*time.Hour+9*time.Minute; got != want {
		t.Errorf("total pessimistic with a pre-copy %s, want %s", got, want)
	}
	if again := DefaultModel().Window(p, 2, disks); !reflect.DeepEqual(again, w) {
		t.Error("Window is not deterministic")
	}
}
