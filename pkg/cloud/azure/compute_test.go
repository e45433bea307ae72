package azure_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6/fake"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
)

const fakeSub = "00000000-1111-2222-3333-444444444444"

// fakeDriver is a driver whose Resource Manager calls go to armcompute's
// fake servers, without a network.
func fakeDriver(t *testing.T, f *fake.ServerFactory, tokens azure.TokenStore, tr policy.Transporter) *azure.Driver {
	t.Helper()
	if tr == nil {
		tr = fake.NewServerFactoryTransport(f)
	}
	cfg := azure.Config{Cloud: azure.CloudCustom, SubscriptionID: fakeSub,
		ServiceManagementEndpoint: "https://sm.example/", ResourceManagerEndpoint: "https://arm.example/",
		Audience: "https://arm.example/", AuthorityHost: "https://login.example/",
		APIVersions: azure.APIVersions{Disks: "2019-03-01", Compute: "2017-12-01"}}
	d, err := azure.New(t.Context(), cfg, azure.Options{
		Credential: &azfake.TokenCredential{}, Transport: tr, Tokens: tokens,
		PollInterval: time.Millisecond, MaxPollInterval: time.Millisecond,
		Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, MaxRetryDelay: 10 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func id(rg, typ, name string) *string {
	return to.Ptr("/subscriptions/" + fakeSub + "/resourceGroups/" + rg + "/providers/" + typ + "/" + name)
}

func TestVMMapping(t *testing.T) {
	vm := armcompute.VirtualMachine{
		ID: id("rg", "Microsoft.Compute/virtualMachines", "web1"), Name: to.Ptr("web1"), Location: to.Ptr("westus"),
		Properties: &armcompute.VirtualMachineProperties{
			HardwareProfile: &armcompute.HardwareProfile{VMSize: to.Ptr(armcompute.VirtualMachineSizeTypes("Standard_D2"))},
			AvailabilitySet: &armcompute.SubResource{ID: id("rg", "Microsoft.Compute/availabilitySets", "web-as")},
			NetworkProfile: &armcompute.NetworkProfile{NetworkInterfaces: []*armcompute.NetworkInterfaceReference{
				{ID: id("rg", "Microsoft.Network/networkInterfaces", "nic2"), Properties: &armcompute.NetworkInterfaceReferenceProperties{Primary: to.Ptr(false)}},
				{ID: id("rg", "Microsoft.Network/networkInterfaces", "nic1"), Properties: &armcompute.NetworkInterfaceReferenceProperties{Primary: to.Ptr(true)}},
			}},
			StorageProfile: &armcompute.StorageProfile{
				OSDisk: &armcompute.OSDisk{Name: to.Ptr("os"), OSType: to.Ptr(armcompute.OperatingSystemTypesLinux),
					ManagedDisk: &armcompute.ManagedDiskParameters{ID: id("rg", "Microsoft.Compute/disks", "web1-os")}, DiskSizeGB: to.Ptr[int32](30)},
				DataDisks: []*armcompute.DataDisk{{Name: to.Ptr("data"), Lun: to.Ptr[int32](3), DiskSizeGB: to.Ptr[int32](2),
					Vhd: &armcompute.VirtualHardDisk{URI: to.Ptr("https://acct.blob.core.windows.net/vhds/data.vhd")}}},
			},
			InstanceView: &armcompute.VirtualMachineInstanceView{Statuses: []*armcompute.InstanceViewStatus{
				{Code: to.Ptr("ProvisioningState/succeeded")}, {Code: to.Ptr("PowerState/deallocated")}}},
		},
	}
	var expand string
	f := &fake.ServerFactory{VirtualMachinesServer: fake.VirtualMachinesServer{
		Get: func(_ context.Context, rg, name string, o *armcompute.VirtualMachinesClientGetOptions) (resp azfake.Responder[armcompute.VirtualMachinesClientGetResponse], errResp azfake.ErrorResponder) {
			if o != nil && o.Expand != nil {
				expand = string(*o.Expand)
			}
			if name != "web1" {
				errResp.SetResponseError(http.StatusNotFound, "ResourceNotFound")
				return
			}
			resp.SetResponse(http.StatusOK, armcompute.VirtualMachinesClientGetResponse{VirtualMachine: vm}, nil)
			return
		},
	}}
	d := fakeDriver(t, f, nil, nil)
	got, err := d.GetVM(t.Context(), "rg", "web1")
	if err != nil {
		t.Fatal(err)
	}
	want := cloud.VM{ResourceGroup: "rg", Name: "web1", Location: "westus", Size: "Standard_D2", AvailabilitySet: "web-as",
		NICs: []string{"nic1", "nic2"}, OSType: "Linux",
		OSDisk:     cloud.VMDisk{Name: "os", ManagedDisk: "web1-os", SizeBytes: 30 << 30},
		DataDisks:  []cloud.VMDisk{{Name: "data", LUN: 3, VHDURI: "https://acct.blob.core.windows.net/vhds/data.vhd", SizeBytes: 2 << 30}},
		PowerState: cloud.PowerDeallocated}
	if !equalVM(got, want) {
		t.Errorf("GetVM\n got %+v\nwant %+v", got, want)
	}
	if !strings.EqualFold(expand, "instanceView") {
		t.Errorf("GetVM asked $expand=%q, want instanceView", expand)
	}
	if _, err := d.GetVM(t.Context(), "rg", "gone"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("GetVM of a missing VM = %v, want ErrNotFound", err)
	}
}

func equalVM(a, b cloud.VM) bool {
	return a.ResourceGroup == b.ResourceGroup && a.Name == b.Name && a.Location == b.Location && a.Size == b.Size &&
		a.AvailabilitySet == b.AvailabilitySet && strings.Join(a.NICs, ",") == strings.Join(b.NICs, ",") && a.OSType == b.OSType &&
		a.OSDisk == b.OSDisk && len(a.DataDisks) == len(b.DataDisks) && (len(a.DataDisks) == 0 || a.DataDisks[0] == b.DataDisks[0]) &&
		a.PowerState == b.PowerState
}

// TestCreateVMBody checks the VM the driver sends: managed disks attached
// by id, NICs with the first primary, the availability set, the LUNs.
func TestCreateVMBody(t *testing.T) {
	var sent armcompute.VirtualMachine
	f := &fake.ServerFactory{VirtualMachinesServer: fake.VirtualMachinesServer{
		Get: func(context.Context, string, string, *armcompute.VirtualMachinesClientGetOptions) (resp azfake.Responder[armcompute.VirtualMachinesClientGetResponse], errResp azfake.ErrorResponder) {
			errResp.SetResponseError(http.StatusNotFound, "ResourceNotFound")
			return
		},
		BeginCreateOrUpdate: func(_ context.Context, _, _ string, vm armcompute.VirtualMachine, _ *armcompute.VirtualMachinesClientBeginCreateOrUpdateOptions) (resp azfake.PollerResponder[armcompute.VirtualMachinesClientCreateOrUpdateResponse], errResp azfake.ErrorResponder) {
			sent = vm
			resp.AddNonTerminalResponse(http.StatusCreated, nil)
			resp.SetTerminalResponse(http.StatusOK, armcompute.VirtualMachinesClientCreateOrUpdateResponse{VirtualMachine: vm}, nil)
			return
		},
	}}
	d := fakeDriver(t, f, nil, nil)
	vm := cloud.VM{ResourceGroup: "rg", Name: "web1", Location: "westus", Size: "Standard_D2", AvailabilitySet: "as",
		NICs: []string{"nic1", "nic2"}, OSType: "Windows", OSDisk: cloud.VMDisk{Name: "os", ManagedDisk: "web1-os"},
		DataDisks: []cloud.VMDisk{{Name: "d5", LUN: 5, ManagedDisk: "web1-d5"}}}
	if err := d.CreateVM(t.Context(), vm); err != nil {
		t.Fatal(err)
	}
	p := sent.Properties
	od := p.StorageProfile.OSDisk
	if *od.CreateOption != armcompute.DiskCreateOptionTypesAttach || *od.ManagedDisk.ID != *id("rg", "Microsoft.Compute/disks", "web1-os") || od.Vhd != nil {
		t.Errorf("os disk %+v", od)
	}
	dd := p.StorageProfile.DataDisks[0]
	if *dd.Lun != 5 || *dd.CreateOption != armcompute.DiskCreateOptionTypesAttach || *dd.ManagedDisk.ID != *id("rg", "Microsoft.Compute/disks", "web1-d5") {
		t.Errorf("data disk %+v", dd)
	}
	nics := p.NetworkProfile.NetworkInterfaces
	if len(nics) != 2 || !*nics[0].Properties.Primary || *nics[1].Properties.Primary || *p.AvailabilitySet.ID != *id("rg", "Microsoft.Compute/availabilitySets", "as") {
		t.Errorf("nics/availability set %+v %+v", nics, p.AvailabilitySet)
	}
	if p.OSProfile != nil || *sent.Location != "westus" {
		t.Errorf("VM body %+v", sent)
	}
}

// tokens is a TokenStore for unit tests.
type tokens map[string]string

func (m tokens) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }
func (m tokens) Put(k, v string) error       { m[k] = v; return nil }
func (m tokens) Delete(k string) error       { delete(m, k); return nil }

// TestResumeFromToken interrupts DeallocateVM right after its token is
// saved and checks the next call polls the same operation instead of
// sending another deallocate (and, the operation over, finds the VM
// deallocated).
func TestResumeFromToken(t *testing.T) {
	begins := 0
	f := &fake.ServerFactory{VirtualMachinesServer: fake.VirtualMachinesServer{
		Get: func(_ context.Context, rg, name string, _ *armcompute.VirtualMachinesClientGetOptions) (resp azfake.Responder[armcompute.VirtualMachinesClientGetResponse], errResp azfake.ErrorResponder) {
			power := cloud.PowerRunning
			if begins > 0 {
				power = cloud.PowerDeallocated
			}
			resp.SetResponse(http.StatusOK, armcompute.VirtualMachinesClientGetResponse{VirtualMachine: armcompute.VirtualMachine{
				ID: id(rg, "Microsoft.Compute/virtualMachines", name), Name: to.Ptr(name),
				Properties: &armcompute.VirtualMachineProperties{InstanceView: armapi.InstanceView(power)},
			}}, nil)
			return
		},
		BeginDeallocate: func(context.Context, string, string, *armcompute.VirtualMachinesClientBeginDeallocateOptions) (resp azfake.PollerResponder[armcompute.VirtualMachinesClientDeallocateResponse], errResp azfake.ErrorResponder) {
			begins++
			resp.AddNonTerminalResponse(http.StatusAccepted, nil)
			resp.AddNonTerminalResponse(http.StatusAccepted, nil)
			resp.SetTerminalResponse(http.StatusOK, armcompute.VirtualMachinesClientDeallocateResponse{}, nil)
			return
		},
	}}
	store := tokens{}
	ctx, cancel := context.WithCancel(t.Context())
	cop := &cancelOnPut{tokens: store, cancel: cancel}
	d := fakeDriver(t, f, cop, nil)
	if err := d.DeallocateVM(ctx, "rg", "web1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted DeallocateVM = %v", err)
	}
	if _, ok := store["deallocateVM rg/web1"]; !ok {
		t.Fatalf("no token saved under the documented key: %v", store)
	}
	cop.cancel = nil
	if err := d.DeallocateVM(t.Context(), "rg", "web1"); err != nil {
		t.Fatal(err)
	}
	if begins != 1 {
		t.Errorf("deallocate sent %d times, want 1", begins)
	}
	if len(store) != 0 {
		t.Errorf("tokens left: %v", store)
	}
}

// TestStartVM: StartVM is the VM's POST .../start polled to its end; a
// VM that does not exist is cloud.ErrNotFound.
func TestStartVM(t *testing.T) {
	var started []string
	f := &fake.ServerFactory{VirtualMachinesServer: fake.VirtualMachinesServer{
		BeginStart: func(_ context.Context, rg, name string, _ *armcompute.VirtualMachinesClientBeginStartOptions) (resp azfake.PollerResponder[armcompute.VirtualMachinesClientStartResponse], errResp azfake.ErrorResponder) {
			if name != "web1" {
				errResp.SetResponseError(http.StatusNotFound, "ResourceNotFound")
				return
			}
			started = append(started, rg+"/"+name)
			resp.AddNonTerminalResponse(http.StatusAccepted, nil)
			resp.SetTerminalResponse(http.StatusOK, armcompute.VirtualMachinesClientStartResponse{}, nil)
			return
		},
	}}
	store := tokens{}
	d := fakeDriver(t, f, store, nil)
	if err := d.StartVM(t.Context(), "rg", "web1"); err != nil {
		t.Fatal(err)
	}
	if len(started) != 1 || started[0] != "rg/web1" {
		t.Errorf("starts sent: %v, want one to rg/web1", started)
	}
	if len(store) != 0 {
		t.Errorf("tokens left: %v", store)
	}
	if err := d.StartVM(t.Context(), "rg", "gone"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("StartVM of a missing VM = %v, want cloud.ErrNotFound", err)
	}
}

type cancelOnPut struct {
	tokens
	cancel context.CancelFunc
}

func (c *cancelOnPut) Put(k, v string) error {
	c.tokens[k] = v
	if c.cancel != nil {
		c.cancel()
	}
	return nil
}

func TestLROErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		code      string
		transient bool
		notFound  bool
		opErr     bool
	}{
		{"refused", http.StatusConflict, "OperationNotAllowed", false, false, true},
		{"internal", http.StatusInternalServerError, "InternalExecutionError", true, false, false},
		{"gone", http.StatusNotFound, "NotFound", false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fake.ServerFactory{DisksServer: fake.DisksServer{
				Get: func(context.Context, string, string, *armcompute.DisksClientGetOptions) (resp azfake.Responder[armcompute.DisksClientGetResponse], errResp azfake.ErrorResponder) {
					errResp.SetResponseError(http.StatusNotFound, "NotFound")
					return
				},
				BeginCreateOrUpdate: func(context.Context, string, string, armcompute.Disk, *armcompute.DisksClientBeginCreateOrUpdateOptions) (resp azfake.PollerResponder[armcompute.DisksClientCreateOrUpdateResponse], errResp azfake.ErrorResponder) {
					resp.AddNonTerminalResponse(http.StatusAccepted, nil)
					resp.SetTerminalError(tt.status, tt.code)
					return
				},
			}}
			store := tokens{}
			d := fakeDriver(t, f, store, nil)
			err := d.CreateDisk(t.Context(), cloud.ManagedDisk{ResourceGroup: "rg", Name: "d", Location: "westus",
				CreateOption: cloud.CreateUpload, SizeBytes: 1 << 30})
			_, transient := cloud.IsTransient(err)
			var oe *cloud.OperationError
			if transient != tt.transient || errors.Is(err, cloud.ErrNotFound) != tt.notFound || errors.As(err, &oe) != tt.opErr {
				t.Errorf("CreateDisk = %v (%T)", err, errors.Unwrap(err))
			}
			if tt.opErr && oe.Code != tt.code {
				t.Errorf("OperationError code %q, want %q", oe.Code, tt.code)
			}
			// A 5xx while polling may be the status read failing, not the
			// operation: the token stays for the next call to resume.
			if want := map[bool]int{true: 1, false: 0}[tt.transient]; len(store) != want {
				t.Errorf("%d tokens left, want %d: %v", len(store), want, store)
			}
		})
	}
}

