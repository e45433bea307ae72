package azure_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6/fake"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
)

// powerVM is one VM behind armcompute's fake server, for tests: its power
// state changes when a deallocate or start is accepted, and each such
// operation answers 202 and then, on its first status poll, a transport
// failure if pollFault is set (the operation took effect; its status read
// failed), then success.
type powerVM struct {
	power               string
	deallocates, starts int
	pollFault           bool
	// forget makes the platform forget the operation polled next: its
	// status answers 404 (after the fake consumed the answer, so that a
	// new operation on the VM reaches the handlers again).
	forget bool
}

func (v *powerVM) driver(t *testing.T, store azure.TokenStore) *azure.Driver {
	f := &fake.ServerFactory{VirtualMachinesServer: fake.VirtualMachinesServer{
		Get: func(_ context.Context, rg, name string, _ *armcompute.VirtualMachinesClientGetOptions) (resp azfake.Responder[armcompute.VirtualMachinesClientGetResponse], errResp azfake.ErrorResponder) {
			resp.SetResponse(http.StatusOK, armcompute.VirtualMachinesClientGetResponse{VirtualMachine: armcompute.VirtualMachine{
				ID: id(rg, "Microsoft.Compute/virtualMachines", name), Name: to.Ptr(name), Location: to.Ptr("westus"),
				Properties: &armcompute.VirtualMachineProperties{InstanceView: armapi.InstanceView(v.power)},
			}}, nil)
			return
		},
		BeginDeallocate: func(context.Context, string, string, *armcompute.VirtualMachinesClientBeginDeallocateOptions) (resp azfake.PollerResponder[armcompute.VirtualMachinesClientDeallocateResponse], errResp azfake.ErrorResponder) {
			v.deallocates++
			v.power = cloud.PowerDeallocated
			resp.AddNonTerminalResponse(http.StatusAccepted, nil)
			if v.pollFault {
				resp.AddPollingError(errors.New("connection reset by peer"))
			}
			resp.SetTerminalResponse(http.StatusOK, armcompute.VirtualMachinesClientDeallocateResponse{}, nil)
			return
		},
		BeginStart: func(context.Context, string, string, *armcompute.VirtualMachinesClientBeginStartOptions) (resp azfake.PollerResponder[armcompute.VirtualMachinesClientStartResponse], errResp azfake.ErrorResponder) {
			v.starts++
			v.power = cloud.PowerRunning
			resp.AddNonTerminalResponse(http.StatusAccepted, nil)
			if v.pollFault {
				resp.AddPollingError(errors.New("connection reset by peer"))
			}
			resp.SetTerminalResponse(http.StatusOK, armcompute.VirtualMachinesClientStartResponse{}, nil)
			return
		},
	}}
	ft := fake.NewServerFactoryTransport(f)
	tr := roundTrip(func(r *http.Request) (*http.Response, error) {
		resp, err := ft.Do(r)
		if err == nil && v.forget && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/get/fake/status") {
			v.forget = false
			resp.Body.Close()
			return &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
				Body: io.NopCloser(strings.NewReader(`{"error":{"code":"NotFound","message":"The operation does not exist."}}`))}, nil
		}
		return resp, err
	})
	return fakeDriver(t, nil, store, policy.Transporter(tr))
}

// TestStaleTokenDeallocate: a deallocate whose status poll failed leaves
// its resume token; the caller reads the VM (deallocated) and moves on.
// A later DeallocateVM of the same VM must not pass off that finished
// operation as its own: if the VM was started in between, it sends a
// deallocate and ends with the VM deallocated; if not, it sends nothing.
// Either way the token is gone, also when the platform has forgotten the
// operation (404 on its status).
func TestStaleTokenDeallocate(t *testing.T) {
	for _, tt := range []struct {
		name            string
		startedBetween  bool
		forgotten       bool
		wantDeallocates int
	}{
		{"started since", true, false, 2},
		{"still deallocated", false, false, 1},
		{"forgotten, started since", true, true, 2},
		{"forgotten, still deallocated", false, true, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vm := &powerVM{power: cloud.PowerRunning, pollFault: true}
			store := tokens{}
			d := vm.driver(t, store)
			ctx := t.Context()
			err := d.DeallocateVM(ctx, "rg", "web1")
			if _, ok := cloud.IsTransient(err); !ok {
				t.Fatalf("DeallocateVM with a failed status poll = %v, want a transient error", err)
			}
			if _, ok := store["deallocateVM rg/web1"]; !ok || vm.power != cloud.PowerDeallocated {
				t.Fatalf("after the failed poll: tokens %v, power %s; want the deallocate token kept, deallocated", store, vm.power)
			}
			vm.pollFault = false
			if tt.startedBetween {
				if err := d.StartVM(ctx, "rg", "web1"); err != nil {
					t.Fatal(err)
				}
				if vm.power != cloud.PowerRunning {
					t.Fatalf("StartVM left the VM %s", vm.power)
				}
			}
			vm.forget = tt.forgotten
			if err := d.DeallocateVM(ctx, "rg", "web1"); err != nil {
				t.Fatalf("second DeallocateVM: %v", err)
			}
			if vm.deallocates != tt.wantDeallocates {
				t.Errorf("%d deallocates reached the cloud, want %d", vm.deallocates, tt.wantDeallocates)
			}
			if vm.power != cloud.PowerDeallocated {
				t.Errorf("VM %s after DeallocateVM succeeded, want deallocated", vm.power)
			}
			if len(store) != 0 {
				t.Errorf("tokens left: %v", store)
			}
		})
	}
}

