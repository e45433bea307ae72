package azure

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
)

// armClients are the armcompute clients of the disk step.
type armClients struct {
	vms    *armcompute.VirtualMachinesClient
	disks  *armcompute.DisksClient
	images *armcompute.ImagesClient
	sets   *armcompute.AvailabilitySetsClient
	skus   *armcompute.ResourceSKUsClient
	exts   *armcompute.VirtualMachineExtensionsClient
}

// armOptions are the armcompute client options: the configured cloud's
// Resource Manager endpoint and audience, the driver's transport, retry
// and call log, and apiVersion in place of the SDK's own. azcore's
// APIVersion policy replaces the api-version query parameter of every
// request the client sends, polls included, so an Azure Stack Hub profile
// (compute 2020-06-01, disks 2019-07-01, or managed disks at 2017-03-30 /
// 2017-12-01) is honoured. What it cannot do: the request bodies are still
// the SDK's (2024) models, so a field an older version does not know is
// sent if set (the driver sets only fields every version has, except
// uploadSizeBytes, which Upload needs and which exists from disks
// 2019-03-01: streamed uploads need that version or later, Import works
// on all). Automatic provider registration is off: Preflight reports an
// unregistered provider with its fix instead.
func (d *Driver) armOptions(apiVersion string) *arm.ClientOptions {
	co := d.clientOptions()
	co.Cloud = azcloud.Configuration{
		ActiveDirectoryAuthorityHost: d.ep.authority,
		Services: map[azcloud.ServiceName]azcloud.ServiceConfiguration{
			azcloud.ResourceManager: {Endpoint: strings.TrimSuffix(d.ep.arm, "/"), Audience: strings.TrimRight(d.ep.armAudience, "/")},
		},
	}
	co.APIVersion = apiVersion
	co.PerRetryPolicies = append(co.PerRetryPolicies, logPolicy{log: d.o.Log})
	return &arm.ClientOptions{ClientOptions: co, DisableRPRegistration: true}
}

func (d *Driver) newARMClients() (armClients, error) {
	var c armClients
	var err error
	sub := d.cfg.SubscriptionID
	if c.vms, err = armcompute.NewVirtualMachinesClient(sub, d.cred, d.armOptions(d.ep.api.Compute)); err != nil {
		return c, fmt.Errorf("virtual machines client: %w", err)
	}
	if c.disks, err = armcompute.NewDisksClient(sub, d.cred, d.armOptions(d.ep.api.Disks)); err != nil {
		return c, fmt.Errorf("disks client: %w", err)
	}
	if c.images, err = armcompute.NewImagesClient(sub, d.cred, d.armOptions(d.ep.api.Compute)); err != nil {
		return c, fmt.Errorf("images client: %w", err)
	}
	if c.sets, err = armcompute.NewAvailabilitySetsClient(sub, d.cred, d.armOptions(d.ep.api.Compute)); err != nil {
		return c, fmt.Errorf("availability sets client: %w", err)
	}
	if c.skus, err = armcompute.NewResourceSKUsClient(sub, d.cred, d.armOptions(skusAPI)); err != nil {
		return c, fmt.Errorf("resource skus client: %w", err)
	}
	if c.exts, err = armcompute.NewVirtualMachineExtensionsClient(sub, d.cred, d.armOptions(d.ep.api.Compute)); err != nil {
		return c, fmt.Errorf("vm extensions client: %w", err)
	}
	return c, nil
}

// ListVMs lists the subscription's VMs with their power states: the
// models, then the statuses (statusOnly=true) merged in; a VM the status
// list misses (older API versions lack statusOnly) is read on its own with
// its instance view.
func (d *Driver) ListVMs(ctx context.Context) ([]cloud.VM, error) {
	var out []cloud.VM
	pager := d.rm.vms.NewListAllPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list vms: %w", d.armErr(ctx, err))
		}
		for _, v := range page.Value {
			if v != nil {
				out = append(out, armapi.VMToCloud(*v))
			}
		}
	}
	power := map[string]string{}
	sp := d.rm.vms.NewListAllPager(&armcompute.VirtualMachinesClientListAllOptions{StatusOnly: to.Ptr("true")})
	for sp.More() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			break // statuses are read one by one below
		}
		for _, v := range page.Value {
			if v != nil && v.Properties != nil && v.Properties.InstanceView != nil {
				vm := armapi.VMToCloud(*v)
				power[strings.ToLower(vm.ResourceGroup+"/"+vm.Name)] = vm.PowerState
			}
		}
	}
	for i := range out {
		if ps := power[strings.ToLower(out[i].ResourceGroup+"/"+out[i].Name)]; ps != "" {
			out[i].PowerState = ps
			continue
		}
		vm, err := d.GetVM(ctx, out[i].ResourceGroup, out[i].Name)
		if err != nil {
			return nil, fmt.Errorf("list vms: %w", err)
		}
		out[i].PowerState = vm.PowerState
	}
	return out, nil
}

