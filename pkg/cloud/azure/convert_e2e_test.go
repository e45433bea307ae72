package azure_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
	"github.com/migrate-tool/migrate/pkg/cloud/emulator"
	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// changingARM matches the emulator's log line of a Resource Manager call
// that changes something (the calls whose response it may lose), with
// its status.
var changingARM = regexp.MustCompile(`^emulator: (PUT|DELETE|POST) /subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/(virtualMachines|disks|images)/[^/ ]+(/deallocate|/start)? (\d+) `)

// TestConversionUnderARMFaults converts the suite's estate with the
// conversion engine through the driver, the emulator faulting 30% of its
// answers (half of those on changing Resource Manager calls after the
// call took effect, as a lost response). web1 and app1 are imported,
// web2 and legacy1 uploaded, and app1's data disk corrupted by the
// import (the sim's hook; an uploaded disk is read back from the blob the
// emulator holds, which the hook does not reach), so app1 fails
// verification and is started again on its VHDs. The simulator's history
// must show every disk and VM created once, and no call that found its
// target already as the call would leave it: neither the driver (azcore
// would resend a 5xx on its own) nor the engine (it reads before it sends
// again) sends a changing call twice.
func TestConversionUnderARMFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out real Retry-After seconds")
	}
	e := diskEnv(t, setup{
		emu:    emulator.Options{FaultRate: 0.3, Seed: 11},
		sim:    sim.Options{CorruptDisks: []string{"app1-data"}},
		tokens: &memTokens{},
	})
	ctx := t.Context()
	before, err := e.sim.ListVMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	j, err := journal.Open(dir, journal.Holder{Command: "migrate disks convert"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	rg := func(cs string) string { return cs + "-Migrated" }
	web1, web2 := convert.VMID(rg(cloudtest.ServiceWeb), "web1"), convert.VMID(rg(cloudtest.ServiceWeb), "web2")
	app1, legacy1 := convert.VMID(rg(cloudtest.ServiceApp), "app1"), convert.VMID(rg(cloudtest.ServiceLegacy), "legacy1")
	for _, part := range []struct {
		po  convert.PlanOptions
		vms []string
	}{
		{convert.PlanOptions{Method: convert.MethodCutover}, []string{web1, app1}},
		{convert.PlanOptions{Stream: true}, []string{web2, legacy1}},
	} {
		p, err := convert.Build(diskInventory(), part.po)
		if err != nil {
			t.Fatal(err)
		}
		res, err := convert.Run(ctx, convert.Options{Plan: p, VMs: part.vms, Compute: e.driver, Data: e.driver, Journal: j,
			StateDir: dir, Parallel: 2,
			// The engine waits out a fault's Retry-After before it reads
			// the resource; a lost response is answered only once its
			// operation ended, so a short wait reads the same cloud.
			Sleep: func(ctx context.Context, d time.Duration) error {
				tm := time.NewTimer(min(d, 20*time.Millisecond))
				defer tm.Stop()
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-tm.C:
					return nil
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range res.VMs {
			want := convert.StatusDone
			if v.ID == app1 {
				want = convert.StatusFailed
				if !errors.Is(v.Err, convert.ErrVerify) {
					t.Errorf("app1: %v, want ErrVerify", v.Err)
				}
			}
			if v.Status != want {
				t.Errorf("%s: %s (%s), want %s", v.ID, v.Status, v.Reason, want)
			}
		}
	}

	for _, old := range before {
		vm, err := e.sim.GetVM(ctx, old.ResourceGroup, old.Name)
		if err != nil {
			t.Fatal(err)
		}
		converted := convert.VMID(old.ResourceGroup, old.Name) != app1
		if vm.Managed() != converted || vm.PowerState != old.PowerState {
			t.Errorf("%s/%s after the conversion: managed %v, power %s; want managed %v, power %s",
				old.ResourceGroup, old.Name, vm.Managed(), vm.PowerState, converted, old.PowerState)
		}
	}

	// Half of the faults on changing calls are lost responses, but the
	// conversion sends only about twenty: if none was lost, probe disks
	// are made and deleted the engine's way (read, send once, read again
	// after a fault) until one is, so the history below proves something.
	lost := func() (reached, answered int) {
		hist, err := e.sim.History(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range hist {
			switch op.Op {
			case sim.OpCreateDisk, sim.OpCreateVM, sim.OpCreateImage, sim.OpDeallocateVM, sim.OpStartVM, sim.OpDeleteVM, sim.OpDeleteDisk:
				reached++
			}
		}
		for _, l := range strings.Split(e.log.String(), "\n") {
			if m := changingARM.FindStringSubmatch(l); m != nil {
				if code, _ := strconv.Atoi(m[4]); code >= 200 && code <= 202 {
					answered++
				}
			}
		}
		return reached, answered
	}
	src := before[0]
	for i := 0; i < 60; i++ {
		if r, a := lost(); r > a {
			break
		}
		md := cloud.ManagedDisk{ResourceGroup: src.ResourceGroup, Name: fmt.Sprintf("probe%d", i), Location: src.Location,
			AccountType: "Standard_LRS", CreateOption: cloud.CreateImport, SourceURI: src.OSDisk.VHDURI}
		exists := func() (bool, error) {
			_, err := e.driver.GetDisk(ctx, md.ResourceGroup, md.Name)
			if errors.Is(err, cloud.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		}
		engineWay(t, exists, func() error { return e.driver.CreateDisk(ctx, md) })
		engineWay(t, func() (bool, error) { ok, err := exists(); return !ok, err },
			func() error { return e.driver.DeleteDisk(ctx, md.ResourceGroup, md.Name) })
	}
	reached, answered := lost()
	t.Logf("%d changing calls reached the simulator, %d were answered with success", reached, answered)
	if reached <= answered {
		t.Fatalf("no lost response on a changing Resource Manager call (%d reached the cloud, %d answered): the test proves nothing", reached, answered)
	}

	hist, err := e.sim.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created := map[string]int{}
	for _, op := range hist {
		before := string(op.StateBefore)
		wrong := false
		switch op.Op {
		case sim.OpCreateDisk, sim.OpCreateVM, sim.OpCreateImage:
			wrong = before != "None"
			if op.Result == sim.ResultSucceeded {
				created[op.Op+" "+op.Unit]++
			}
		case sim.OpDeallocateVM:
			wrong = before == cloud.PowerDeallocated
		case sim.OpStartVM:
			wrong = before == cloud.PowerRunning
		case sim.OpDeleteVM, sim.OpDeleteDisk:
			wrong = before == "None"
		case sim.OpGrantAccess, sim.OpEndUpload:
			wrong = before != cloud.DiskReadyToUpload && before != cloud.DiskActiveUpload
		}
		if wrong {
			t.Errorf("%s sent to %s already %s (seq %d, %s)", op.Op, op.Unit, before, op.Seq, op.Result)
		}
	}
	for k, n := range created {
		if n != 1 {
			t.Errorf("%s succeeded %d times", k, n)
		}
	}
	for _, k := range []string{"CreateVM vm/" + rg(cloudtest.ServiceWeb) + "/web1", "CreateVM vm/" + rg(cloudtest.ServiceWeb) + "/web2",
		"CreateVM vm/" + rg(cloudtest.ServiceLegacy) + "/legacy1", "CreateDisk disk/" + rg(cloudtest.ServiceApp) + "/app1-data"} {
		if created[k] != 1 {
			t.Errorf("%s succeeded %d times, want 1", k, created[k])
		}
	}
	if starts := countOps(hist, sim.OpStartVM); starts != 1 {
		t.Errorf("%d StartVM reached the cloud, want 1 (app1)", starts)
	}
}

// engineWay brings a resource to a state as the conversion engine does:
// read it; if it is not there yet, send the call once; after a transient
// fault, wait and read again before sending again.
func engineWay(t *testing.T, done func() (bool, error), send func() error) {
	t.Helper()
	for attempt := 0; attempt < 40; attempt++ {
		var ok bool
		if err := retry(t, func() (err error) { ok, err = done(); return err }); err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		err := send()
		if err == nil {
			return
		}
		if _, transient := cloud.IsTransient(err); !transient {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("too many faults")
}

func countOps(hist []sim.Operation, op string) int {
	n := 0
	for _, o := range hist {
		if o.Op == op {
			n++
		}
	}
	return n
}