// TestStaleTokenStart: the same for StartVM, as the conversion engine
// calls it again after a VM that failed verification was deallocated.
func TestStaleTokenStart(t *testing.T) {
	for _, tt := range []struct {
		name               string
		deallocatedBetween bool
		forgotten          bool
		wantStarts         int
	}{
		{"deallocated since", true, false, 2},
		{"still running", false, false, 1},
		{"forgotten, deallocated since", true, true, 2},
		{"forgotten, still running", false, true, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vm := &powerVM{power: cloud.PowerDeallocated, pollFault: true}
			store := tokens{}
			d := vm.driver(t, store)
			ctx := t.Context()
			err := d.StartVM(ctx, "rg", "web1")
			if _, ok := cloud.IsTransient(err); !ok {
				t.Fatalf("StartVM with a failed status poll = %v, want a transient error", err)
			}
			if _, ok := store["startVM rg/web1"]; !ok || vm.power != cloud.PowerRunning {
				t.Fatalf("after the failed poll: tokens %v, power %s; want the start token kept, running", store, vm.power)
			}
			vm.pollFault = false
			if tt.deallocatedBetween {
				if err := d.DeallocateVM(ctx, "rg", "web1"); err != nil {
					t.Fatal(err)
				}
				if vm.power != cloud.PowerDeallocated {
					t.Fatalf("DeallocateVM left the VM %s", vm.power)
				}
			}
			vm.forget = tt.forgotten
			if err := d.StartVM(ctx, "rg", "web1"); err != nil {
				t.Fatalf("second StartVM: %v", err)
			}
			if vm.starts != tt.wantStarts {
				t.Errorf("%d starts reached the cloud, want %d", vm.starts, tt.wantStarts)
			}
			if vm.power != cloud.PowerRunning {
				t.Errorf("VM %s after StartVM succeeded, want running", vm.power)
			}
			if len(store) != 0 {
				t.Errorf("tokens left: %v", store)
			}
		})
	}
}

// TestStaleTokenCreateDisk: a disk create whose status poll failed leaves
// its token; the disk is deleted later (a conversion undone) and created
// again: the second CreateDisk must send a PUT and end with the disk
// there, not pass off the first create as its own.
func TestStaleTokenCreateDisk(t *testing.T) {
	var disk *armcompute.Disk
	puts, pollFault := 0, true
	f := &fake.ServerFactory{DisksServer: fake.DisksServer{
		Get: func(context.Context, string, string, *armcompute.DisksClientGetOptions) (resp azfake.Responder[armcompute.DisksClientGetResponse], errResp azfake.ErrorResponder) {
			if disk == nil {
				errResp.SetResponseError(http.StatusNotFound, "ResourceNotFound")
				return
			}
			resp.SetResponse(http.StatusOK, armcompute.DisksClientGetResponse{Disk: *disk}, nil)
			return
		},
		BeginCreateOrUpdate: func(_ context.Context, _, _ string, d armcompute.Disk, _ *armcompute.DisksClientBeginCreateOrUpdateOptions) (resp azfake.PollerResponder[armcompute.DisksClientCreateOrUpdateResponse], errResp azfake.ErrorResponder) {
			puts++
			disk = &d
			resp.AddNonTerminalResponse(http.StatusAccepted, nil)
			if pollFault {
				resp.AddPollingError(errors.New("connection reset by peer"))
			}
			resp.SetTerminalResponse(http.StatusOK, armcompute.DisksClientCreateOrUpdateResponse{Disk: d}, nil)
			return
		},
		BeginDelete: func(context.Context, string, string, *armcompute.DisksClientBeginDeleteOptions) (resp azfake.PollerResponder[armcompute.DisksClientDeleteResponse], errResp azfake.ErrorResponder) {
			disk = nil
			resp.AddNonTerminalResponse(http.StatusAccepted, nil)
			resp.SetTerminalResponse(http.StatusOK, armcompute.DisksClientDeleteResponse{}, nil)
			return
		},
	}}
	store := tokens{}
	d := fakeDriver(t, f, store, nil)
	ctx := t.Context()
	md := cloud.ManagedDisk{ResourceGroup: "rg", Name: "web1-os", Location: "westus", CreateOption: cloud.CreateUpload, SizeBytes: 1 << 30}
	if _, ok := cloud.IsTransient(d.CreateDisk(ctx, md)); !ok {
		t.Fatal("CreateDisk with a failed status poll did not fail transiently")
	}
	if _, ok := store["createDisk rg/web1-os"]; !ok || disk == nil {
		t.Fatalf("after the failed poll: tokens %v, disk %v; want the create token kept, the disk made", store, disk != nil)
	}
	pollFault = false
	if err := d.DeleteDisk(ctx, "rg", "web1-os"); err != nil || disk != nil {
		t.Fatalf("DeleteDisk = %v, disk left %v", err, disk != nil)
	}
	if err := d.CreateDisk(ctx, md); err != nil {
		t.Fatalf("second CreateDisk: %v", err)
	}
	if puts != 2 || disk == nil {
		t.Errorf("%d PUTs reached the cloud, disk there %v; want 2 and there", puts, disk != nil)
	}
	if len(store) != 0 {
		t.Errorf("tokens left: %v", store)
	}
}
