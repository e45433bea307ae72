package plan

import (
	"sort"
	"time"
)

// DiskJob is one VM's conversion in the disk step that follows the
// migration, with how long the VM is down for it (the conversion plan's
// estimate: pkg/convert's VMPlan.Downtime).
type DiskJob struct {
	// VM names the VM (its classic id, cloudservice/<cs>/<vm>, or its
	// Resource Manager id where it has no classic one).
	VM       string `json:"vm"`
	Duration Range  `json:"duration"`
	// Batch is the VM's batch in the conversion plan: the VMs of one
	// batch are down together, a batch once the one before has ended (so
	// no two VMs of one availability set are down at once).
	Batch int `json:"batch"`
	// Lead is how long the VM's pre-copy runs, while the VM runs, before
	// its cut-over can start; the pre-copies start with the disk step.
	Lead Range `json:"lead,omitempty"`
}

// ChangeWindow is the forecast of a whole change window: the migration's
// units under the executor's policy, then the disk step, as a likely and a
// pessimistic range, and the likely timeline. Times are offsets from the
// window's start.
type ChangeWindow struct {
	Parallel int `json:"parallel"`
	// Likely and Pessimistic are the migration's estimates (Validate to the
	// last Commit), each unit timed by the model.
	Likely      Estimate `json:"likely"`
	Pessimistic Estimate `json:"pessimistic"`
	// Total runs to the end of the disk step (the migration alone when there
	// is no disk step).
	Total Range `json:"total"`
	// Waves, Units, Downtime and DiskStep are the likely timeline.
	Waves    []WaveWindow `json:"waves"`
	Units    []UnitWindow `json:"units"`
	Downtime []VMDowntime `json:"downtime"`
	DiskStep []DiskBatch  `json:"diskStep"`
	// Assumptions are the model's, in sentences.
	Assumptions []string `json:"assumptions"`
}

// WaveWindow is when a wave's first unit starts and its last unit ends.
// Waves overlap: a unit starts as soon as what it depends on has committed.
type WaveWindow struct {
	Wave  int           `json:"wave"`
	Start time.Duration `json:"start"`
	End   time.Duration `json:"end"`
}

// UnitWindow is one unit's place in the window. From LockStart (its Prepare)
// to End (its Commit) the management plane of its resources is locked: no
// change can be made to them (technical deep dive, "Prepare").
type UnitWindow struct {
	ID        string        `json:"id"`
	Wave      int           `json:"wave"`
	Start     time.Duration `json:"start"`
	LockStart time.Duration `json:"lockStart"`
	End       time.Duration `json:"end"`
	// Duration is the unit's time, likely and pessimistic.
	Duration Range `json:"duration"`
	// VMDowntime is how long each of its VMs is down: Prepare and the
	// restart for VMs not in a VNet, zero in a VNet.
	VMDowntime Range `json:"vmDowntime"`
}

// VMDowntime is one VM's time down, with its cause: "restart" (a VM not in
// a VNet, deallocated by its unit's Prepare and started again) or "disk step"
// (its conversion to managed disks).
type VMDowntime struct {
	VM    string        `json:"vm"`
	Unit  string        `json:"unit,omitempty"`
	Cause string        `json:"cause"`
	Start time.Duration `json:"start"`
	End   time.Duration `json:"end"`
}

// DiskBatch is one batch of the disk step: the VMs down together.
type DiskBatch struct {
	Batch int           `json:"batch"`
	Start time.Duration `json:"start"`
	End   time.Duration `json:"end"`
	VMs   []string      `json:"vms"`
}