// GetVM reads a VM with its instance view (for the power state).
func (d *Driver) GetVM(ctx context.Context, rg, name string) (cloud.VM, error) {
	r, err := d.rm.vms.Get(ctx, rg, name, &armcompute.VirtualMachinesClientGetOptions{Expand: to.Ptr(armcompute.InstanceViewTypesInstanceView)})
	if err != nil {
		return cloud.VM{}, fmt.Errorf("get vm %s/%s: %w", rg, name, d.armErr(ctx, err))
	}
	vm := armapi.VMToCloud(r.VirtualMachine)
	if vm.ResourceGroup == "" {
		vm.ResourceGroup = rg
	}
	return vm, nil
}

// DeallocateVM stops and deallocates a VM; a deallocated one stays so.
func (d *Driver) DeallocateVM(ctx context.Context, rg, name string) error {
	err := lro(ctx, d, tokenKey(opDeallocateVM, rg, name), d.vmPowerIs(rg, name, cloud.PowerDeallocated), func(ctx context.Context, tok string) (*runtime.Poller[armcompute.VirtualMachinesClientDeallocateResponse], error) {
		return d.rm.vms.BeginDeallocate(ctx, rg, name, &armcompute.VirtualMachinesClientBeginDeallocateOptions{ResumeToken: tok})
	})
	if err != nil {
		return fmt.Errorf("deallocate vm %s/%s: %w", rg, name, opError(opDeallocateVM, rg, name, err))
	}
	return nil
}

// StartVM starts a VM on the disks it has; a running one stays so (the
// platform answers a start of a running VM with success).
func (d *Driver) StartVM(ctx context.Context, rg, name string) error {
	err := lro(ctx, d, tokenKey(opStartVM, rg, name), d.vmPowerIs(rg, name, cloud.PowerRunning), func(ctx context.Context, tok string) (*runtime.Poller[armcompute.VirtualMachinesClientStartResponse], error) {
		return d.rm.vms.BeginStart(ctx, rg, name, &armcompute.VirtualMachinesClientBeginStartOptions{ResumeToken: tok})
	})
	if err != nil {
		return fmt.Errorf("start vm %s/%s: %w", rg, name, opError(opStartVM, rg, name, err))
	}
	return nil
}

// DeleteVM removes a VM and keeps its disks, VHDs and NICs (the SDK's
// delete never deletes them unless their deleteOption says so, and the
// VMs the disk step deletes were made by migration, with none set). A VM
// that is gone is deleted.
func (d *Driver) DeleteVM(ctx context.Context, rg, name string) error {
	err := lro(ctx, d, tokenKey(opDeleteVM, rg, name), gone(func(ctx context.Context) (cloud.VM, error) { return d.GetVM(ctx, rg, name) }), func(ctx context.Context, tok string) (*runtime.Poller[armcompute.VirtualMachinesClientDeleteResponse], error) {
		return d.rm.vms.BeginDelete(ctx, rg, name, &armcompute.VirtualMachinesClientBeginDeleteOptions{ResumeToken: tok})
	})
	if errors.Is(err, cloud.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete vm %s/%s: %w", rg, name, opError(opDeleteVM, rg, name, err))
	}
	return nil
}