// TestChangingCallSentOnce: a 503 to the request that starts an operation
// may be a lost response, so the driver sends it once (azcore would retry
// it) and returns the fault for the caller to read before sending again.
func TestChangingCallSentOnce(t *testing.T) {
	var sends []string
	tr := roundTrip(func(r *http.Request) (*http.Response, error) {
		h := http.Header{"Content-Type": {"application/json"}}
		if r.Method == http.MethodGet {
			return &http.Response{StatusCode: http.StatusNotFound, Header: h, Request: r,
				Body: io.NopCloser(strings.NewReader(`{"error":{"code":"NotFound","message":"no disk"}}`))}, nil
		}
		sends = append(sends, r.Method+" "+r.URL.Path)
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: h, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"error":{"code":"ServiceUnavailable","message":"try later"}}`))}, nil
	})
	d := fakeDriver(t, nil, nil, tr)
	calls := []struct {
		name string
		call func() error
	}{
		{"CreateDisk", func() error {
			return d.CreateDisk(t.Context(), cloud.ManagedDisk{ResourceGroup: "rg", Name: "d", Location: "westus", CreateOption: cloud.CreateUpload, SizeBytes: 1 << 30})
		}},
		{"StartVM", func() error { return d.StartVM(t.Context(), "rg", "web1") }},
		{"DeallocateVM", func() error { return d.DeallocateVM(t.Context(), "rg", "web1") }},
		{"DeleteVM", func() error { return d.DeleteVM(t.Context(), "rg", "web1") }},
	}
	for _, c := range calls {
		sends = nil
		err := c.call()
		if _, ok := cloud.IsTransient(err); !ok {
			t.Errorf("%s = %v, want a transient error", c.name, err)
		}
		if len(sends) != 1 {
			t.Errorf("%s sent %d times, want once: %v", c.name, len(sends), sends)
		}
	}
}

// roundTrip is a transport answering every request with one response.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) Do(r *http.Request) (*http.Response, error) { return f(r) }

// TestRetryAfterBeyondCeiling: a 429 whose Retry-After exceeds azcore's
// ceiling is not retried by azcore and becomes a *cloud.TransientError
// carrying the delay; the api-version is the configured one.
func TestRetryAfterBeyondCeiling(t *testing.T) {
	calls := 0
	var apiVersion string
	tr := roundTrip(func(r *http.Request) (*http.Response, error) {
		calls++
		apiVersion = r.URL.Query().Get("api-version")
		h := http.Header{"Retry-After": {"120"}, "Content-Type": {"application/json"}}
		return &http.Response{StatusCode: http.StatusTooManyRequests, Header: h, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"error":{"code":"TooManyRequests","message":"slow down"}}`))}, nil
	})
	d := fakeDriver(t, nil, nil, tr)
	_, err := d.GetDisk(t.Context(), "rg", "d")
	after, ok := cloud.IsTransient(err)
	if !ok || after != 120*time.Second {
		t.Fatalf("GetDisk = %v, want a transient error with RetryAfter 2m0s", err)
	}
	if calls != 1 {
		t.Errorf("%d attempts: azcore retried a Retry-After beyond its ceiling", calls)
	}
	if apiVersion != "2019-03-01" {
		t.Errorf("api-version %q, want the configured 2019-03-01", apiVersion)
	}
}
