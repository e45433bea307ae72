package convert_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// TestResumeRecordWrittenByMain continues a conversion from a VM document
// exactly as the disk step of main (before pkg/step) wrote it when killed
// after DeallocateVM was sent: the definition on record, step "recorded",
// the intent without an outcome. The journal format did not change with
// the engine: the run reconciles the open intent by reading the VM (it is
// deallocated), sends no second DeallocateVM, and converts the VM.
func TestResumeRecordWrittenByMain(t *testing.T) {
	ctx := context.Background()
	s := newSmallEnv(t, convert.MethodCutover, 4)
	app1 := s.vm(t, "cloudservice/small-app/app1")
	def, err := s.reader.GetVM(ctx, app1.ResourceGroup, app1.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.reader.DeallocateVM(ctx, app1.ResourceGroup, app1.Name); err != nil {
		t.Fatal(err)
	}
	defJSON, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	target := convert.VMID(app1.ResourceGroup, app1.Name)
	var diskDocs []string
	for _, d := range append([]convert.DiskPlan{app1.OSDisk}, app1.DataDisks...) {
		diskDocs = append(diskDocs, quote(inventory.Key(d.Name))+`:{"name":`+quote(d.Name)+`,"movement":`+quote(d.Movement)+`,"vhdUri":`+quote(d.VHDURI)+`}`)
	}
	doc := `{"vm":` + quote(app1.ID) + `,"definition":` + string(defJSON) + `,"step":"recorded","disks":{` + strings.Join(diskDocs, ",") + `},` +
		`"pending":{"op":"DeallocateVM","target":` + quote(target) + `,"attempt":1,"time":"2026-12-01T10:00:01Z"},` +
		`"method":"cutover","log":[` +
		`{"kind":"note","op":"Record","error":"definition recorded: size Standard_D2, 1 NIC(s), 2 disk(s), power running, method cutover","time":"2026-12-01T10:00:00Z"},` +
		`{"kind":"intent","op":"DeallocateVM","target":` + quote(target) + `,"attempt":1,"time":"2026-12-01T10:00:01Z"}],` +
		`"updated":"2026-12-01T10:00:01Z"}`
	if err := s.j.PutDoc("convert/"+inventory.Key(app1.ID), []byte(doc)); err != nil {
		t.Fatal(err)
	}

	n := historyLen(t, ctx, s.reader)
	o := s.options(4)
	o.VMs = []string{app1.ID}
	res, err := convert.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := statusOf(res, app1.ID); r.Status != convert.StatusDone {
		t.Fatalf("app1: %s %s", r.Status, r.Reason)
	}
	hist, err := s.reader.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range hist[n:] {
		if strings.Contains(op.Op, "Deallocate") && strings.Contains(op.Unit, app1.Name) {
			t.Errorf("DeallocateVM sent again after its open intent: %+v", op)
		}
	}
	vm, err := s.reader.GetVM(ctx, app1.ResourceGroup, app1.Name)
	if err != nil || !vm.Managed() || vm.PowerState != cloud.PowerRunning {
		t.Errorf("app1 %+v %v, want running on managed disks", vm, err)
	}
	b, _, err := s.j.Doc("convert/" + inventory.Key(app1.ID))
	if err != nil || !strings.Contains(string(b), `"op":"DeallocateVM","target":`+quote(target)+`,"attempt":1,"result":"reconciled"`) {
		t.Errorf("the open DeallocateVM is not closed as reconciled: %v\n%s", err, b)
	}
	s.check(t)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
