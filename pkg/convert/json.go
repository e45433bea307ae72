package convert

import "encoding/json"

// diskPlanJSON is DiskPlan's JSON form: LUN is a pointer so the OS disk
// (LUN -1 in Go) is written without one rather than as "lun": -1, which
// readers took for a LUN.
type diskPlanJSON struct {
	diskPlanFields
	LUN *int `json:"lun,omitempty"`
}

// diskPlanFields has DiskPlan's fields and tags but not its methods; the
// outer LUN, less deeply nested, wins over the embedded one.
type diskPlanFields DiskPlan

// MarshalJSON writes the OS disk without a lun; data disks always have one
// (0 included).
func (d DiskPlan) MarshalJSON() ([]byte, error) {
	out := diskPlanJSON{diskPlanFields: diskPlanFields(d)}
	if d.LUN >= 0 {
		lun := d.LUN
		out.LUN = &lun
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes, and earlier documents with
// "lun": -1: a disk without a lun is the OS disk.
func (d *DiskPlan) UnmarshalJSON(b []byte) error {
	var in diskPlanJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*d = DiskPlan(in.diskPlanFields)
	d.LUN = -1
	if in.LUN != nil {
		d.LUN = *in.LUN
	}
	return nil
}
