package convert

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDiskPlanJSONOmitsTheOSDiskLUN(t *testing.T) {
	for _, d := range []DiskPlan{{Name: "os", LUN: -1, SizeBytes: 1}, {Name: "d0", LUN: 0}, {Name: "d3", LUN: 3}} {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"lun":-1`) || (d.LUN >= 0) != strings.Contains(string(b), `"lun":`) {
			t.Errorf("%+v -> %s", d, b)
		}
		var back DiskPlan
		if err := json.Unmarshal(b, &back); err != nil || back != d {
			t.Errorf("round trip %+v -> %s -> %+v (%v)", d, b, back, err)
		}
	}
	var old DiskPlan
	if err := json.Unmarshal([]byte(`{"name":"os","lun":-1}`), &old); err != nil || old.LUN != -1 {
		t.Errorf("old document: %+v %v", old, err)
	}
}