// CreateVM creates vm on the disks its VMDisks name (managed disks, or
// VHDs attached again; createOption Attach), with its NICs (first
// primary), availability set, data-disk LUNs, per-disk caching and write
// accelerator, tags, license type and boot diagnostics; then PUTs each of
// its extensions (public settings: protected ones are never readable, so
// never carried). A VM that already exists on the same disks is not sent
// again (Resource Manager would treat the PUT as an update); its missing
// extensions are still added, so a call interrupted between the two ends
// the same when repeated.
func (d *Driver) CreateVM(ctx context.Context, vm cloud.VM) error {
	rg, name := vm.ResourceGroup, vm.Name
	applied := has(func(ctx context.Context) (cloud.VM, error) { return d.GetVM(ctx, rg, name) },
		func(have cloud.VM) bool { return sameDisks(have, vm) })
	done := false
	if !hasToken(d.o.Tokens, tokenKey(opCreateVM, rg, name)) {
		if ok, err := applied(ctx); err == nil && ok {
			done = true
		}
	}
	if !done {
		body := armapi.VMFromCloud(d.cfg.SubscriptionID, vm)
		body.ID, body.Type = nil, nil
		err := lro(ctx, d, tokenKey(opCreateVM, rg, name), applied, func(ctx context.Context, tok string) (*runtime.Poller[armcompute.VirtualMachinesClientCreateOrUpdateResponse], error) {
			return d.rm.vms.BeginCreateOrUpdate(ctx, rg, name, body, &armcompute.VirtualMachinesClientBeginCreateOrUpdateOptions{ResumeToken: tok})
		})
		if err != nil {
			return fmt.Errorf("create vm %s/%s: %w", rg, name, opError(opCreateVM, rg, name, err))
		}
	}
	for _, x := range vm.Extensions {
		if err := d.addExtension(ctx, vm, x); err != nil {
			return fmt.Errorf("create vm %s/%s: %w", rg, name, err)
		}
	}
	return nil
}

// addExtension PUTs one extension on a VM unless the VM already has it
// (same publisher and type), as a long-running operation with its own
// resume token.
func (d *Driver) addExtension(ctx context.Context, vm cloud.VM, x cloud.Extension) error {
	rg, name := vm.ResourceGroup, vm.Name
	key := tokenKey(opAddExtension, rg, name+"/"+x.Name)
	applied := has(func(ctx context.Context) (cloud.Extension, error) { return d.getExtension(ctx, rg, name, x.Name) },
		func(have cloud.Extension) bool {
			return strings.EqualFold(have.Publisher, x.Publisher) && strings.EqualFold(have.Type, x.Type)
		})
	if !hasToken(d.o.Tokens, key) {
		if ok, err := applied(ctx); err == nil && ok {
			return nil
		}
	}
	body := armapi.ExtensionFromCloud(vm.Location, x)
	err := lro(ctx, d, key, applied, func(ctx context.Context, tok string) (*runtime.Poller[armcompute.VirtualMachineExtensionsClientCreateOrUpdateResponse], error) {
		return d.rm.exts.BeginCreateOrUpdate(ctx, rg, name, x.Name, body, &armcompute.VirtualMachineExtensionsClientBeginCreateOrUpdateOptions{ResumeToken: tok})
	})
	if err != nil {
		return fmt.Errorf("add extension %s: %w", x.Name, opError(opAddExtension, rg, name+"/"+x.Name, err))
	}
	return nil
}

// getExtension reads one extension of a VM.
func (d *Driver) getExtension(ctx context.Context, rg, vm, name string) (cloud.Extension, error) {
	r, err := d.rm.exts.Get(ctx, rg, vm, name, nil)
	if err != nil {
		return cloud.Extension{}, fmt.Errorf("get extension %s/%s/%s: %w", rg, vm, name, d.armErr(ctx, err))
	}
	return armapi.ExtensionToCloud(r.VirtualMachineExtension), nil
}

// vmPowerIs reads whether a VM is in power state want: the effect of a
// deallocate or start (see lro). A missing VM is not.
func (d *Driver) vmPowerIs(rg, name, want string) func(context.Context) (bool, error) {
	return has(func(ctx context.Context) (cloud.VM, error) { return d.GetVM(ctx, rg, name) },
		func(vm cloud.VM) bool { return vm.PowerState == want })
}

// has reads whether the resource get reads exists and satisfies ok: the
// effect of a create (see lro). A missing resource does not.
func has[R any](get func(context.Context) (R, error), ok func(R) bool) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		r, err := get(ctx)
		if errors.Is(err, cloud.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return ok(r), nil
	}
}

// gone reads whether the resource get reads is missing: the effect of a
// delete (see lro).
func gone[R any](get func(context.Context) (R, error)) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		_, err := get(ctx)
		if errors.Is(err, cloud.ErrNotFound) {
			return true, nil
		}
		return false, err
	}
}

