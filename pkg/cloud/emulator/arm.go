package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
)

// The Resource Manager calls of the disk step, served from Options.Compute
// and Options.DiskData in armcompute's JSON shapes (built with
// pkg/cloud/azure/armapi, the mapping the driver reads them with).
// Changing calls are long-running operations as Azure runs them: 201 (PUT)
// or 202 (POST, DELETE) with Azure-AsyncOperation (the status to poll),
// Location (the result, for POST) and Retry-After, the work done in the
// background; so azcore's pollers run unchanged and a poller resumed from
// a token polls the same operation.

// armRoutes adds the Resource Manager routes of the disk step to mux.
func (s *Server) armRoutes(mux *http.ServeMux) {
	const (
		sub     = "/subscriptions/{sub}"
		rgp     = sub + "/resourceGroups/{rg}/providers"
		vms     = rgp + "/Microsoft.Compute/virtualMachines/{name}"
		disk    = rgp + "/Microsoft.Compute/disks/{name}"
		image   = rgp + "/Microsoft.Compute/images/{name}"
		compute = sub + "/providers/Microsoft.Compute"
	)
	h := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, s.arm(s.needCompute(fn))) }
	// Changing calls whose response may be lost after they took effect.
	c := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, s.armCall(s.needCompute(fn), true)) }
	h("GET "+compute+"/virtualMachines", s.listVMs)
	// The resource-group-scoped list (VirtualMachines_List in the
	// Microsoft.Compute REST spec; the subscription one is ListAll).
	h("GET "+sub+"/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines", s.listVMs)
	h("GET "+vms, s.getVM)
	c("PUT "+vms, s.putVM)
	c("DELETE "+vms, s.deleteVM)
	c("POST "+vms+"/deallocate", s.powerVM(cloud.Compute.DeallocateVM))
	c("POST "+vms+"/start", s.powerVM(cloud.Compute.StartVM))
	h("GET "+disk, s.getDisk)
	c("PUT "+disk, s.putDisk)
	c("DELETE "+disk, s.deleteDisk)
	h("POST "+disk+"/beginGetAccess", s.beginGetAccess)
	h("POST "+disk+"/endGetAccess", s.endGetAccess)
	h("GET "+image, s.getImage)
	c("PUT "+image, s.putImage)
	s.platformRoutes(mux)
	s.insightsRoutes(mux)
	s.quotaRoutes(mux)
	s.extensionRoutes(mux)
	s.armNetworkRoutes(mux)
	s.authorizationRoutes(mux)   // not behind needCompute: discovery reads them
	s.platformServiceRoutes(mux) // with or without Compute: they read the classic estate
	h("GET "+compute+"/locations/{loc}/operations/{id}", s.armOperation)
	h("GET "+compute+"/locations/{loc}/operationResults/{id}", s.armOperationResult)
	h("GET "+sub+"/providers/Microsoft.Storage/storageAccounts", s.listStorageAccounts)
	h("POST "+rgp+"/Microsoft.Storage/storageAccounts/{name}/listKeys", s.listKeys)
}

// needCompute answers 501 when the server was given no Compute.
func (s *Server) needCompute(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.o.Compute == nil {
			armError(w, http.StatusNotImplemented, "NotImplemented", "This emulator serves no Resource Manager compute.")
			return
		}
		h(w, r)
	}
}

// armOp is a Resource Manager long-running operation.
type armOp struct {
	done   bool
	status int // as errorStatus maps the error; 200 on success
	code   string
	msg    string
	result any // the Location result of a POST; nil answers 204
}

