package convert

import (
	"cmp"
	"slices"
	"strings"
)

// schedule puts the plan's VMs into Batches, the waves of downtime: at
// most parallel VMs down together (0 means 4), never two of one
// availability set, so a set keeps all but one of its VMs running. VMs
// the plan refuses are in no batch (Batch -1).
//
// The longest VMs are placed first, each in the first batch that has room
// and holds none of its set (first fit, decreasing): a batch lasts as long
// as its longest VM, so long VMs together make the fewest long batches.
// Deterministic: ties keep plan order.
//
// A batch starts when the one before has ended and, for pre-copied VMs,
// when their pre-copy (which runs while they run, all from the start of
// the disk step) is done. The engine enforces the availability set rule
// itself at run time; the batches are the forecast of it.
func (p *Plan) schedule(parallel int) {
	if parallel <= 0 {
		parallel = 4
	}
	p.Parallel = parallel
	var order []int
	for i := range p.VMs {
		p.VMs[i].Batch = -1
		if len(p.VMs[i].Problems) == 0 && p.VMs[i].Method != "" {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(p.VMs[b].DowntimeSeconds, p.VMs[a].DowntimeSeconds)
	})
	type wave struct {
		vms  []int
		sets map[string]bool
	}
	var waves []*wave
	for _, i := range order {
		set := ""
		if v := p.VMs[i]; v.AvailabilitySet != "" {
			set = strings.ToLower(v.ResourceGroup + "/" + v.AvailabilitySet)
		}
		var w *wave
		for _, c := range waves {
			if len(c.vms) < parallel && (set == "" || !c.sets[set]) {
				w = c
				break
			}
		}
		if w == nil {
			w = &wave{sets: map[string]bool{}}
			waves = append(waves, w)
		}
		w.vms = append(w.vms, i)
		if set != "" {
			w.sets[set] = true
		}
	}
	p.Batches = make([]Batch, 0, len(waves))
	var end int64
	for k, w := range waves {
		slices.Sort(w.vms)
		b := Batch{Index: k, VMs: make([]string, 0, len(w.vms))}
		var lead int64
		for _, i := range w.vms {
			v := &p.VMs[i]
			v.Batch = k
			b.VMs = append(b.VMs, v.ID)
			b.DowntimeSeconds = max(b.DowntimeSeconds, v.DowntimeSeconds)
			lead = max(lead, v.PrecopySeconds)
		}
		b.StartSeconds = max(end, lead)
		end = b.StartSeconds + b.DowntimeSeconds
		p.Batches = append(p.Batches, b)
	}
	p.Summary.WindowSeconds = end
}