// hasToken reports whether an operation under key may be running.
func hasToken(s TokenStore, key string) bool {
	if s == nil {
		return false
	}
	_, ok := s.Get(key)
	return ok
}

// sameDisks reports whether have already runs on the managed disks want
// names, LUN for LUN.
func sameDisks(have, want cloud.VM) bool {
	if !strings.EqualFold(have.OSDisk.ManagedDisk, want.OSDisk.ManagedDisk) || have.OSDisk.ManagedDisk == "" ||
		len(have.DataDisks) != len(want.DataDisks) {
		return false
	}
	luns := map[int]string{}
	for _, dd := range have.DataDisks {
		luns[dd.LUN] = strings.ToLower(dd.ManagedDisk)
	}
	for _, dd := range want.DataDisks {
		if luns[dd.LUN] != strings.ToLower(dd.ManagedDisk) || dd.ManagedDisk == "" {
			return false
		}
	}
	return true
}

// GetDisk reads a managed disk.
func (d *Driver) GetDisk(ctx context.Context, rg, name string) (cloud.ManagedDisk, error) {
	r, err := d.rm.disks.Get(ctx, rg, name, nil)
	if err != nil {
		return cloud.ManagedDisk{}, fmt.Errorf("get disk %s/%s: %w", rg, name, d.armErr(ctx, err))
	}
	md := armapi.DiskToCloud(r.Disk)
	if md.ResourceGroup == "" {
		md.ResourceGroup = rg
	}
	return md, nil
}

// CreateDisk creates a managed disk. Import names the VHD's storage
// account by id, as the API requires (found by listing the subscription's
// storage accounts), and gives diskSizeGB when SizeBytes is known. Upload
// needs disks API 2019-03-01 or later: below it the call is refused before
// sending (*APIVersionError), since the platform would not know the option. A disk that already exists with the same create
// option (and source) is left as it is, since an Upload disk in
// ActiveUpload refuses a second PUT.
func (d *Driver) CreateDisk(ctx context.Context, md cloud.ManagedDisk) error {
	rg, name := md.ResourceGroup, md.Name
	if md.CreateOption == cloud.CreateUpload && versionBefore(d.ep.api.Disks, uploadDisksAPI) {
		return fmt.Errorf("create disk %s/%s: %w", rg, name, &APIVersionError{
			Op: "createDisk " + rg + "/" + name + " with createOption Upload", API: "disks", Version: d.ep.api.Disks, Need: uploadDisksAPI})
	}
	key := tokenKey(opCreateDisk, rg, name)
	applied := has(func(ctx context.Context) (cloud.ManagedDisk, error) { return d.GetDisk(ctx, rg, name) },
		func(have cloud.ManagedDisk) bool {
			return strings.EqualFold(have.CreateOption, md.CreateOption) &&
				(md.CreateOption != cloud.CreateImport || strings.EqualFold(have.SourceURI, md.SourceURI))
		})
	if !hasToken(d.o.Tokens, key) {
		if ok, err := applied(ctx); err == nil && ok {
			return nil
		}
	}
	var acct string
	if md.CreateOption == cloud.CreateImport {
		ref, err := armapi.ParseBlobURL(md.SourceURI)
		if err != nil {
			return fmt.Errorf("create disk %s/%s: %w", rg, name, err)
		}
		if acct, err = d.storageAccountID(ctx, ref.Account); err != nil {
			return fmt.Errorf("create disk %s/%s: %w", rg, name, err)
		}
	}
	body := armapi.DiskFromCloud(d.cfg.SubscriptionID, md, acct)
	body.ID, body.Type = nil, nil
	err := lro(ctx, d, key, applied, func(ctx context.Context, tok string) (*runtime.Poller[armcompute.DisksClientCreateOrUpdateResponse], error) {
		return d.rm.disks.BeginCreateOrUpdate(ctx, rg, name, body, &armcompute.DisksClientBeginCreateOrUpdateOptions{ResumeToken: tok})
	})
	if err != nil {
		return fmt.Errorf("create disk %s/%s: %w", rg, name, opError(opCreateDisk, rg, name, err))
	}
	return nil
}