// startARM runs fn in the background as a new operation and answers the
// request that started it: status (201 or 202), the polling headers, and
// body if any; or, for a lost response (arm), a fault once the operation
// has ended, so a client that reads the resource after the fault sees
// what the call did.
func (s *Server) startARM(w http.ResponseWriter, r *http.Request, loc string, status int, body any, fn func(ctx context.Context) (any, error)) {
	id := opID(decisionOf(r).id)
	s.mu.Lock()
	op := &armOp{}
	s.armOps[id] = op
	s.mu.Unlock()
	ended := make(chan struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(ended)
		res, err := fn(s.ctx)
		s.mu.Lock()
		defer s.mu.Unlock()
		op.done, op.result, op.status = true, res, http.StatusOK
		if err != nil {
			op.status, op.code, op.msg, _ = errorStatus(err)
			if errors.Is(err, context.Canceled) {
				op.status, op.code, op.msg = http.StatusInternalServerError, "InternalError", "The server shut down during the operation."
			}
		}
	}()
	if i, ok := faultAfter(r); ok {
		select {
		case <-ended:
		case <-r.Context().Done():
		}
		writeARMFault(w, i)
		return
	}
	base := strings.TrimSuffix(s.url, "/") + "/subscriptions/" + r.PathValue("sub") + "/providers/Microsoft.Compute/locations/" + armapi.Location(loc)
	q := "?api-version=" + r.URL.Query().Get("api-version")
	w.Header().Set("Azure-AsyncOperation", base+"/operations/"+id+q)
	if r.Method != http.MethodPut {
		w.Header().Set("Location", base+"/operationResults/"+id+q)
	}
	w.Header().Set("Retry-After", "1")
	if body == nil {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, body)
}

func (s *Server) armOpOf(w http.ResponseWriter, r *http.Request) (armOp, bool) {
	s.mu.Lock()
	op, ok := s.armOps[r.PathValue("id")]
	var cp armOp
	if ok {
		cp = *op
	}
	s.mu.Unlock()
	if !ok {
		armError(w, http.StatusNotFound, "NotFound", "The operation does not exist.")
	}
	return cp, ok
}

// armOperation is the Azure-AsyncOperation status.
func (s *Server) armOperation(w http.ResponseWriter, r *http.Request) {
	op, ok := s.armOpOf(w, r)
	if !ok {
		return
	}
	out := map[string]any{"name": r.PathValue("id"), "status": "InProgress"}
	switch {
	case !op.done:
		w.Header().Set("Retry-After", "1")
	case op.status == http.StatusOK:
		out["status"] = "Succeeded"
	default:
		out["status"] = "Failed"
		out["error"] = map[string]string{"code": op.code, "message": op.msg}
	}
	writeJSON(w, http.StatusOK, out)
}

// armOperationResult is the Location of a POST or DELETE: 202 while it
// runs, then its result.
func (s *Server) armOperationResult(w http.ResponseWriter, r *http.Request) {
	op, ok := s.armOpOf(w, r)
	if !ok {
		return
	}
	switch {
	case !op.done:
		w.Header().Set("Location", s.url+strings.TrimPrefix(r.URL.RequestURI(), "/"))
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusAccepted)
	case op.status != http.StatusOK:
		armError(w, op.status, op.code, op.msg)
	case op.result == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, op.result)
	}
}

// writeARMCloudError answers a cloud error as Resource Manager does.
func writeARMCloudError(w http.ResponseWriter, err error) {
	status, code, msg, ra := errorStatus(err)
	if errors.Is(err, cloud.ErrNotFound) {
		// Resource Manager's answer to a missing resource: 404 with
		// {"error":{"code":"ResourceNotFound",...}} (learn.microsoft.com
		// azure-resource-manager/troubleshooting/error-not-found).
		code, msg = "ResourceNotFound", "The Resource was not found: "+msg
	}
	if ra > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.Seconds()))))
	}
	armError(w, status, code, msg)
}

// readBody decodes a JSON request body into v.
func readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		armError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
		return false
	}
	return true
}

