package plan

import (
	"strings"
	"testing"
	"time"
)

// Calibration: a measured unit takes its measured time, the units not
// measured for that operation take the model's time by the ratio over the
// measured ones, operations never measured keep the model's figures, and
// measurements of units the plan does not have are ignored.
func TestCalibrate(t *testing.T) {
	t.Parallel()
	p, err := Build(sampleInventory())
	if err != nil {
		t.Fatal(err)
	}
	vnet, other := p.Unit("vnet/contoso-vnet"), p.Unit("vnet/Group rg legacy-vnet")
	if vnet == nil || other == nil {
		t.Fatalf("sample plan lacks its VNets: %+v", p.Units)
	}
	base := DefaultModel()
	prep := base.Duration(vnet, OpPrepare)
	m := DefaultModel()
	m.Calibrate(p, "testdata", []Measurement{
		{Unit: "VNET/contoso-vnet", Op: OpPrepare, Duration: 2 * prep.Likely},
		{Unit: "vnet/no-such-vnet", Op: OpPrepare, Duration: time.Hour},
		{Unit: "vnet/contoso-vnet", Op: OpValidate, Duration: 0}, // not a measurement
	})
	tests := []struct {
		name string
		u    *Unit
		op   Operation
		want Range
	}{
		{"measured", vnet, OpPrepare, Range{2 * prep.Likely, 2 * prep.Pessimistic}},
		{"scaled by the ratio", other, OpPrepare, Range{2 * base.Duration(other, OpPrepare).Likely, 2 * base.Duration(other, OpPrepare).Pessimistic}},
		{"never measured", vnet, OpCommit, base.Duration(vnet, OpCommit)},
		{"zero is no measurement", vnet, OpValidate, base.Duration(vnet, OpValidate)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.Duration(tc.u, tc.op); got != tc.want {
				t.Errorf("Duration(%s, %s) = %+v, want %+v", tc.u.ID, tc.op, got, tc.want)
			}
		})
	}
	as := m.Assumptions()
	if last := as[len(as)-1]; !strings.Contains(last, "Calibrated from 1 measured operations in testdata") || !strings.Contains(last, "prepare ×2.00") {
		t.Errorf("assumptions end with %q, want the calibration said", last)
	}
	// The window follows the calibrated model.
	if base.Window(p, 4, nil).Likely.Makespan >= m.Window(p, 4, nil).Likely.Makespan {
		t.Error("a slower measured Prepare did not lengthen the forecast")
	}
}
