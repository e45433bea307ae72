package convert_test

import (
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/convert"
)

// checkBatches checks what every plan's batches promise: each VM the plan
// accepts in exactly one batch, at most parallel per batch, never two of
// one availability set, one batch after the other.
func checkBatches(t *testing.T, p *convert.Plan, parallel int) {
	t.Helper()
	in := map[string]int{}
	var end int64
	for k, b := range p.Batches {
		if b.Index != k || len(b.VMs) == 0 || len(b.VMs) > parallel {
			t.Errorf("batch %d: index %d, %d VMs", k, b.Index, len(b.VMs))
		}
		if b.StartSeconds < end {
			t.Errorf("batch %d starts at %ds, before the one before ends (%ds)", k, b.StartSeconds, end)
		}
		end = b.StartSeconds + b.DowntimeSeconds
		sets := map[string]string{}
		for _, id := range b.VMs {
			v := p.Lookup(id)
			in[v.ID]++
			if v.Batch != k || v.DowntimeSeconds > b.DowntimeSeconds || v.PrecopySeconds > b.StartSeconds {
				t.Errorf("%s: batch %d, down %ds, pre-copy %ds; in batch %d %+v", id, v.Batch, v.DowntimeSeconds, v.PrecopySeconds, k, b)
			}
			if v.AvailabilitySet == "" {
				continue
			}
			key := strings.ToLower(v.ResourceGroup + "/" + v.AvailabilitySet)
			if other, ok := sets[key]; ok {
				t.Errorf("batch %d: %s and %s of availability set %s down together", k, other, id, v.AvailabilitySet)
			}
			sets[key] = id
		}
	}
	for _, v := range p.VMs {
		if want := len(v.Problems) == 0; (in[v.ID] == 1) != want || in[v.ID] > 1 {
			t.Errorf("%s (problems %q) is in %d batches", v.ID, v.Problems, in[v.ID])
		}
	}
	if p.Summary.WindowSeconds != end {
		t.Errorf("window %ds, last batch ends at %ds", p.Summary.WindowSeconds, end)
	}
}

func TestBatches(t *testing.T) {
	inv := loadEstate(t, "contoso.json")
	for _, tc := range []struct {
		name     string
		o        convert.PlanOptions
		parallel int
		// batches is how many there must be: contoso's largest sets have
		// five VMs (web-as, app-as), so never fewer than five.
		batches int
	}{
		{"platform", convert.PlanOptions{}, 4, 8},
		{"precopy", convert.PlanOptions{Method: convert.MethodPrecopy}, 4, 8},
		{"cutover", convert.PlanOptions{Method: convert.MethodCutover}, 4, 8},
		{"parallel 10", convert.PlanOptions{Parallel: 10}, 10, 5},
		{"parallel 1", convert.PlanOptions{Parallel: 1}, 1, 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := convert.Build(inv, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			checkBatches(t, p, tc.parallel)
			if len(p.Batches) != tc.batches {
				t.Errorf("%d batches, want %d", len(p.Batches), tc.batches)
			}
		})
	}
	// A refused VM is in no batch.
	small := loadEstate(t, "small.json")
	small.StorageAccounts[0].Disks[0].BlobSizeBytes = 127<<30 + 4096 + 512
	p, _ := convert.Build(small, convert.PlanOptions{})
	checkBatches(t, p, 4)
	if v := p.Lookup("cloudservice/small-web/web1"); v.Batch != -1 {
		t.Errorf("refused web1 in batch %d", v.Batch)
	}
}