// DeleteDisk deletes a managed disk; one that is gone is deleted.
func (d *Driver) DeleteDisk(ctx context.Context, rg, name string) error {
	err := lro(ctx, d, tokenKey(opDeleteDisk, rg, name), gone(func(ctx context.Context) (cloud.ManagedDisk, error) { return d.GetDisk(ctx, rg, name) }), func(ctx context.Context, tok string) (*runtime.Poller[armcompute.DisksClientDeleteResponse], error) {
		return d.rm.disks.BeginDelete(ctx, rg, name, &armcompute.DisksClientBeginDeleteOptions{ResumeToken: tok})
	})
	if errors.Is(err, cloud.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete disk %s/%s: %w", rg, name, opError(opDeleteDisk, rg, name, err))
	}
	return nil
}

// CreateImage makes a managed image from a generalized VHD. An image that
// exists from the same VHD is left as it is (images refuse changes).
func (d *Driver) CreateImage(ctx context.Context, img cloud.Image) error {
	rg, name := img.ResourceGroup, img.Name
	key := tokenKey(opCreateImage, rg, name)
	applied := has(func(ctx context.Context) (cloud.Image, error) { return d.GetImage(ctx, rg, name) },
		func(have cloud.Image) bool { return strings.EqualFold(have.SourceURI, img.SourceURI) })
	if !hasToken(d.o.Tokens, key) {
		if ok, err := applied(ctx); err == nil && ok {
			return nil
		}
	}
	body := armapi.ImageFromCloud(d.cfg.SubscriptionID, img)
	body.ID, body.Type = nil, nil
	err := lro(ctx, d, key, applied, func(ctx context.Context, tok string) (*runtime.Poller[armcompute.ImagesClientCreateOrUpdateResponse], error) {
		return d.rm.images.BeginCreateOrUpdate(ctx, rg, name, body, &armcompute.ImagesClientBeginCreateOrUpdateOptions{ResumeToken: tok})
	})
	if err != nil {
		return fmt.Errorf("create image %s/%s: %w", rg, name, opError(opCreateImage, rg, name, err))
	}
	return nil
}

// GetImage reads a managed image.
func (d *Driver) GetImage(ctx context.Context, rg, name string) (cloud.Image, error) {
	r, err := d.rm.images.Get(ctx, rg, name, nil)
	if err != nil {
		return cloud.Image{}, fmt.Errorf("get image %s/%s: %w", rg, name, d.armErr(ctx, err))
	}
	img := armapi.ImageToCloud(r.Image)
	if img.ResourceGroup == "" {
		img.ResourceGroup = rg
	}
	return img, nil
}

// grantAccess grants access to a managed disk and returns the SAS URL.
// It is not resumed from a token: a grant is repeatable, and a resumed
// copy must get a fresh SAS rather than one that may have expired.
func (d *Driver) grantAccess(ctx context.Context, rg, name string, level armcompute.AccessLevel) (string, error) {
	secs := int32(min(d.o.AccessDuration.Seconds(), float64(1<<31-1)))
	p, err := d.rm.disks.BeginGrantAccess(ctx, rg, name, armcompute.GrantAccessData{Access: to.Ptr(level), DurationInSeconds: to.Ptr(secs)}, nil)
	if err != nil {
		return "", opError(opGrantAccess, rg, name, d.armErr(ctx, err))
	}
	res, _, err := wait(ctx, d, p)
	if err != nil {
		return "", opError(opGrantAccess, rg, name, err)
	}
	if res.AccessSAS == nil || *res.AccessSAS == "" {
		return "", &cloud.OperationError{Op: opGrantAccess, Unit: rg + "/" + name, Code: "NoAccessSAS", Message: "grant access answered without accessSAS"}
	}
	return *res.AccessSAS, nil
}

// revokeAccess ends every SAS granted on a managed disk.
func (d *Driver) revokeAccess(ctx context.Context, rg, name string) error {
	// A revoke is repeatable, so azcore may send it again: the caller's
	// ctx, not the send-once one lro passes. No read shows that every SAS
	// has ended, so after a resumed revoke another is always sent.
	err := lro(ctx, d, tokenKey(opRevokeAccess, rg, name), nil, func(_ context.Context, tok string) (*runtime.Poller[armcompute.DisksClientRevokeAccessResponse], error) {
		return d.rm.disks.BeginRevokeAccess(ctx, rg, name, &armcompute.DisksClientBeginRevokeAccessOptions{ResumeToken: tok})
	})
	return opError(opRevokeAccess, rg, name, err)
}