// Window forecasts p's change window on parallel workers (at least 1): every
// unit timed by m (Validate, Prepare, Commit back to back), scheduled under
// the executor's policy as Forecast does, then the disk jobs batch by
// batch (their Batch, in ascending order) from when the last unit has
// committed: a batch starts when the one before has ended and its VMs'
// pre-copies (Lead) are done, and lasts as long as its longest job.
// Deterministic.
func (m *Model) Window(p *Plan, parallel int, disks []DiskJob) *ChangeWindow {
	if parallel < 1 {
		parallel = 1
	}
	n := len(p.Units)
	w := &ChangeWindow{Parallel: parallel, Assumptions: m.Assumptions(),
		Waves: []WaveWindow{}, Units: make([]UnitWindow, 0, n), Downtime: []VMDowntime{}, DiskStep: []DiskBatch{}}
	type timing struct{ validate, prepare, commit, restart Range }
	ts := make([]timing, n)
	for i, u := range p.Units {
		ts[i] = timing{m.Duration(u, OpValidate), m.Duration(u, OpPrepare), m.Duration(u, OpCommit), m.Duration(u, OpRestart)}
	}
	likely := func(i int) time.Duration { return ts[i].validate.Likely + ts[i].prepare.Likely + ts[i].commit.Likely }
	pessimistic := func(i int) time.Duration {
		return ts[i].validate.Pessimistic + ts[i].prepare.Pessimistic + ts[i].commit.Pessimistic
	}
	starts, ends := simulate(p, likely, parallel)
	w.Likely = estimate(p, likely, ends, parallel)
	_, pEnds := simulate(p, pessimistic, parallel)
	w.Pessimistic = estimate(p, pessimistic, pEnds, parallel)

	for i, u := range p.Units {
		uw := UnitWindow{ID: u.ID, Wave: u.Wave, Start: starts[i], LockStart: starts[i] + ts[i].validate.Likely, End: ends[i],
			Duration: Range{likely(i), pessimistic(i)}}
		if u.Downtime == DowntimeRestart {
			uw.VMDowntime = Range{ts[i].prepare.Likely + ts[i].restart.Likely, ts[i].prepare.Pessimistic + ts[i].restart.Pessimistic}
			for _, vm := range u.VMIDs {
				w.Downtime = append(w.Downtime, VMDowntime{VM: vm, Unit: u.ID, Cause: "restart",
					Start: uw.LockStart, End: uw.LockStart + uw.VMDowntime.Likely})
			}
		}
		w.Units = append(w.Units, uw)
		for len(w.Waves) <= u.Wave {
			w.Waves = append(w.Waves, WaveWindow{Wave: len(w.Waves), Start: -1})
		}
		ww := &w.Waves[u.Wave]
		if ww.Start < 0 || uw.Start < ww.Start {
			ww.Start = uw.Start
		}
		ww.End = max(ww.End, uw.End)
	}
	for i := range w.Waves {
		w.Waves[i].Start = max(w.Waves[i].Start, 0)
	}

	// The disk step: the conversion plan's batches after the last Commit,
	// likely and pessimistic.
	w.Total = Range{w.Likely.Makespan, w.Pessimistic.Makespan}
	if len(disks) == 0 {
		return w
	}
	order := make([]int, len(disks))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return disks[order[a]].Batch < disks[order[b]].Batch })
	type span struct{ lead, dur Range }
	var spans []span
	var batchOf []int // position in spans of each job in order
	for k, i := range order {
		if k == 0 || disks[i].Batch != disks[order[k-1]].Batch {
			spans = append(spans, span{})
		}
		sp := &spans[len(spans)-1]
		sp.lead = Range{max(sp.lead.Likely, disks[i].Lead.Likely), max(sp.lead.Pessimistic, disks[i].Lead.Pessimistic)}
		sp.dur = Range{max(sp.dur.Likely, disks[i].Duration.Likely), max(sp.dur.Pessimistic, disks[i].Duration.Pessimistic)}
		batchOf = append(batchOf, len(spans)-1)
	}
	bStarts := make([]time.Duration, len(spans))
	endL, endP := w.Likely.Makespan, w.Pessimistic.Makespan
	for b, sp := range spans {
		bStarts[b] = max(endL, w.Likely.Makespan+sp.lead.Likely)
		endL = bStarts[b] + sp.dur.Likely
		endP = max(endP, w.Pessimistic.Makespan+sp.lead.Pessimistic) + sp.dur.Pessimistic
		w.DiskStep = append(w.DiskStep, DiskBatch{Batch: b, Start: bStarts[b], End: endL, VMs: []string{}})
	}
	for k, i := range order {
		b := batchOf[k]
		d := disks[i]
		w.DiskStep[b].VMs = append(w.DiskStep[b].VMs, d.VM)
		w.Downtime = append(w.Downtime, VMDowntime{VM: d.VM, Cause: "disk step", Start: bStarts[b], End: bStarts[b] + d.Duration.Likely})
	}
	w.Total = Range{endL, endP}
	return w
}

// estimate fills an Estimate from per-unit durations and simulated ends.
func estimate(p *Plan, dur func(int) time.Duration, ends []time.Duration, parallel int) Estimate {
	e := Estimate{Parallel: parallel}
	index := make(map[string]int, len(p.Units))
	for i, u := range p.Units {
		index[foldID(u.ID)] = i
	}
	// Plan order is wave order, so a unit's dependencies come before it:
	// one pass gives each unit's longest chain ending with it.
	chain := make([]time.Duration, len(p.Units))
	for i, u := range p.Units {
		var before time.Duration
		for _, d := range u.DependsOn {
			if j, ok := index[foldID(d)]; ok && j < i {
				before = max(before, chain[j])
			}
		}
		chain[i] = before + dur(i)
		e.CriticalPath = max(e.CriticalPath, chain[i])
		e.TotalWork += dur(i)
		e.Makespan = max(e.Makespan, ends[i])
	}
	e.LowerBound = max(e.CriticalPath, ceilDiv(e.TotalWork, parallel))
	return e
}