// vmModel is the served model of vm, with its instance view if asked, its
// extensions as resources and its osProfile's secrets count.
func (s *Server) vmModel(sub string, vm cloud.VM, view bool) armcompute.VirtualMachine {
	m := armapi.VMFromCloud(sub, vm)
	m.Properties.ProvisioningState = to.Ptr("Succeeded")
	m.Properties.OSProfile = armapi.Secrets(vm.Secrets)
	for _, x := range vm.Extensions {
		m.Resources = append(m.Resources, extensionModel(sub, vm, x))
	}
	if view {
		m.Properties.InstanceView = armapi.InstanceView(vm.PowerState)
	}
	return m
}

func (s *Server) listVMs(w http.ResponseWriter, r *http.Request) {
	vms, err := s.o.Compute.ListVMs(r.Context())
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	status := strings.EqualFold(r.URL.Query().Get("statusOnly"), "true")
	out := make([]armcompute.VirtualMachine, 0, len(vms))
	for _, vm := range vms {
		if rg := r.PathValue("rg"); rg != "" && !strings.EqualFold(rg, vm.ResourceGroup) {
			continue
		}
		out = append(out, s.vmModel(r.PathValue("sub"), s.withExtensions(vm), status))
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": out})
}

// vmOf reads a VM from the backend, with the extensions added through
// the emulator.
func (s *Server) vmOf(ctx context.Context, rg, name string) (cloud.VM, error) {
	vm, err := s.o.Compute.GetVM(ctx, rg, name)
	if err != nil {
		return vm, err
	}
	return s.withExtensions(vm), nil
}

func (s *Server) getVM(w http.ResponseWriter, r *http.Request) {
	vm, err := s.vmOf(r.Context(), r.PathValue("rg"), r.PathValue("name"))
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	view := strings.EqualFold(r.URL.Query().Get("$expand"), "instanceView")
	writeJSON(w, http.StatusOK, s.vmModel(r.PathValue("sub"), vm, view))
}

func (s *Server) putVM(w http.ResponseWriter, r *http.Request) {
	var m armcompute.VirtualMachine
	if !readBody(w, r, &m) {
		return
	}
	vm := armapi.VMToCloud(m)
	vm.ResourceGroup, vm.Name = r.PathValue("rg"), r.PathValue("name")
	if vm.Location == "" {
		armError(w, http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
		return
	}
	msg, err := s.managedInClassicSet(r.Context(), vm)
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	if msg != "" {
		armError(w, http.StatusBadRequest, "BadRequest", msg)
		return
	}
	status := http.StatusCreated
	if _, err := s.o.Compute.GetVM(r.Context(), vm.ResourceGroup, vm.Name); err == nil {
		status = http.StatusOK
	}
	body := s.vmModel(r.PathValue("sub"), vm, false)
	body.Properties.ProvisioningState = to.Ptr("Creating")
	s.startARM(w, r, vm.Location, status, body, func(ctx context.Context) (any, error) {
		return nil, s.o.Compute.CreateVM(ctx, vm)
	})
}

// noContent answers a DELETE of what is gone: 204, or the fault of a lost
// response.
func noContent(w http.ResponseWriter, r *http.Request) {
	if i, ok := faultAfter(r); ok {
		writeARMFault(w, i)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// location is where an existing resource is, for its operation's URL.
func location(l string, err error) string {
	if err != nil || l == "" {
		return "local"
	}
	return l
}

func (s *Server) deleteVM(w http.ResponseWriter, r *http.Request) {
	rg, name := r.PathValue("rg"), r.PathValue("name")
	vm, err := s.o.Compute.GetVM(r.Context(), rg, name)
	if errors.Is(err, cloud.ErrNotFound) {
		noContent(w, r)
		return
	}
	s.startARM(w, r, location(vm.Location, err), http.StatusAccepted, nil, func(ctx context.Context) (any, error) {
		if err := s.o.Compute.DeleteVM(ctx, rg, name); err != nil {
			return nil, err
		}
		s.forgetExtensions(rg, name)
		return nil, nil
	})
}

// powerVM serves a power action on an existing VM (POST .../deallocate,
// .../start): a missing VM is 404 before anything starts, as the API
// answers.
func (s *Server) powerVM(action func(c cloud.Compute, ctx context.Context, rg, name string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rg, name := r.PathValue("rg"), r.PathValue("name")
		vm, err := s.o.Compute.GetVM(r.Context(), rg, name)
		if err != nil {
			writeARMCloudError(w, err)
			return
		}
		s.startARM(w, r, vm.Location, http.StatusAccepted, nil, func(ctx context.Context) (any, error) {
			return nil, action(s.o.Compute, ctx, rg, name)
		})
	}
}

// diskModel is the served model of a managed disk, its state as the
// emulator's access grants make it.
func (s *Server) diskModel(sub string, d cloud.ManagedDisk) armcompute.Disk {
	m := armapi.DiskFromCloud(sub, d, "")
	if d.CreateOption == cloud.CreateImport {
		m.Properties.CreationData.StorageAccountID = nil
	}
	if d.State != "" {
		m.Properties.DiskState = to.Ptr(armcompute.DiskState(s.accessState(d)))
	}
	if d.SizeBytes > 0 {
		m.Properties.DiskSizeBytes = to.Ptr(d.SizeBytes)
		m.Properties.DiskSizeGB = to.Ptr(int32((d.SizeBytes + armapi.GiB - 1) / armapi.GiB))
	}
	m.Properties.ProvisioningState = to.Ptr("Succeeded")
	return m
}

func (s *Server) getDisk(w http.ResponseWriter, r *http.Request) {
	d, err := s.o.Compute.GetDisk(r.Context(), r.PathValue("rg"), r.PathValue("name"))
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.diskModel(r.PathValue("sub"), d))
}

func (s *Server) putDisk(w http.ResponseWriter, r *http.Request) {
	var m armcompute.Disk
	if !readBody(w, r, &m) {
		return
	}
	d := armapi.DiskToCloud(m)
	d.ResourceGroup, d.Name = r.PathValue("rg"), r.PathValue("name")
	if s.diskRefusal(w, r, m, d) {
		return
	}
	var problem string
	switch {
	case d.Location == "":
		problem = "The location property is required for this definition."
	case d.CreateOption == cloud.CreateImport && (d.SourceURI == "" || m.Properties.CreationData.StorageAccountID == nil):
		problem = "Import needs creationData.sourceUri and creationData.storageAccountId."
	case d.CreateOption == cloud.CreateUpload && d.SizeBytes <= 0:
		problem = "Upload needs creationData.uploadSizeBytes."
	case d.CreateOption != cloud.CreateImport && d.CreateOption != cloud.CreateUpload:
		problem = "This emulator creates disks with createOption Import or Upload only."
	}
	if problem != "" {
		armError(w, http.StatusBadRequest, "InvalidParameter", problem)
		return
	}
	if d.CreateOption == cloud.CreateImport {
		if ok, err := s.armStorage(r.Context(), d.SourceURI); err != nil || !ok {
			if err != nil {
				writeARMCloudError(w, err)
				return
			}
			// A classic account (not yet migrated) is unknown to the
			// Storage Resource Provider; Azure's words for it
			// (virtual-machines/error-messages, InternalOperationError).
			ref, _ := armapi.ParseBlobURL(d.SourceURI)
			armError(w, http.StatusBadRequest, "InternalOperationError", fmt.Sprintf(
				"Could not resolve storage account %s. Please ensure it was created through the Storage Resource Provider in the same location as the compute resource.", ref.Account))
			return
		}
	}
	// Disks answer 202 where VMs and images answer 201, as the API does.
	status := http.StatusAccepted
	if _, err := s.o.Compute.GetDisk(r.Context(), d.ResourceGroup, d.Name); err == nil {
		status = http.StatusOK
	}
	body := s.diskModel(r.PathValue("sub"), d)
	body.Properties.ProvisioningState = to.Ptr("Updating")
	s.startARM(w, r, d.Location, status, body, func(ctx context.Context) (any, error) {
		return nil, s.o.Compute.CreateDisk(ctx, d)
	})
}

func (s *Server) deleteDisk(w http.ResponseWriter, r *http.Request) {
	rg, name := r.PathValue("rg"), r.PathValue("name")
	d, err := s.o.Compute.GetDisk(r.Context(), rg, name)
	if errors.Is(err, cloud.ErrNotFound) {
		noContent(w, r)
		return
	}
	s.startARM(w, r, location(d.Location, err), http.StatusAccepted, nil, func(ctx context.Context) (any, error) {
		if err := s.o.Compute.DeleteDisk(ctx, rg, name); err != nil {
			return nil, err
		}
		return nil, s.forgetManaged(ctx, rg, name)
	})
}

func (s *Server) beginGetAccess(w http.ResponseWriter, r *http.Request) {
	rg, name := r.PathValue("rg"), r.PathValue("name")
	var g armcompute.GrantAccessData
	if !readBody(w, r, &g) {
		return
	}
	if g.Access == nil || (*g.Access != armcompute.AccessLevelRead && *g.Access != armcompute.AccessLevelWrite) {
		armError(w, http.StatusBadRequest, "InvalidParameter", "access must be Read or Write.")
		return
	}
	dur := time.Hour
	if g.DurationInSeconds != nil && *g.DurationInSeconds > 0 {
		dur = time.Duration(*g.DurationInSeconds) * time.Second
	}
	d, err := s.o.Compute.GetDisk(r.Context(), rg, name)
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	if s.blobs == nil || s.o.DiskData == nil {
		armError(w, http.StatusNotImplemented, "NotImplemented", "This emulator has no blob endpoint or disk data: no access can be granted.")
		return
	}
	write := *g.Access == armcompute.AccessLevelWrite
	s.startARM(w, r, d.Location, http.StatusAccepted, nil, func(ctx context.Context) (any, error) {
		u, err := s.grant(ctx, d, write, dur)
		if err != nil {
			return nil, err
		}
		return armcompute.AccessURI{AccessSAS: to.Ptr(u)}, nil
	})
}

func (s *Server) endGetAccess(w http.ResponseWriter, r *http.Request) {
	rg, name := r.PathValue("rg"), r.PathValue("name")
	d, err := s.o.Compute.GetDisk(r.Context(), rg, name)
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	s.startARM(w, r, d.Location, http.StatusAccepted, nil, func(ctx context.Context) (any, error) {
		return nil, s.revoke(ctx, d)
	})
}

func (s *Server) getImage(w http.ResponseWriter, r *http.Request) {
	img, err := s.o.Compute.GetImage(r.Context(), r.PathValue("rg"), r.PathValue("name"))
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	m := armapi.ImageFromCloud(r.PathValue("sub"), img)
	m.Properties.ProvisioningState = to.Ptr("Succeeded")
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) putImage(w http.ResponseWriter, r *http.Request) {
	var m armcompute.Image
	if !readBody(w, r, &m) {
		return
	}
	img := armapi.ImageToCloud(m)
	img.ResourceGroup, img.Name = r.PathValue("rg"), r.PathValue("name")
	if img.Location == "" || img.SourceURI == "" {
		armError(w, http.StatusBadRequest, "InvalidParameter", "An image needs a location and storageProfile.osDisk.blobUri.")
		return
	}
	status := http.StatusCreated
	if _, err := s.o.Compute.GetImage(r.Context(), img.ResourceGroup, img.Name); err == nil {
		status = http.StatusOK
	}
	body := armapi.ImageFromCloud(r.PathValue("sub"), img)
	body.Properties.ProvisioningState = to.Ptr("Creating")
	s.startARM(w, r, img.Location, status, body, func(ctx context.Context) (any, error) {
		return nil, s.o.Compute.CreateImage(ctx, img)
	})
}
