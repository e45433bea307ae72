package plan

import (
	"slices"
	"testing"
)

// What is left once some units migrated: they are gone, a dependency on
// them is met, waves start again from what is left, and the plan they came
// from is not changed. A Prepared unit's Prepare is skipped in the forecast.
func TestRemaining(t *testing.T) {
	t.Parallel()
	p, err := Build(sampleInventory())
	if err != nil {
		t.Fatal(err)
	}
	var done []string
	for _, u := range p.Units {
		if u.Wave == 0 {
			done = append(done, u.ID)
		}
	}
	if len(done) == 0 || p.Waves < 2 {
		t.Fatalf("sample plan has %d waves: nothing to test", p.Waves)
	}
	doneSet := map[string]bool{}
	for _, id := range done {
		doneSet[id] = true
	}
	left, err := p.Remaining(doneSet)
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Units) != len(p.Units)-len(done) {
		t.Fatalf("%d units left, want %d", len(left.Units), len(p.Units)-len(done))
	}
	if left.Waves != p.Waves-1 {
		t.Errorf("%d waves left, want %d", left.Waves, p.Waves-1)
	}
	for _, u := range left.Units {
		if doneSet[u.ID] {
			t.Errorf("done unit %s still planned", u.ID)
		}
		for _, d := range u.DependsOn {
			if doneSet[d] {
				t.Errorf("%s still depends on done unit %s", u.ID, d)
			}
		}
		if orig := p.Unit(u.ID); orig.Wave != u.Wave+1 && orig.Wave != 0 {
			t.Errorf("%s: wave %d left, was %d", u.ID, u.Wave, orig.Wave)
		}
	}
	for _, id := range done {
		if u := p.Unit(id); u == nil || u.Wave != 0 {
			t.Errorf("Remaining changed the original plan's %s", id)
		}
	}
	if all, err := p.Remaining(func() map[string]bool {
		m := map[string]bool{}
		for _, u := range p.Units {
			m[u.ID] = true
		}
		return m
	}()); err != nil || len(all.Units) != 0 || all.Waves != 0 {
		t.Errorf("Remaining of everything = %+v, %v; want no unit", all, err)
	}

	// A Prepared unit: Validate and Prepare done, Commit left.
	u := left.Units[0]
	m := DefaultModel()
	m.Skip(u.ID, OpValidate, OpPrepare)
	for _, op := range []Operation{OpValidate, OpPrepare} {
		if d := m.Duration(u, op); d != (Range{}) {
			t.Errorf("skipped %s of %s = %+v, want none", op, u.ID, d)
		}
	}
	if d := m.Duration(u, OpCommit); d == (Range{}) {
		t.Errorf("commit of %s skipped too", u.ID)
	}
	if slices.Contains(left.CriticalPath, done[0]) {
		t.Errorf("critical path %v holds a done unit", left.CriticalPath)
	}
}
